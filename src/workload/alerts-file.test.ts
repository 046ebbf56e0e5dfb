import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmchaosError, isAmchaosError } from '../errors/index.js';
import { loadAlertsFile, parseAlertsYaml } from './alerts-file.js';

const EXAMPLE = fileURLToPath(new URL('../../fixtures/alerts/example.yaml', import.meta.url));

function failure(text: string): AmchaosError {
  try {
    parseAlertsYaml(text, 'alerts.yaml');
  } catch (e) {
    expect(isAmchaosError(e, 'AMCHAOS_INVALID_ALERTS_FILE'), String(e)).toBe(true);
    expect((e as AmchaosError).hint).toMatch(/YAML list/);
    return e as AmchaosError;
  }
  throw new Error(`expected this alerts file to be rejected:\n${text}`);
}

describe('alerts file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'amchaos-alerts-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the example file (short and long forms, annotations)', async () => {
    const alerts = await loadAlertsFile(EXAMPLE);
    expect(alerts).toHaveLength(4);
    expect(alerts[0]).toEqual({
      labels: { alertname: 'HighCPU', group: 'web', severity: 'warning', instance: 'web-1.example:9100', job: 'node', team: 'infra' },
    });
    expect(alerts[2]?.annotations?.['summary']).toBe('Disk on db-1 is above 95%');
    expect(alerts[3]?.labels).toEqual({ alertname: 'InstanceDown', group: 'api', severity: 'critical', instance: 'api-1.example:8080', job: 'api' });
  });

  it('loads a file from disk and names a missing one', async () => {
    const f = join(dir, 'ok.yaml');
    await writeFile(f, '- alertname: A\n  instance: "1"\n');
    expect(await loadAlertsFile(f)).toEqual([{ labels: { alertname: 'A', instance: '1' } }]);
    const e = await loadAlertsFile(join(dir, 'missing.yaml')).catch((x: unknown) => x);
    expect(isAmchaosError(e, 'AMCHAOS_INVALID_ALERTS_FILE')).toBe(true);
    expect((e as Error).message).toContain('missing.yaml');
  });

  it('rejects broken YAML with the line', () => {
    expect(failure('- alertname: A\n  b: [x\n- c: d\n').message).toMatch(/^alerts\.yaml:3: not valid YAML/);
    expect(failure('- alertname: A\n  alertname: B\n').message).toMatch(/alerts\.yaml:2: not valid YAML: .*unique/i);
  });

  it('rejects files that are not a non-empty list of maps', () => {
    expect(failure('').message).toMatch(/empty/);
    expect(failure('# only a comment\n').message).toMatch(/empty/);
    expect(failure('alertname: A\n').message).toMatch(/alerts\.yaml:1: the top level must be a list/);
    expect(failure('[]\n').message).toMatch(/list of alerts is empty/);
    expect(failure('- alertname: A\n- just a string\n').message).toMatch(/alerts\.yaml:2: alert #2 must be a map/);
  });

  it('rejects bad labels and values with the line of the culprit', () => {
    expect(failure('- alertname: A\n  port: 9100\n').message).toMatch(/alerts\.yaml:2: alert #1: the value of "port" must be a string, got 9100 \(quote it/);
    expect(failure('- alertname: A\n  up: true\n').message).toMatch(/:2: .*"up" must be a string/);
    expect(failure('- alertname: A\n  0bad: x\n').message).toMatch(/:2: .*label name "0bad" is invalid/);
    expect(failure('- alertname: A\n  __meta: x\n').message).toMatch(/:2: .*reserved/);
    expect(failure('- alertname: A\n  team: ""\n').message).toMatch(/:2: .*"team" is empty/);
    expect(failure('- alertname: A\n  nested: { a: b }\n').message).toMatch(/:2: .*got a list or map/);
    expect(failure('- {}\n').message).toMatch(/:1: alert #1 has no labels/);
  });

  it('rejects duplicate alerts naming both lines', () => {
    const e = failure('- alertname: A\n  x: "1"\n- alertname: B\n- x: "1"\n  alertname: A\n');
    expect(e.message).toMatch(/alerts\.yaml:4: alert #3 has the same labels as the alert on line 1/);
  });

  it('rejects unknown keys and bad annotations in the long form', () => {
    expect(failure('- labels: { alertname: A }\n  targets: [n1]\n').message).toMatch(/:2: alert #1: unknown key "targets"/);
    expect(failure('- labels: { alertname: A }\n  annotations: [x]\n').message).toMatch(/:2: alert #1 annotations must be a map/);
    expect(failure('- labels: { alertname: A }\n  annotations: { n: 1 }\n').message).toMatch(/:2: .*annotations: the value of "n" must be a string/);
  });
});
