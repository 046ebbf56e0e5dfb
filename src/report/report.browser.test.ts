import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderRunIndex, renderRunReport } from './render.js';
import type { RunSummary } from '../summary/summary.js';
import { writeJudgedRun } from '../../test/support/report/judged-run.js';
import { unpackRecordedRun, type RecordedRun } from '../../test/support/report/recorded.js';
import { countPixels as countPixelsIn, DUP_RED, haveChromium, launchBrowser, openReport, screenshot, SHOTS, SKIP_REASON, CHROMIUM, type Browser, type Opened } from '../../test/support/report/browser.js';

/**
 * The reports in a real browser: headless Chromium (Debian's) driven by playwright-core. Checks
 * what a person sees (verdict, matrix, lanes, highlighted duplicates, zoom) and what must never
 * happen (console errors, dialogs, any network request). The runs are recorded real runs
 * (fixtures/histories/) and, for scale, a generated history judged by the real checkers.
 * Screenshots go to reports/screenshots/.
 */

if (!haveChromium) console.warn(`report.browser.test.ts skipped: ${SKIP_REASON}`);

let root: string;
let browser: Browser | undefined;
let context: BrowserContext | undefined;
const runs: Record<string, string> = {};
const metrics: Record<string, unknown> = {};

const open = (file: string, viewport?: { width: number; height: number }): Promise<Opened> => openReport(context!, file, viewport);
const shot = (page: Page, name: string, selector?: string) => screenshot(page, name, selector);
const countPixels = countPixelsIn;

describe.skipIf(!haveChromium)(`report in headless Chromium (${haveChromium ? CHROMIUM : SKIP_REASON})`, () => {
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'amchaos-browser-'));
    const reports = join(root, 'reports');
    const recorded: [RecordedRun, string][] = [
      ['pass', '2026-01-15T10:00:00.000Z'],
      ['markup', '2026-01-15T11:00:00.000Z'],
      ['partition', '2026-01-15T12:00:00.000Z'],
      ['latency-sweep', '2026-01-15T12:30:00.000Z'],
      ['restart', '2026-01-15T12:40:00.000Z'],
      ['expected', '2026-01-15T12:50:00.000Z'],
    ];
    for (const [name, startedAt] of recorded) {
      runs[name] = await unpackRecordedRun(name, reports, { startedAt });
      await renderRunReport(runs[name]);
    }
    // 10,000+ notifications: a generated split-brain history judged by the real checkers (rendered by them).
    runs['large'] = await writeJudgedRun(reports, 'large', { runId: 'large', startedAt: '2026-01-15T13:00:00.000Z', notifications: 10_000 });
    await renderRunIndex(reports);
    // Judged by the real checkers (real figure keys), in a folder of its own.
    runs['judged'] = await writeJudgedRun(join(root, 'judged'), 'routing-loss');
    browser = await launchBrowser();
    context = browser.context;
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
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
    // 0.25.0 ×3 and 0.33.1 ×3.
    expect(await page.locator('table.matrix tbody tr').count()).toBe(2);
    for (const id of ['#sc1-tl', '#sc2-tl']) {
      expect(await page.getAttribute(id, 'data-lanes')).toBe('receiver,n1,n2,n3');
      expect(await page.locator(`${id} canvas`).count()).toBe(1);
      expect(await countPixels(page, id, DUP_RED)).toBe(0);
    }
    await shot(page, 'pass-top.png');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a failing run: findings first, duplicates highlighted on the timeline and reachable from the evidence', { timeout: 60_000 }, async () => {
    // The control on 0.25.0 ×3 and 0.33.1 ×3, alerts whose labels hold markup: 8 duplicates each.
    const { page, problems } = await open(join(runs['markup']!, 'index.html'));
    expect(await page.locator('#verdict').innerText()).toBe('FAIL');
    expect(await page.locator('ol.findings li').first().innerText()).toMatch(/FAIL\s+exactly-once\/0\.25\.0x3\/no-cluster › exactly-once/);
    expect(await page.locator('table.matrix tbody tr').first().getAttribute('class')).toBe('row-fail');
    const tl = page.locator('.scenario').first().locator('.tl-chart');
    const id = await tl.getAttribute('id');
    expect(await tl.getAttribute('data-lanes')).toBe('receiver,n1,n2,n3');
    // Marks flagged duplicate: every copy of the 4 transitions each of the 3 nodes sent (12 notifications, 8 of them extra).
    expect(Number(await tl.getAttribute('data-duplicates'))).toBe(12);
    expect(await countPixels(page, `#${id}`, DUP_RED)).toBeGreaterThan(100);
    await shot(page, 'fail-top.png');
    await shot(page, 'fail-timeline.png', '.scenario .timeline');
    // "show on timeline" on the first evidence zooms in and names the duplicate.
    const before = Number(await tl.getAttribute('data-xmax')) - Number(await tl.getAttribute('data-xmin'));
    await page.locator('.check.c-fail ol.evidence button[data-zoom]').first().click();
    const detail = page.locator(`#${id?.replace(/-tl$/, '')}-detail`);
    await expect.poll(() => detail.innerText()).toMatch(/notification #\d+[^]*DUPLICATE/);
    const after = Number(await tl.getAttribute('data-xmax')) - Number(await tl.getAttribute('data-xmin'));
    expect(after).toBeLessThan(before / 2);
    // The user data in this run is markup; it must show as text and never run (a dialog is a problem).
    const text = await page.evaluate(() => document.body.innerText);
    expect(text).toContain('alertname="<script>alert(1)</script>"');
    expect(text).toContain('alertname="<img src=x onerror=alert(2)>"');
    expect(await page.locator('.scenario img, .scenario b').count()).toBe(0);
    await shot(page, 'markup-evidence.png', '.check.c-fail');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('for a person: the headline names the failed check first, figures have names with units and a description on hover, notifications per receiver and route', { timeout: 60_000 }, async () => {
    const { page, problems } = await open(join(runs['judged']!, 'index.html'));
    // The headline: no-loss failed (exactly-once held) — the failed check comes first.
    const answer = (await page.locator('#answer').innerText()).replace(/\s+/g, ' ');
    expect(answer).toMatch(/^Failed: no-loss in exactly-once\/0\.33\.1x3\. Held: exactly-once \(each of 6 group transitions while the cluster was healthy notified exactly once\); validity\.$/);
    await shot(page, 'person-top.png');
    // Headline figures: a readable name, the value with its unit, the description on hover.
    // Checks keep their summary.json order in their anchors: no-loss, exactly-once, validity.
    const noLoss = page.locator('#sc1-c1');
    expect(await noLoss.locator('h3').innerText()).toMatch(/^FAIL\s+no-loss/);
    const lost = noLoss.locator('.headline .fig[data-key="lostFiring"]');
    expect((await lost.innerText()).replace(/\s+/g, ' ')).toBe('1 alert Alerts never notified firing');
    expect(await lost.getAttribute('class')).toContain('bad');
    await lost.hover();
    expect(await lost.getAttribute('title')).toMatch(/^Per receiver and alert: owed a firing notification, and none came before the deadline/);
    // Every figure, in a table: name (description on hover), value with unit, the raw key of summary.json.
    await noLoss.locator('details.figures-box summary').click();
    const deadline = noLoss.locator('table.figures tr[data-key="fireDeadlineMs"]');
    expect((await deadline.innerText()).split('\t').map((c) => c.trim())).toEqual(['Firing deadline', '20500 ms (20.5 s)', 'fireDeadlineMs']);
    const label = deadline.locator('td.described');
    await label.hover();
    expect(await label.getAttribute('title')).toContain('(N−1) × peer timeout');
    expect(await noLoss.locator('table.figures tr[data-key="mutedDeliveriesIgnored"] td').first().innerText()).toBe('Deliveries during a silence, not counted');
    const raw = await noLoss.locator('table.figures td.key').allInnerTexts();
    const labels = await noLoss.locator('table.figures td:first-child').allInnerTexts();
    // Every figure the real no-loss checker wrote on this run has its row.
    const judged = JSON.parse(await readFile(join(runs['judged']!, 'summary.json'), 'utf8')) as RunSummary;
    const written = judged.scenarios[0]!.checks.find((c) => c.name === 'no-loss')!.figures;
    expect(raw.length).toBeGreaterThan(20);
    expect([...raw].sort()).toEqual(Object.keys(written).sort());
    expect(labels.filter((l, i) => l === raw[i])).toEqual([]); // no raw key shown as a name
    expect(await noLoss.locator('table.figures td:first-child:not([title])').count()).toBe(0); // each has its description
    const eo = page.locator('#sc1-c2');
    expect(await eo.locator('h3').innerText()).toMatch(/^PASS\s+exactly-once/);
    await eo.locator('details.figures-box summary').click();
    // The last transition was first delivered at t=18.12 s: + (3−1) × 2 s + 1 s retry + 0.5 s margin.
    expect((await eo.locator('tr[data-key="latestHorizon"]').innerText()).split('\t').map((c) => c.trim())).toEqual(['Latest horizon', 't=23.62 s', 'latestHorizon']);
    await shot(page, 'person-figures.png', '.check.c-fail');
    // Notifications per receiver and route: continue: true sends Disk to pager AND ops; Mem never reached default.
    const routes = page.locator('#sc1-routes table.routes-table');
    expect(await routes.isVisible()).toBe(true);
    const rows = (await routes.locator('tbody tr').allInnerTexts()).map((r) => r.split('\t').map((c) => c.trim()));
    expect(rows).toEqual([
      ['root', 'default', '(every alert)', 'stop', '1', '0', '0', '0', '0', '0', '0'],
      ['root.0', 'pager', 'severity="critical"', 'continue', '1', '1', '2', '1', '1', '1', '0'],
      ['root.1', 'ops', 'team="ops"', 'stop', '2', '2', '4', '2', '2', '2', '0'],
    ]);
    expect(await routes.locator('tbody tr').first().getAttribute('class')).toBe('warn');
    await shot(page, 'person-routes.png', '#sc1-routes');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the replay command is never cut off: it wraps in a narrow window and can be read whole', { timeout: 60_000 }, async () => {
    const { page, problems } = await open(join(runs['judged']!, 'index.html'), { width: 520, height: 900 });
    const replay = page.locator('#replay');
    const box = await replay.evaluate((e) => ({ scroll: e.scrollWidth, client: e.clientWidth, height: e.clientHeight, text: (e as HTMLElement).innerText }));
    expect(box.scroll).toBeLessThanOrEqual(box.client);
    expect(box.height).toBeGreaterThan(30); // wrapped onto more than one line
    expect(box.text).toBe('npx amchaos run --suite exactly-once --versions 0.33.1 --config my-routes.yml --out reports/judged-routing-loss --seed 7');
    await shot(page, 'replay-narrow.png', 'header.top');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a partition run: fault windows shaded, drag zooms both charts, double-click zooms out', { timeout: 60_000 }, async () => {
    // split-brain: n3 isolated from t=1.611 s to t=15.116 s of a 46.3 s scenario (history.jsonl).
    const { page, problems } = await open(join(runs['partition']!, 'index.html'));
    const tl = page.locator('#sc1-tl');
    expect(await tl.getAttribute('data-lanes')).toBe('receiver,n1,n2,n3');
    const span = Number(await tl.getAttribute('data-xmax')) - Number(await tl.getAttribute('data-xmin'));
    expect(span).toBeGreaterThan(45);
    // The partition band (translucent orange, rgba(230,120,0,0.16)) is drawn on the canvas.
    expect(await countPixels(page, '#sc1-tl', [230, 120, 0], 8, 20)).toBeGreaterThan(1000);
    await shot(page, 'partition-timeline.png', '#sc1 .timeline');
    const box = (await page.locator('#sc1-tl .u-over').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 8 });
    await page.mouse.up();
    const zoomed = [Number(await tl.getAttribute('data-xmin')), Number(await tl.getAttribute('data-xmax'))];
    expect(zoomed[1]! - zoomed[0]!).toBeLessThan(span * 0.3);
    expect(zoomed[0]).toBeGreaterThan(span * 0.2);
    await page.mouse.dblclick(box.x + box.width * 0.4, box.y + box.height / 2);
    await expect.poll(async () => Number(await tl.getAttribute('data-xmax')) - Number(await tl.getAttribute('data-xmin'))).toBeGreaterThan(span * 0.95);
    // Hovering inside the partition band, at t=5 s (no notification near), names the fault.
    const x0 = Number(await tl.getAttribute('data-xmin'));
    const x1 = Number(await tl.getAttribute('data-xmax'));
    await page.mouse.move(box.x + (box.width * (5 - x0)) / (x1 - x0), box.y + box.height * 0.9);
    await expect.poll(() => page.locator('.tip').innerText()).toMatch(/fault #1 partition: partition isolate n3/);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a latency sweep is charted: duplicate marks, the threshold and peer-timeout lines, the answer in words', { timeout: 60_000 }, async () => {
    const { page, problems } = await open(join(runs['latency-sweep']!, 'index.html'));
    const block = page.locator('#sc1 .sweep-block');
    expect(await block.locator('.answer').innerText()).toMatch(/^Duplicates start at 1938 ms .* 0\.97 × the peer timeout of 2 s\. Every probe below it \(4\) was notified exactly once\.$/);
    expect(await page.locator('#sc1-sweep canvas').count()).toBe(1);
    // Duplicate marks and the threshold line are drawn in the duplicates colour (#D55E00).
    expect(await countPixels(page, '#sc1-sweep', [0xd5, 0x5e, 0x00], 12)).toBeGreaterThan(200);
    // The dashed peer-timeout line (#555).
    expect(await countPixels(page, '#sc1-sweep', [0x55, 0x55, 0x55], 6)).toBeGreaterThan(50);
    await block.locator('summary').click();
    expect(await block.locator('table.probes tbody tr').count()).toBe(6);
    expect(await block.locator('table.probes tbody tr.bad').count()).toBe(2);
    await shot(page, 'latency-sweep.png', '#sc1 .sweep-block');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('node kills, restarts and a pause are marked on the node lane, and named on hover', { timeout: 60_000 }, async () => {
    // restart: n1 killed at t=6.767 s and t=14.951 s, paused t=23.166–32.175 s (history.jsonl).
    const { page, problems } = await open(join(runs['restart']!, 'index.html'));
    const tl = page.locator('#sc1-tl');
    // ✕ for the kills (and the exits they caused) in #C0392B, ‖ for the pause in #D35400.
    expect(await countPixels(page, '#sc1-tl', [0xc0, 0x39, 0x2b], 20)).toBeGreaterThan(20);
    expect(await countPixels(page, '#sc1-tl', [0xd3, 0x54, 0x00], 20)).toBeGreaterThan(5);
    await shot(page, 'restart-timeline.png', '#sc1 .timeline');
    const box = (await page.locator('#sc1-tl .u-over').boundingBox())!;
    const x0 = Number(await tl.getAttribute('data-xmin'));
    const x1 = Number(await tl.getAttribute('data-xmax'));
    const x = box.x + (box.width * (6.767 - x0)) / (x1 - x0);
    // Down the plot at the first kill until the tip names it (n1's lane).
    let named = '';
    for (let y = box.y + 2; y < box.y + box.height && !named; y += 4) {
      await page.mouse.move(x, y);
      const tip = page.locator('.tip');
      if (await tip.isVisible()) {
        const t = await tip.innerText();
        if (/^n1 (killed|exited)/.test(t)) named = t;
      }
    }
    expect(named).toMatch(/^n1 (killed|exited)\s+t=6\.767 s/);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('notifications the receiver refused are shown as not delivered, inside the receiver faults', { timeout: 60_000 }, async () => {
    // receiver-outage: 38 attempts answered 503 during fault #1 (summary.json: notificationsUndelivered).
    const { page, problems } = await open(join(runs['expected']!, 'index.html'));
    expect(await page.locator('#verdict').innerText()).toBe('EXPECTED FAIL');
    expect(await page.locator('table.matrix tbody tr').first().getAttribute('class')).toBe('row-expected');
    await shot(page, 'receiver-outage-timeline.png', '#sc1 .timeline');
    // Hover the first refused attempt (from the page's own data) until the tip describes it.
    const first = await page.evaluate(() => {
      const data = JSON.parse(document.getElementById('amchaos-data')!.textContent!) as { timelines: { n: { t: number[]; f: number[]; id: number[] } }[] };
      const n = data.timelines[0]!.n;
      const i = n.f.findIndex((f) => (f & 4) === 4);
      return { t: n.t[i]!, id: n.id[i]! };
    });
    expect(first.t).toBeGreaterThanOrEqual(6.737);
    expect(first.t).toBeLessThanOrEqual(11.782);
    const tl = page.locator('#sc1-tl');
    const box = (await page.locator('#sc1-tl .u-over').boundingBox())!;
    const x0 = Number(await tl.getAttribute('data-xmin'));
    const x1 = Number(await tl.getAttribute('data-xmax'));
    const x = box.x + (box.width * (first.t - x0)) / (x1 - x0);
    let described = '';
    for (let y = box.y + 2; y < box.y + box.height && !described; y += 3) {
      await page.mouse.move(x, y);
      const tip = page.locator('.tip');
      if ((await tip.isVisible()) && (await tip.innerText()).startsWith(`notification #${first.id} `)) described = await tip.innerText();
    }
    expect(described).toContain('not delivered');
    expect(described).toContain('answered 503');
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
    expect(await first.innerText()).toMatch(/FAIL\s+large/);
    expect(await page.locator('table.runs tbody tr').count()).toBe(7);
    const order = await page.locator('table.runs tbody tr td:nth-child(2)').allInnerTexts();
    expect(order).toEqual(['large', 'expected', 'restart', 'latency-sweep', 'partition', 'markup', 'pass']);
    expect(await page.locator('#trend-dups canvas').count()).toBe(1);
    await shot(page, 'index.png');
    expect(problems).toEqual([]);
    await page.close();
  });
});
