/**
 * Headless Chromium for the admin pages' tests: Debian's /usr/bin/chromium driven by playwright-core
 * (which never downloads a browser of its own), a fresh profile per launch, a WordPress login by the
 * real form, a full-page screenshot written as a test artefact, and an axe-core scan.
 *
 *   const browser = await launchBrowser();            // once per test file ({ javaScript: false } too)
 *   const page = await browser.logIn(site, ADMIN_USER, ADMIN_PASSWORD);
 *   await page.goto(`${site.url}/wp-admin/tools.php?page=…`);
 *   await screenshot(page, 'scheduled-actions');      // test-artifacts/screenshots/scheduled-actions.png
 *   assertAccessible(await scanAccessibility(page));   // no serious or critical violation
 *   await browser.close();
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { REPO_ROOT, type WordPressSite } from './wordpress-site.ts';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The flags every launch uses (MISSION.md): no sandbox as root, nothing that reaches the network. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const IN_CI = /^(1|true)$/i.test(process.env.CI ?? '');

/**
 * For `describe(…, { skip })` beside wordpressSkipReason: undefined when Chromium is installed. Without
 * it the browser tests fail under CI=true and are skipped, loudly, elsewhere.
 */
export function chromiumSkipReason(suite: string): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  const reason = `Chromium is not installed at ${CHROMIUM_PATH} (Debian's chromium package)`;
  if (IN_CI) throw new Error(`${suite}: ${reason} (CI=true: the browser tests must run, not skip)`);
  process.stderr.write(`\n!! SKIPPING the browser tests (${suite}): ${reason}\n`);
  return reason;
}

/** Git-ignored; named in the README. Screenshots land in its `screenshots/` folder. */
export const ARTIFACTS_DIR = path.join(REPO_ROOT, 'test-artifacts');
export const SCREENSHOTS_DIR = path.join(ARTIFACTS_DIR, 'screenshots');

export interface TestBrowser {
  readonly context: BrowserContext;
  /**
   * Log in as `user` through wp-login.php and return a new page on wp-admin. The browser's cookies are
   * cleared first: one user at a time per browser (launch another for a second user at once).
   */
  logIn(site: WordPressSite, user: string, password: string): Promise<Page>;
  /** A new page with the current cookies (nobody logged in after `logOut`). */
  newPage(): Promise<Page>;
  logOut(): Promise<void>;
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** false: a browser with JavaScript off, to show a page works server-rendered. Default true. */
  javaScript?: boolean;
}

/**
 * Launch Chromium on a fresh profile folder from mkdtemp (removed by `close`). playwright-core
 * takes a profile folder only through a persistent context, so each browser is one context.
 */
export async function launchBrowser(options: LaunchOptions = {}): Promise<TestBrowser> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'wecoza-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      // playwright adds --headless itself when headless is true; ours is the same flag.
      headless: true,
      args: CHROMIUM_FLAGS,
      javaScriptEnabled: options.javaScript ?? true,
      viewport: { width: 1280, height: 900 },
      timeout: 60_000,
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  // The persistent context opens one blank page; later pages are ours.
  for (const page of context.pages()) await page.close().catch(() => undefined);
  return {
    context,
    async logIn(site, user, password) {
      await context.clearCookies();
      const page = await context.newPage();
      await page.goto(`${site.url}/wp-login.php`);
      await page.fill('#user_login', user);
      await page.fill('#user_pass', password);
      await Promise.all([page.waitForURL(/\/wp-admin\//, { timeout: 30_000 }), page.click('#wp-submit')]);
      return page;
    },
    newPage: () => context.newPage(),
    logOut: () => context.clearCookies(),
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Click something that loads a page (a link, a submit button, an admin-post round trip that
 * redirects back) and wait for that page's load, even when it has the same URL as the one before.
 */
export async function clickAndLoad(page: Page, target: Locator, timeoutMs = 45_000): Promise<void> {
  // waitForNavigation is deprecated for waitForURL, which cannot tell a reload of the same URL.
  await Promise.all([page.waitForNavigation({ waitUntil: 'load', timeout: timeoutMs }), target.click()]);
}

/** A full-page PNG under test-artifacts/screenshots/; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS_DIR, { recursive: true });
  const file = path.join(SCREENSHOTS_DIR, `${name.replace(/[^A-Za-z0-9._-]+/g, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export interface AxeViolation {
  id: string;
  impact: 'minor' | 'moderate' | 'serious' | 'critical' | null;
  help: string;
  nodes: Array<{ target: string[]; html: string }>;
}

export interface AxeResult {
  violations: AxeViolation[];
  passes: number;
  url: string;
}

const AXE_SCRIPT = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/**
 * Run axe-core (from npm, injected from its file) over the page, or over `include` (a CSS selector)
 * when given. Every rule axe enables by default runs (WCAG 2.x A and AA, best practices).
 */
export async function scanAccessibility(page: Page, options: { include?: string } = {}): Promise<AxeResult> {
  await page.addScriptTag({ path: AXE_SCRIPT });
  return page.evaluate(async (include) => {
    // Runs in the page: no DOM types in this project's tsconfig, so the globals are typed here.
    const page = globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<any> }; document: unknown; location: { href: string } };
    const result = await page.axe.run(include ?? page.document, { resultTypes: ['violations'] });
    return {
      url: page.location.href,
      passes: result.passes.length,
      violations: result.violations.map((violation: any) => ({
        id: violation.id,
        impact: violation.impact ?? null,
        help: violation.help,
        nodes: violation.nodes.map((node: any) => ({ target: node.target.map(String), html: String(node.html).slice(0, 300) })),
      })),
    };
  }, options.include ?? null);
}

/** Violations of impact serious or critical. */
export function seriousViolations(result: AxeResult): AxeViolation[] {
  return result.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}

/** Fails with every serious or critical violation listed (rule, help, the first nodes). */
export function assertAccessible(result: AxeResult): void {
  const serious = seriousViolations(result);
  assert.deepEqual(
    serious.map((violation) => `${violation.impact} ${violation.id}: ${violation.help} — ${violation.nodes.slice(0, 3).map((node) => node.target.join(' ')).join(', ')}`),
    [],
    `axe-core found serious or critical violations on ${result.url}`,
  );
}
