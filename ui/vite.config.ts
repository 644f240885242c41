/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

// The app is served by Tauri from ui/dist (embedded) or from this dev server (`npm run dev`).
export default defineConfig({
  // svelteTesting: browser build of Svelte in jsdom and cleanup after each test.
  plugins: [svelte(), ...(process.env.VITEST ? [svelteTesting()] : [])],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // WebKitGTK 2.40+ (Debian 12) and current WebView2/WKWebView all handle ES2021.
    target: 'es2021',
    // Screens load as separate chunks. Vite's modulepreload polyfill (for webviews without
    // <link rel=modulepreload>) would fetch() them, which the CSP's connect-src forbids; without
    // it such a webview simply loads each chunk when it is imported.
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.ts'],
  },
});
