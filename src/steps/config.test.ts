import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { userConfig } from '../topology/config.js';
import { DEFAULT_TIMERS } from '../topology/timers.js';
import { phaseMatcher, phaseRoutesConfig } from './config.js';

describe('a suite’s own config (phaseRoutesConfig)', () => {
  const groupBy = ['alertname', 'svc', 'svc1'];
  const yaml = phaseRoutesConfig(DEFAULT_TIMERS, [
    { phase: 'a', groupBy, repeatIntervalMs: 3_000 },
    { phase: 'b', groupBy, continue: true, regex: true },
  ]);

  it('is plain YAML: a list two routes share is written twice, never as an anchor and alias (tsam refused `*a1`)', () => {
    expect(yaml).not.toMatch(/[&*]a\d/);
    const doc = parse(yaml) as { route: { routes: { group_by: string[]; matchers: string[]; continue?: boolean }[] } };
    expect(doc.route.routes.map((r) => r.group_by)).toEqual([groupBy, groupBy]);
    expect(doc.route.routes[1]!.matchers).toEqual(['amchaos_phase=~"b"']);
    expect(doc.route.routes[1]!.continue).toBe(true);
  });

  it('records each route with its timers and the matcher onSuiteRoute names', () => {
    const c = userConfig(yaml, 'suite x', 'http://127.0.0.1:9');
    expect(c.routes.map((r) => r.matchers)).toEqual([[], [phaseMatcher('a')], ['amchaos_phase=~"b"']]);
    expect(c.routes[1]!.repeatIntervalMs).toBe(3_000);
    expect(c.routes[2]!.repeatIntervalMs).toBe(DEFAULT_TIMERS.repeatIntervalMs);
  });
});
