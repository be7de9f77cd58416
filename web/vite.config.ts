// Two pages (office dashboard, courier page) sharing one API client and one stylesheet. The build
// writes into the CMake build tree (KASSA_WEB_OUT, set by web/CMakeLists.txt) or ./dist; kassad
// serves that folder ([server] web_root), so the running service needs no Node.
import { defineConfig } from 'vitest/config';
import preact from '@preact/preset-vite';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Node 18 (Debian 12's nodejs) has no import.meta.dirname.
const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  plugins: [preact({ devToolsEnabled: false, prerender: { enabled: false } })],
  base: '/',
  build: {
    outDir: process.env.KASSA_WEB_OUT ?? resolve(here, 'dist'),
    emptyOutDir: true,
    assetsDir: 'assets',
    rollupOptions: {
      input: {
        office: resolve(here, 'office/index.html'),
        courier: resolve(here, 'courier/index.html'),
      },
    },
  },
  test: { include: ['tests/unit/**/*.test.ts'], environment: 'node' },
});
