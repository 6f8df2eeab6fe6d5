import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vitest/config';

// The build lands in the Go package that embeds it (internal/webui).
const outDir = fileURLToPath(new URL('../internal/webui/dist', import.meta.url));

// emptyOutDir removes the committed placeholder that lets the Go package
// compile before any build; put it back.
const keepPlaceholder: Plugin = {
  name: 'spectra-keep-placeholder',
  apply: 'build',
  closeBundle() {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(`${outDir}/.gitkeep`, '');
  },
};

// `npm run dev` talks to a server started with `make demo` (or set
// SPECTRA_URL).
const api = process.env.SPECTRA_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react(), keepPlaceholder],
  build: { outDir, emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 700 },
  server: {
    proxy: Object.fromEntries(['/api', '/auth', '/openapi.json', '/docs'].map((p) => [p, api])),
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
  },
});
