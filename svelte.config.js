import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/**
 * The dashboard lives in web/; SvelteKit reads this file from the repository root so that the one
 * root package.json (and its dependencies) serves it too.
 * @type {import('@sveltejs/kit').Config}
 */
export default {
  preprocess: vitePreprocess(),
  kit: {
    adapter: adapter({ out: 'web/build' }),
    outDir: 'web/.svelte-kit',
    files: {
      src: 'web/src',
      routes: 'web/src/routes',
      lib: 'web/src/lib',
      appTemplate: 'web/src/app.html',
      errorTemplate: 'web/src/error.html',
      hooks: { server: 'web/src/hooks.server', client: 'web/src/hooks.client', universal: 'web/src/hooks' },
      assets: 'web/static',
      params: 'web/src/params',
      serviceWorker: 'web/src/service-worker',
    },
  },
};
