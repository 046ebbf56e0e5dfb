import { describe, expect, it } from 'vitest';
import { isAmchaosError } from '../errors/index.js';
import { labelKey } from '../history/types.js';
import { generateAlerts } from './generate.js';

describe('generateAlerts', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = generateAlerts({ seed: 42, groups: 20 });
    const b = generateAlerts({ seed: 42, groups: 20 });
    const c = generateAlerts({ seed: 43, groups: 20 });
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('pins the output of one seed (a change of generator or vocabulary must be deliberate)', () => {
    const first = generateAlerts({ seed: 1, groups: 3, alertsPerGroup: 2 }).map((s) => labelKey(s.labels));
    expect(first).toMatchInlineSnapshot(`
      [
        "{alertname="BackupFailed",env="prod",group="g0",instance="node-0.identity.example:9103",job="node",region="eu-west-1",severity="critical",team="identity"}",
        "{alertname="BackupFailed",env="staging",group="g0",instance="node-1.identity.example:9103",job="node",region="eu-west-1",severity="info",team="identity"}",
        "{alertname="CertificateExpiring",env="staging",group="g1",instance="ingress-0.mobile.example:9108",job="ingress",region="eu-west-1",severity="warning",team="mobile"}",
        "{alertname="CertificateExpiring",env="staging",group="g1",instance="ingress-1.mobile.example:9101",job="ingress",region="eu-west-1",severity="warning",team="mobile"}",
        "{alertname="HighMemory",env="prod",group="g2",instance="node-0.infra.example:9104",job="node",severity="critical",team="infra"}",
        "{alertname="HighMemory",env="staging",group="g2",instance="node-1.infra.example:9101",job="node",severity="critical",team="infra"}",
      ]
    `);
  });

  it('makes the asked number of groups and alerts, each alert distinct, each with an alertname', () => {
    const alerts = generateAlerts({ seed: 7, groups: 50, alertsPerGroup: { min: 2, max: 6 } });
    const groups = new Map<string, number>();
    for (const a of alerts) {
      expect(a.labels['alertname']).toBeTruthy();
      const g = `${a.labels['alertname']}/${a.labels['group']}`;
      groups.set(g, (groups.get(g) ?? 0) + 1);
    }
    expect(new Set(alerts.map((a) => a.labels['group'])).size).toBe(50);
    for (const n of groups.values()) {
      expect(n).toBeGreaterThanOrEqual(2);
      expect(n).toBeLessThanOrEqual(6);
    }
    expect(new Set(alerts.map((a) => labelKey(a.labels))).size).toBe(alerts.length);
    expect(generateAlerts({ seed: 7, groups: 5, alertsPerGroup: 3 })).toHaveLength(15);
  });

  it('varies label set shapes and values', () => {
    const alerts = generateAlerts({ seed: 3, groups: 40 });
    const shapes = new Set(alerts.map((a) => Object.keys(a.labels).sort().join(',')));
    expect(shapes.size).toBeGreaterThan(2);
    expect(new Set(alerts.map((a) => a.labels['severity'])).size).toBeGreaterThan(1);
    expect(new Set(alerts.map((a) => a.labels['alertname'])).size).toBeGreaterThan(5);
  });

  it('rejects bad options with AMCHAOS_BAD_ARGUMENT', () => {
    for (const bad of [{ seed: 1.5 }, { seed: 1, groups: 0 }, { seed: 1, alertsPerGroup: 0 }, { seed: 1, alertsPerGroup: { min: 3, max: 2 } }]) {
      let err: unknown;
      try {
        generateAlerts(bad);
      } catch (e) {
        err = e;
      }
      expect(isAmchaosError(err, 'AMCHAOS_BAD_ARGUMENT'), JSON.stringify(bad)).toBe(true);
    }
  });
});
