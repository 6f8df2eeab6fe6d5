import { defineConfig } from '@playwright/test';

// Browser tests against the real binary (bin/spectra demo, started by
// e2e/global-setup.ts on a free port with a fresh database), driving
// Debian's Chromium: Playwright never downloads a browser here.
export default defineConfig({
  testDir: './e2e',
  outputDir: './test-results',
  globalSetup: './e2e/global-setup.ts',
  // Two cores: the server, PostgreSQL and two browsers share them.
  workers: 2,
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  // One retry in CI, on a 2-core machine shared by the server, PostgreSQL
  // and two browsers: a test that passes only on retry is reported as
  // flaky in the list output, never hidden; one that fails twice fails.
  retries: process.env.CI ? 1 : 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [['list']] : [['list']],
  use: {
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
