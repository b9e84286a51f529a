// Vite builds the UI into dist/ (embedded by the Rust server) and, in dev, proxies the
// platform's routes to a locally running `agentyard serve` so cookies stay same-origin.
import { defineConfig } from 'vitest/config';

const platform = 'http://127.0.0.1:3001';

export default defineConfig({
  esbuild: { jsx: 'automatic' },
  server: {
    proxy: {
      '/api': platform,
      '/login': platform,
      '/ws': { target: platform, ws: true },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rollupOptions: {
      // React Router marks modules "use client" for server-component bundlers; a plain SPA
      // bundle has nothing to do with that directive, so the warning about dropping it is noise.
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
  },
});
