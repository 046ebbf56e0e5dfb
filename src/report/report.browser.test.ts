import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderRunIndex, renderRunReport } from './render.js';
import { writeFixtureRun } from './testing/fixture-run.js';

/**
 * The reports in a real browser: headless Chromium (Debian's) driven by playwright-core. Checks
 * what a person sees (verdict, matrix, lanes, highlighted duplicates, zoom) and what must never
 * happen (console errors, any network request). Screenshots go to reports/screenshots/.
 */

const CHROMIUM = process.env['AMCHAOS_CHROMIUM'] ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const SKIP_REASON = `needs Chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set AMCHAOS_CHROMIUM to a Chromium binary)`;
if (!haveChromium) console.warn(`report.browser.test.ts skipped: ${SKIP_REASON}`);

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHOTS = join(REPO, 'reports', 'screenshots');

let root: string;
let userDataDir: string;
let context: BrowserContext | undefined;
const runs: Record<string, string> = {};
const metrics: Record<string, unknown> = {};

interface Opened {
  page: Page;
  problems: string[];
  /** From the client script's start to the second frame after the charts were built. */
  renderMs: number;
  /** From navigation start to that frame (includes parsing the HTML and the data block). */
  paintedMs: number;
}

/** Opens a report; every console error, page error or non-file request is a problem. */
async function open(file: string, viewport = { width: 1400, height: 900 }): Promise<Opened> {
  const page = await context!.newPage();
  await page.setViewportSize(viewport);
  const problems: string[] = [];
  const url = pathToFileURL(file).href;
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (r.url() !== url) problems.push(`request: ${r.url()}`);
  });
  await page.goto(url);
  await page.waitForSelector('html[data-rendered="true"]', { timeout: 60_000 });
  const renderMs = Number(await page.getAttribute('html', 'data-render-ms'));
  const paintedMs = Number(await page.getAttribute('html', 'data-painted-ms'));
  return { page, problems, renderMs, paintedMs };
}

async function shot(page: Page, name: string, selector?: string): Promise<void> {
  await mkdir(SHOTS, { recursive: true });
  if (selector) await page.locator(selector).first().screenshot({ path: join(SHOTS, name) });
  else await page.screenshot({ path: join(SHOTS, name) });
}

/**
 * Pixels of a chart canvas close to a colour (the duplicate ring is #D7191C). The canvas is
 * transparent where nothing is drawn, so translucent fills are matched by their own RGB.
 */
async function countPixels(page: Page, selector: string, rgb: [number, number, number], tolerance = 30, minAlpha = 200): Promise<number> {
  return page.evaluate(
    ([sel, [r, g, b], tol, alpha]) => {
      const canvas = document.querySelector(`${sel} canvas`) as HTMLCanvasElement | null;
      if (!canvas) return -1;
      const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i]! - r) < tol && Math.abs(d[i + 1]! - g) < tol && Math.abs(d[i + 2]! - b) < tol && d[i + 3]! > alpha) n++;
      return n;
    },
    [selector, rgb, tolerance, minAlpha] as const,
  );
}

const DUP_RED: [number, number, number] = [0xd7, 0x19, 0x1c];

describe.skipIf(!haveChromium)(`report in headless Chromium (${haveChromium ? CHROMIUM : SKIP_REASON})`, () => {
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'amchaos-browser-'));
    const reports = join(root, 'reports');
    runs['pass'] = await writeFixtureRun(reports, 'pass', { startedAt: '2026-01-15T10:00:00.000Z' });
    runs['no-cluster'] = await writeFixtureRun(reports, 'no-cluster', { startedAt: '2026-01-15T11:00:00.000Z' });
    runs['partition'] = await writeFixtureRun(reports, 'partition', { startedAt: '2026-01-15T12:00:00.000Z' });
    runs['large'] = await writeFixtureRun(reports, 'large', { startedAt: '2026-01-15T13:00:00.000Z', notifications: 10_000 });
    for (const dir of Object.values(runs)) await renderRunReport(dir);
    await renderRunIndex(reports);
    userDataDir = await mkdtemp(join(tmpdir(), 'amchaos-chromium-'));
    const { chromium } = await import('playwright-core');
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    // Belt and braces: whatever the page asks for outside its own file is refused (and reported above).
    await context.route('**/*', (route) => (route.request().url().startsWith('file://') ? route.continue() : route.abort()));
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
    if (root) await rm(root, { recursive: true, force: true });
    if (Object.keys(metrics).length) {
      await mkdir(SHOTS, { recursive: true });
      await writeFile(join(SHOTS, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
    }
  });

  it('a passing run: verdict, matrix and one lane per node plus the receiver, without errors or requests', { timeout: 60_000 }, async () => {
    const { page, problems } = await open(join(runs['pass']!, 'index.html'));
    expect(await page.locator('#verdict').innerText()).toBe('PASS');
    expect(await page.locator('#verdict').isVisible()).toBe(true);
    expect(await page.locator('table.matrix').isVisible()).toBe(true);
    expect(await page.locator('table.matrix tbody tr').count()).toBe(1);
    expect(await page.getAttribute('#sc1-tl', 'data-lanes')).toBe('receiver,n1,n2,n3');
    expect(await page.locator('#sc1-tl canvas').count()).toBe(1);
    expect(await countPixels(page, '#sc1-tl', DUP_RED)).toBe(0);
    await shot(page, 'pass-top.png');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a failing run: findings first, duplicates highlighted on the timeline and reachable from the evidence', { timeout: 60_000 }, async () => {
    const { page, problems } = await open(join(runs['no-cluster']!, 'index.html'));
    expect(await page.locator('#verdict').innerText()).toBe('FAIL');
    expect(await page.locator('ol.findings li').first().innerText()).toMatch(/FAIL\s+control\/0\.28\.1x3-no-cluster › exactly-once/);
    expect(await page.locator('table.matrix tbody tr').first().getAttribute('class')).toBe('row-fail');
    const tl = page.locator('.scenario').first().locator('.tl-chart');
    const id = await tl.getAttribute('id');
    expect(await tl.getAttribute('data-lanes')).toBe('receiver,n1,n2,n3');
    expect(Number(await tl.getAttribute('data-duplicates'))).toBe(36);
    expect(await countPixels(page, `#${id}`, DUP_RED)).toBeGreaterThan(200);
    await shot(page, 'fail-top.png');
    await shot(page, 'fail-timeline.png', '.scenario .timeline');
    // "show on timeline" on the first evidence zooms in and names the duplicate.
    const before = Number(await tl.getAttribute('data-xmax')) - Number(await tl.getAttribute('data-xmin'));
    await page.locator('.check.c-fail ol.evidence button[data-zoom]').first().click();
    const detail = page.locator(`#${id?.replace(/-tl$/, '')}-detail`);
    await expect.poll(() => detail.innerText()).toMatch(/notification #\d+[^]*DUPLICATE/);
    const after = Number(await tl.getAttribute('data-xmax')) - Number(await tl.getAttribute('data-xmin'));
    expect(after).toBeLessThan(before / 2);
    // The user data in this run is markup; it must show as text and never run.
    expect(await page.evaluate(() => document.body.innerText.includes('DiskFull</script><script>alert('))).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a partition run: fault windows shaded, drag zooms both charts, double-click zooms out', { timeout: 60_000 }, async () => {
    const { page, problems } = await open(join(runs['partition']!, 'index.html'));
    const tl = page.locator('#sc1-tl');
    expect(await tl.getAttribute('data-lanes')).toBe('receiver,n1,n2,n3');
    // The partition band (translucent orange, rgba(230,120,0,0.16)) is drawn on the canvas.
    expect(await countPixels(page, '#sc1-tl', [230, 120, 0], 8, 20)).toBeGreaterThan(1000);
    await shot(page, 'partition-timeline.png', '#sc1 .timeline');
    const box = (await page.locator('#sc1-tl .u-over').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 8 });
    await page.mouse.up();
    const zoomed = [Number(await tl.getAttribute('data-xmin')), Number(await tl.getAttribute('data-xmax'))];
    expect(zoomed[1]! - zoomed[0]!).toBeLessThan(30);
    expect(zoomed[0]).toBeGreaterThan(15);
    await page.mouse.dblclick(box.x + box.width * 0.4, box.y + box.height / 2);
    await expect.poll(async () => Number(await tl.getAttribute('data-xmax')) - Number(await tl.getAttribute('data-xmin'))).toBeGreaterThan(70);
    // Hovering inside the partition band names the fault.
    const x = box.x + box.width * (30 / 80);
    await page.mouse.move(x, box.y + box.height * 0.9);
    await expect.poll(() => page.locator('.tip').innerText()).toMatch(/fault #1 partition: isolate n1/);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a 10,000-notification run renders every mark, and its size and render time are recorded', { timeout: 120_000 }, async () => {
    const file = join(runs['large']!, 'index.html');
    const bytes = (await stat(file)).size;
    const { page, problems, renderMs, paintedMs } = await open(file);
    const tl = page.locator('#sc1-tl');
    const marks = Number(await tl.getAttribute('data-marks'));
    expect(marks).toBeGreaterThanOrEqual(10_000);
    expect(await tl.getAttribute('data-lanes')).toBe('receiver,n1,n2,n3,n4,n5');
    expect(await page.locator('#sc1-cap').count()).toBe(0);
    expect(await countPixels(page, '#sc1-tl', DUP_RED)).toBeGreaterThan(100);
    await shot(page, 'large-timeline.png', '#sc1 .timeline');
    // Interaction still works at this size.
    const box = (await page.locator('#sc1-tl .u-over').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.4, box.y + 10);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.45, box.y + 10, { steps: 5 });
    await page.mouse.up();
    await shot(page, 'large-zoomed.png', '#sc1 .timeline');
    metrics['large'] = { notifications: marks, htmlBytes: bytes, renderMs, paintedMs, historyBytes: (await stat(join(runs['large']!, 'history.jsonl'))).size };
    console.log(`10k report: ${marks} notifications, index.html ${(bytes / 1024).toFixed(0)} KiB, charts drawn in ${renderMs} ms, first frame with charts ${paintedMs} ms after navigation (headless Chromium)`);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the reports index: runs newest first with verdicts and a duplicates trend', { timeout: 60_000 }, async () => {
    const { page, problems } = await open(join(root, 'reports', 'index.html'));
    const first = page.locator('table.runs tbody tr').first();
    expect(await first.innerText()).toMatch(/FAIL\s+20260115-130000-large/);
    expect(await page.locator('table.runs tbody tr').count()).toBe(4);
    expect(await page.locator('#trend-dups canvas').count()).toBe(1);
    await shot(page, 'index.png');
    expect(problems).toEqual([]);
    await page.close();
  });
});
