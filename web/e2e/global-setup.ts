// Starts the real server for the browser tests: `bin/spectra demo` (its own
// PostgreSQL, migrations, demo data) on a free port in a fresh temporary
// data directory, and stops it and removes the directory afterwards.
// SPECTRA_E2E_URL set: use that server instead (e.g. a `make demo`).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const binary = path.join(root, 'bin/spectra');
// A real SMTP server for the server's e-mails (built by `make tools`); the
// tests read what it received through its API at SPECTRA_E2E_MAILPIT.
const mailpit = process.env.SPECTRA_TEST_MAILPIT || path.join(root, 'bin/tools/mailpit');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function waitReady(url: string, proc: ChildProcess, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`bin/spectra demo exited with ${proc.exitCode}; see its log`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`bin/spectra demo not ready at ${url} after ${timeoutMs} ms`);
}

function stop(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    const kill = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    proc.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    proc.kill('SIGTERM'); // the server stops its PostgreSQL on the way out
  });
}

export default async function globalSetup() {
  if (process.env.SPECTRA_E2E_URL) return;
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run make build (make test-e2e does)`);
  if (!existsSync(mailpit)) throw new Error(`${mailpit} is missing: run make tools`);

  const dataDir = mkdtempSync(path.join(tmpdir(), 'spectra-e2e-'));
  chmodSync(dataDir, 0o711); // under root the cluster runs as the postgres user, who must pass through
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = path.join(path.dirname(fileURLToPath(import.meta.url)), '../test-results/server.log');
  rmSync(logFile, { force: true });
  mkdirSync(path.dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile);

  const smtpPort = await freePort();
  const mailpitURL = `http://127.0.0.1:${await freePort()}`;
  const smtp = spawn(
    mailpit,
    ['--smtp', `127.0.0.1:${smtpPort}`, '--listen', mailpitURL.slice('http://'.length), '--database',
      path.join(dataDir, 'mailpit.db'), '--disable-version-check', '--smtp-disable-rdns', '--quiet'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  smtp.stdout?.pipe(log);
  smtp.stderr?.pipe(log);

  const proc = spawn(binary, ['demo'], {
    cwd: root,
    env: {
      ...process.env,
      SPECTRA_DATA_DIR: path.join(dataDir, 'data'),
      SPECTRA_ADDR: `127.0.0.1:${port}`,
      SPECTRA_PUBLIC_URL: url,
      SPECTRA_LOG_FORMAT: 'text',
      SPECTRA_SMTP_HOST: '127.0.0.1',
      SPECTRA_SMTP_PORT: String(smtpPort),
      SPECTRA_SMTP_TLS: 'none',
      SPECTRA_SMTP_FROM: 'SPECTRA-Lab <lims@demo.lab>',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout?.pipe(log);
  proc.stderr?.pipe(log);

  try {
    await waitReady(mailpitURL, smtp, 30_000); // mailpit answers /readyz too
    await waitReady(url, proc, 180_000);
  } catch (err) {
    await stop(proc);
    await stop(smtp);
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message} (log: ${logFile})`, { cause: err });
  }
  process.env.SPECTRA_E2E_URL = url;
  process.env.SPECTRA_E2E_MAILPIT = mailpitURL;

  return async () => {
    await stop(proc);
    await stop(smtp);
    log.end();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
