// What every browser test uses: the server's URL, logging in as a demo
// role, calling the API directly, and full-page screenshots saved under
// e2e-artifacts/ (gitignored; CI keeps them as artefacts).
import { test as base, expect, type APIRequestContext, type Page, type TestInfo } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type Role = 'admin' | 'pi' | 'engineer' | 'tech' | 'viewer';
export type Org = 'demo-lab' | 'test-org';

const passwords: Record<Role, string> = { admin: 'admin123', pi: 'pi123', engineer: 'eng123', tech: 'tech123', viewer: 'view123' };
const domains: Record<Org, string> = { 'demo-lab': 'demo.lab', 'test-org': 'test.org' };
/** The role name the server reports (the login of a technician is tech@…). */
export const roleName: Record<Role, string> = { admin: 'admin', pi: 'pi', engineer: 'engineer', tech: 'technician', viewer: 'viewer' };

export function credentials(role: Role, org: Org = 'demo-lab') {
  return { username: `${role}@${domains[org]}`, password: passwords[role] };
}

const artifacts = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../e2e-artifacts');

/** Saves a full-page screenshot as e2e-artifacts/<file>-<test>-<name>.png. */
export async function shot(page: Page, info: TestInfo, name: string) {
  mkdirSync(artifacts, { recursive: true });
  const slug = `${path.basename(info.file, '.spec.ts')}-${info.title}-${name}`.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
  await page.screenshot({ path: path.join(artifacts, `${slug}.png`), fullPage: true });
}

/** Fills the login form; does not wait for what comes after. */
export async function fillLogin(page: Page, role: Role, org: Org = 'demo-lab') {
  const c = credentials(role, org);
  await page.getByTestId('username').fill(c.username);
  await page.getByTestId('password').fill(c.password);
  await page.getByTestId('submit').click();
}

/** Logs in through the login page and waits for the app shell. */
export async function loginAs(page: Page, role: Role, org: Org = 'demo-lab') {
  await page.goto('/login');
  await fillLogin(page, role, org);
  await expect(page.getByTestId('user-menu')).toContainText(roleName[role]);
}

/** An access token for direct API calls (setup and clean-up, not the thing tested). */
export async function apiToken(request: APIRequestContext, role: Role, org: Org = 'demo-lab'): Promise<string> {
  const res = await request.post('/auth/login', { data: credentials(role, org) });
  expect(res.status(), await res.text()).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** A unique e-mail no account has yet. */
export function freshEmail(prefix = 'e2e'): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}@example.test`;
}

/**
 * A new account that is a member of org with role, made the way people
 * join (set-up, not the thing tested): org's admin invites the e-mail and
 * the invitation is accepted with a name and a password.
 */
export async function invitedAccount(
  request: APIRequestContext,
  role: string,
  org: Org = 'demo-lab',
): Promise<{ username: string; password: string; name: string }> {
  const token = await apiToken(request, 'admin', org);
  const username = freshEmail();
  const inv = await request.post('/api/admin/invitations', {
    headers: { Authorization: `Bearer ${token}` },
    data: { email: username, role },
  });
  expect(inv.status(), await inv.text()).toBe(201);
  const { token: invitation } = (await inv.json()) as { token: string };
  const account = { username, password: `pw-${Math.random().toString(36).slice(2)}-e2e`, name: `E2E ${username.split('@')[0]}` };
  const accepted = await request.post('/auth/invitations/accept', {
    data: { token: invitation, password: account.password, name: account.name },
  });
  expect(accepted.status(), await accepted.text()).toBe(200);
  return account;
}

/** Logs in through the login page with these credentials and waits for the app shell. */
export async function loginWith(page: Page, c: { username: string; password: string }) {
  await page.goto('/login');
  await page.getByTestId('username').fill(c.username);
  await page.getByTestId('password').fill(c.password);
  await page.getByTestId('submit').click();
  await expect(page.getByTestId('user-menu')).toBeVisible();
}

export const test = base.extend({
  // The server global-setup started (or the one SPECTRA_E2E_URL names).
  baseURL: async ({}, use) => {
    const url = process.env.SPECTRA_E2E_URL;
    if (!url) throw new Error('SPECTRA_E2E_URL unset: run through playwright.config.ts (global setup starts the server)');
    await use(url);
  },
});

export { expect };

/**
 * A planned run of the approved IV Sweep on the calibrated SMU, made by the
 * engineer through the API (set-up, not the thing tested); notes tell it apart.
 */
export async function plannedIVRun(request: APIRequestContext, notes: string): Promise<{ id: string }> {
  const eng = await apiToken(request, 'engineer');
  const get = async <T>(url: string): Promise<T> => {
    const res = await request.get(url, { headers: { Authorization: `Bearer ${eng}` } });
    expect(res.status(), await res.text()).toBe(200);
    return (await res.json()) as T;
  };
  const recipes = await get<{ items: { id: string; name: string }[] }>('/api/lims/recipes?status=approved&q=IV%20Sweep');
  const samples = await get<{ items: { id: string }[] }>('/api/lims/samples?limit=1');
  const status = await get<{ items: { instrument: { id: string; name: string } }[] }>('/api/analysis/calibrations/status');
  const smu = status.items.find((i) => i.instrument.name === 'Keithley 2450 SMU');
  const created = await request.post('/api/analysis/runs', {
    headers: { Authorization: `Bearer ${eng}` },
    data: {
      recipe_id: recipes.items.find((r) => r.name === 'IV Sweep')?.id,
      sample_id: samples.items[0]?.id,
      instrument_ids: [smu?.instrument.id],
      parameters: {},
      notes,
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  return (await created.json()) as { id: string };
}

/** A running run of the approved IV sweep on the SMU, started by the engineer. */
export async function runningIVRun(request: APIRequestContext, notes: string): Promise<string> {
  const run = await plannedIVRun(request, notes);
  const eng = await apiToken(request, 'engineer');
  const started = await request.post(`/api/analysis/runs/${run.id}/start`, { headers: { Authorization: `Bearer ${eng}` }, data: {} });
  expect(started.status(), await started.text()).toBe(200);
  return run.id;
}
