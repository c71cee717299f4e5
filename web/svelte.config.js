import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
export default {
  preprocess: vitePreprocess(),
  kit: {
    adapter: adapter({ out: 'build' }),
    // The dashboard is served by its own process (or mounted in `npm start`); forms post to itself.
    csrf: { trustedOrigins: [] },
  },
};
