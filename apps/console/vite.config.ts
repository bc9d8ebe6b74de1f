import path from 'node:path';
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// The web console (docs/console.md). Built into dist/console and served by the API at /console/
// (apps/api/src/http/console-static.ts); `npm run dev:console` proxies the API for hot reload.
const here = import.meta.dirname;
const api = process.env['TIDELINE_API'] ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: here,
  base: '/console/',
  plugins: [preact()],
  resolve: {
    // Same mapping as tsconfig.json's paths: the console talks to the API only through the typed client.
    alias: { '@tideline/client': path.resolve(here, '../../libs/client/src') },
  },
  build: {
    outDir: path.resolve(here, '../../dist/console'),
    emptyOutDir: true,
    // Hashed names under assets/ are what the API caches for a year.
    assetsDir: 'assets',
    sourcemap: true,
  },
  server: {
    proxy: { '/v1': { target: api }, '/dev': { target: api } },
  },
});
