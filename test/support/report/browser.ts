import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';

/**
 * Test support: reports in a real browser — Debian's headless Chromium driven by playwright-core.
 * Every console error or warning, page error, dialog (alert() run by user data), and request for
 * anything but the report file itself is collected as a problem; tests expect none.
 */
export const CHROMIUM = process.env['AMCHAOS_CHROMIUM'] ?? '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
export const SKIP_REASON = `needs Chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (bash .ci/setup does) or set AMCHAOS_CHROMIUM to a Chromium binary`;

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SHOTS = join(REPO, 'reports', 'screenshots');

export interface Opened {
  page: Page;
  problems: string[];
  /** From the client script's start to the second frame after the charts were built. */
  renderMs: number;
  /** From navigation start to that frame (includes parsing the HTML and the data block). */
  paintedMs: number;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches Chromium with a fresh profile; every non-file request is refused. */
export async function launchBrowser(): Promise<Browser> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'amchaos-chromium-'));
  const { chromium } = await import('playwright-core');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // Belt and braces: whatever the page asks for outside its own file is refused (and reported).
  await context.route('**/*', (route) => (route.request().url().startsWith('file://') ? route.continue() : route.abort()));
  return {
    context,
    close: async () => {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Opens a report; every console error, page error or non-file request is a problem. */
export async function openReport(context: BrowserContext, file: string, viewport = { width: 1400, height: 900 }): Promise<Opened> {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  const problems: string[] = [];
  const url = pathToFileURL(file).href;
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // A label like <script>alert(1)</script> that ran would open a dialog.
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.type()} ${d.message()}`);
    void d.dismiss();
  });
  page.on('request', (r) => {
    if (r.url() !== url) problems.push(`request: ${r.url()}`);
  });
  await page.goto(url);
  await page.waitForSelector('html[data-rendered="true"]', { timeout: 60_000 });
  const renderMs = Number(await page.getAttribute('html', 'data-render-ms'));
  const paintedMs = Number(await page.getAttribute('html', 'data-painted-ms'));
  return { page, problems, renderMs, paintedMs };
}

export async function screenshot(page: Page, name: string, selector?: string): Promise<void> {
  await mkdir(SHOTS, { recursive: true });
  if (selector) await page.locator(selector).first().screenshot({ path: join(SHOTS, name) });
  else await page.screenshot({ path: join(SHOTS, name) });
}

/**
 * Pixels of a chart canvas close to a colour (the duplicate ring is #D7191C). The canvas is
 * transparent where nothing is drawn, so translucent fills are matched by their own RGB.
 */
export async function countPixels(page: Page, selector: string, rgb: [number, number, number], tolerance = 30, minAlpha = 200): Promise<number> {
  return page.evaluate(
    ([sel, [r, g, b], tol, alpha]) => {
      const canvas = document.querySelector(`${sel} canvas`) as HTMLCanvasElement | null;
      if (!canvas) return -1;
      // Read through a copy made for reading: repeated getImageData on the chart's own canvas makes
      // Chrome warn on the console, which the tests count as a problem of the page.
      const copy = document.createElement('canvas');
      copy.width = canvas.width;
      copy.height = canvas.height;
      const ctx = copy.getContext('2d', { willReadFrequently: true })!;
      ctx.drawImage(canvas, 0, 0);
      const d = ctx.getImageData(0, 0, copy.width, copy.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i]! - r) < tol && Math.abs(d[i + 1]! - g) < tol && Math.abs(d[i + 2]! - b) < tol && d[i + 3]! > alpha) n++;
      return n;
    },
    [selector, rgb, tolerance, minAlpha] as const,
  );
}

export const DUP_RED: [number, number, number] = [0xd7, 0x19, 0x1c];
