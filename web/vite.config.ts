import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
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

// /docs (served by the Go server) shows the OpenAPI document with Swagger
// UI from these files, so the API documentation works without the
// internet: the script, its styles and a small initializer (no inline
// script, so the page keeps a strict Content-Security-Policy).
const swaggerDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const apiDocs: Plugin = {
  name: 'spectra-api-docs',
  apply: 'build',
  generateBundle() {
    for (const file of ['swagger-ui-bundle.js', 'swagger-ui.css']) {
      this.emitFile({ type: 'asset', fileName: `docs-assets/${file}`, source: readFileSync(path.join(swaggerDir, file)) });
    }
    this.emitFile({
      type: 'asset',
      fileName: 'docs-assets/init.js',
      source:
        // Areas collapsed: 130-odd operations open at once are a wall to a
        // reader, and Swagger UI 5.35 stops rendering an all-open document of
        // more than about 128 operations (no error; the rest never appear).
        "window.addEventListener('load', function () {\n" +
        "  window.SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, docExpansion: 'none' });\n" +
        '});\n',
    });
  },
};

// `npm run dev` talks to a server started with `make demo` (or set
// SPECTRA_URL).
const api = process.env.SPECTRA_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react(), keepPlaceholder, apiDocs],
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
