import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [sveltekit()],
  // Server code imports the shared config and the typed client from the repository root.
  server: { fs: { allow: ['.'] } },
});
