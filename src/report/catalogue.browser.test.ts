import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unpackRecordedRun } from '../../test/support/report/recorded.js';
import { CHROMIUM, haveChromium, launchBrowser, openReport, screenshot, SKIP_REASON, type Browser } from '../../test/support/report/browser.js';
import type { RunSummary } from '../summary/summary.js';
import { mergeRunDirs } from './merge.js';

/** The catalogue's matrix page in headless Chromium: no console error, no request, every cell, links into the report. */
describe.skipIf(!haveChromium)(`catalogue.html in headless Chromium (${haveChromium ? CHROMIUM : SKIP_REASON})`, () => {
  let root: string;
  let browser: Browser;
  let out: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'amchaos-catalogue-browser-'));
    // A recorded real split-brain run; the claim and the catalogue cells are written onto it (the page is under test, not the claim).
    const run = await unpackRecordedRun('partition', root, { dirName: 'part' });
    const s = JSON.parse(await readFile(join(run, 'summary.json'), 'utf8')) as RunSummary;
    const mode = { id: 'split-brain', rows: [6], title: 'Split brain <by design>', trigger: 'a partition', upstream: ['prometheus/alertmanager#1340'] };
    s.scenarios[0]!.claim = {
      mode,
      statement: 'each side notifies',
      controlStatement: 'after the heal: once',
      result: 'reproduced',
      summary: '4 of 4 transitions delivered twice',
      fault: { result: 'reproduced', summary: 'seen', evidence: [{ kind: 'copies', message: 'two copies', events: [s.scenarios[0]!.historyRange[0] + 1] }], figures: {} },
      control: { result: 'not-reproduced', summary: 'once', evidence: [], figures: {} },
    };
    s.catalogue = {
      versions: ['0.25.0', 'tsam'],
      modes: [mode],
      cells: [
        { mode: 'split-brain', version: '0.25.0', suite: 'split-brain', scenario: s.scenarios[0]!.id, cluster: '0.25.0x3', result: 'reproduced', summary: '4 of 4 transitions delivered twice' },
        { mode: 'split-brain', version: 'tsam', suite: 'split-brain', cluster: 'tsamx3', result: 'unknown', summary: 'cannot be had here: <script>alert(1)</script>' },
      ],
    };
    await writeFile(join(run, 'summary.json'), JSON.stringify(s));
    out = join(root, 'merged');
    await mergeRunDirs([run], out);
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('shows the matrix, escapes what it shows, and each decided cell opens the scenario’s claim in the report', async () => {
    const { page, problems } = await openReport(browser.context, join(out, 'catalogue.html'));
    expect(problems).toEqual([]);
    expect(await page.locator('table.catalogue tbody tr').count()).toBe(1);
    expect(await page.locator('table.catalogue td.cell-fail').count()).toBe(1);
    expect(await page.locator('table.catalogue td.cell-unknown').count()).toBe(1);
    expect(await page.textContent('table.catalogue')).toContain('Split brain <by design>');
    expect(await page.textContent('table.catalogue')).toContain('<script>alert(1)</script>');
    const href = await page.getAttribute('table.catalogue td.cell-fail a', 'href');
    expect(href).toMatch(/^index\.html#sc1-claim$/);
    await screenshot(page, 'catalogue.png');
    const report = await openReport(browser.context, join(out, 'index.html'));
    expect(report.problems).toEqual([]);
    expect(await report.page.locator('#sc1-claim').textContent()).toContain('reproduced');
    expect(await report.page.locator('a[href="catalogue.html"]').count()).toBe(1);
  });
});
