import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countPixels, DUP_RED, haveChromium, launchBrowser, openReport, screenshot, SKIP_REASON, type Browser } from '../test/support/report/browser.js';
import { SUITES } from './index.js';
import { clusterCases, runForTest } from '../test/support/suites/clusters.js';

/**
 * The report of REAL runs, as a person sees it: a passing 0.25.0 + 0.33.1 run and its --no-cluster
 * control, opened in headless Chromium. No console errors, no network requests, the verdict and the
 * matrix visible, one lane per node plus the receiver, the control's duplicates highlighted; the
 * JUnit XML parses; the reports index lists both runs.
 */
const cases = await clusterCases([['0.25.0', '0.25.0', '0.25.0'], ['0.33.1', '0.33.1', '0.33.1']]);
const skip = !haveChromium ? SKIP_REASON : cases.find((c) => c.skip)?.skip;

describe.skipIf(skip !== undefined)(`reports of real runs in Chromium${skip ? ` — skipped: ${skip}` : ''}`, () => {
  let browser: Browser;
  let passDir: string;
  let failDir: string;

  beforeAll(async () => {
    const clusters = cases.map((c) => c.versions);
    // The two runs are independent clusters on their own ports: side by side, they take half as long.
    const [pass, fail] = await Promise.all([
      runForTest('report-r5', { suite: 'exactly-once', clusters }),
      runForTest('report-r6', { suite: 'exactly-once', clusters, clustered: false }),
    ]);
    passDir = pass.runDir;
    failDir = fail.runDir;
    browser = await launchBrowser();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('the passing run: verdict, matrix with both versions, one lane per node plus the receiver, nothing broken', { timeout: 60_000 }, async () => {
    const { page, problems } = await openReport(browser.context, join(passDir, 'index.html'));
    expect(await page.locator('#verdict').innerText()).toBe('PASS');
    expect(await page.locator('table.matrix').isVisible()).toBe(true);
    expect(await page.locator('table.matrix tbody tr').count()).toBe(2);
    const lanes = await page.locator('.tl-chart').evaluateAll((els) => els.map((e) => e.getAttribute('data-lanes')));
    expect(lanes).toEqual(['receiver,n1,n2,n3', 'receiver,n1,n2,n3']);
    expect(await countPixels(page, '.tl-chart', DUP_RED)).toBe(0);
    await screenshot(page, 'real-pass.png');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the --no-cluster control: FAIL, duplicates highlighted on the timeline, evidence listed', { timeout: 60_000 }, async () => {
    const { page, problems } = await openReport(browser.context, join(failDir, 'index.html'));
    expect(await page.locator('#verdict').innerText()).toBe('FAIL');
    const tl = page.locator('.tl-chart').first();
    expect(await tl.getAttribute('data-lanes')).toBe('receiver,n1,n2,n3');
    expect(Number(await tl.getAttribute('data-duplicates'))).toBeGreaterThan(0);
    expect(await countPixels(page, `#${await tl.getAttribute('id')}`, DUP_RED)).toBeGreaterThan(50);
    expect(await page.locator('.check.c-fail ol.evidence li').count()).toBeGreaterThan(0);
    await screenshot(page, 'real-no-cluster.png');
    await screenshot(page, 'real-no-cluster-timeline.png', '.scenario .timeline');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('junit.xml parses with one test case per scenario × check; the reports index lists both runs', { timeout: 60_000 }, async () => {
    // Two scenarios per run (0.25.0 and 0.33.1), each judged by the suite's checks.
    const checks = SUITES['exactly-once']!.checks.length;
    const expected: Array<[string, number]> = [[passDir, 0], [failDir, 2]];
    for (const [dir, failures] of expected) {
      const xml = new XMLParser({ ignoreAttributes: false }).parse(await readFile(join(dir, 'junit.xml'), 'utf8'));
      const suites = [xml.testsuites.testsuite].flat() as { testcase: unknown }[];
      const cases = suites.flatMap((s) => [s.testcase].flat()) as Record<string, unknown>[];
      expect(cases.length).toBe(2 * checks);
      // The control fails exactly-once in both clusters; nothing else fails or errs.
      expect(cases.filter((c) => c['failure'] !== undefined).map((c) => String(c['@_name']).split(' ')[0])).toEqual(Array(failures).fill('exactly-once'));
      expect(cases.filter((c) => c['error'] !== undefined)).toEqual([]);
    }
    const index = resolve(passDir, '..', 'index.html');
    const { page, problems } = await openReport(browser.context, index);
    const text = await page.locator('body').innerText();
    expect(text).toContain('report-r5');
    expect(text).toContain('report-r6');
    await screenshot(page, 'real-index.png');
    expect(problems).toEqual([]);
    await page.close();
  });
});
