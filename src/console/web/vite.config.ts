// Vite build for the Slipway console: everything bundled (no CDN), served at /_slipway/ by
// src/console/static-handler.ts. Output goes to dist/console/web so `tsc -p tsconfig.build.json`
// (which emits src/console/*.ts into dist/console/) and this build never overwrite each other.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/_slipway/',
  logLevel: 'warn',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: fileURLToPath(new URL('../../../dist/console/web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 800,
    target: 'es2022',
  },
});
