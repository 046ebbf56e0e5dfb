/**
 * Snapshot interop with real binaries, both ways, per version:
 *   real node notifies and holds a silence → graceful stop writes nflog+silences →
 *   tsam starts on that directory: same silences in the API, and it does NOT re-notify the group the
 *   real node notified (group key, receiver identity and alert hash all agree) → tsam stops and writes
 *   its own snapshot → the real node starts on it: same silences, and it does not re-notify the
 *   groups tsam notified either. A never-seen group is notified each time (the control).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { captureServer, findRealAlertmanager, howToGetReal, startReal, startTsam, tempDir } from '../../../test/support/tsam/nodes.js';

const VERSIONS = ['0.25.0', '0.28.1', '0.33.1'] as const;
const found = Object.fromEntries(await Promise.all(VERSIONS.map(async (v) => [v, await findRealAlertmanager(v)] as const)));
for (const v of VERSIONS) if (!found[v]) console.warn(`SKIP snapshot interop ${v}: ${howToGetReal(v)}`);

const config = (url: string): string => `
route:
  receiver: cap
  group_by: [alertname, a, a1]
  group_wait: 500ms
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: cap
    webhook_configs:
      - url: ${url}/hook
`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

const alert = (name: string) => [{ labels: { alertname: name, a: '1', a1: '2' } }];

describe('nflog and silences snapshots interoperate with real Alertmanager', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  for (const version of VERSIONS) {
    it.skipIf(!found[version])(`${version}: real → tsam → real`, { timeout: 60_000 }, async () => {
      const cap = await captureServer();
      cleanups.push(cap.close);
      const dir = await tempDir(`interop-${version}`);
      cleanups.push(dir.cleanup);
      const cfg = config(cap.url);
      const names = () => cap.received.map((c) => (c.body['groupLabels'] as Record<string, string>)['alertname']);

      // 1. The real node notifies Foo and holds one active silence.
      let am = await startReal(found[version]!, cfg, dir.dir);
      cleanups.push(am.stop);
      const now = Date.now();
      expect(
        (
          await postJson(`${am.url}/api/v2/silences`, {
            matchers: [
              { name: 'alertname', value: 'Quiet', isRegex: false, isEqual: true },
              { name: 'job', value: 'a|b', isRegex: true, isEqual: false },
            ],
            startsAt: new Date(now).toISOString(),
            endsAt: new Date(now + 3_600_000).toISOString(),
            createdBy: 'interop',
            comment: 'made by the real node',
          })
        ).status,
      ).toBe(200);
      await postJson(`${am.url}/api/v2/alerts`, alert('Foo'));
      await cap.waitFor(1, 10_000);
      expect(names()).toEqual(['Foo']);
      const realSilences = await (await fetch(`${am.url}/api/v2/silences`)).json();
      await am.stop();

      // 2. tsam on the real node's snapshots.
      const ts = await startTsam(cfg, dir.dir, [`--tsam.compat=${version}`]);
      cleanups.push(ts.stop);
      expect(await (await fetch(`${ts.url}/api/v2/silences`)).json()).toEqual(realSilences);
      expect(ts.app.nflog.size()).toBe(1);
      await postJson(`${ts.url}/api/v2/alerts`, [...alert('Foo'), ...alert('Bar')]);
      await cap.waitFor(2, 10_000);
      await sleep(1500);
      expect(names()).toEqual(['Foo', 'Bar']);
      await ts.stop();

      // 3. The real node again, on tsam's snapshots.
      am = await startReal(found[version]!, cfg, dir.dir);
      cleanups.push(am.stop);
      expect(await (await fetch(`${am.url}/api/v2/silences`)).json()).toEqual(realSilences);
      await postJson(`${am.url}/api/v2/alerts`, [...alert('Foo'), ...alert('Bar'), ...alert('Baz')]);
      await cap.waitFor(3, 10_000);
      await sleep(1500);
      expect(names()).toEqual(['Foo', 'Bar', 'Baz']);
    });
  }

  // The negative case: a 0.25.0 nflog read with 0.28+ label ordering has other group keys
  // ({a="1", a1="2", …} instead of {a1="2", a="1", …}), so the group is notified again. This is the
  // documented upstream incompatibility, and it shows the test above can fail.
  it.skipIf(!found['0.25.0'])('0.25.0 snapshot read with 0.33.1 ordering re-notifies', { timeout: 60_000 }, async () => {
    const cap = await captureServer();
    cleanups.push(cap.close);
    const dir = await tempDir('interop-neg');
    cleanups.push(dir.cleanup);
    const cfg = config(cap.url);
    const am = await startReal(found['0.25.0']!, cfg, dir.dir);
    cleanups.push(am.stop);
    await postJson(`${am.url}/api/v2/alerts`, alert('Foo'));
    await cap.waitFor(1, 10_000);
    await am.stop();
    const ts = await startTsam(cfg, dir.dir, ['--tsam.compat=0.33.1']);
    cleanups.push(ts.stop);
    await postJson(`${ts.url}/api/v2/alerts`, alert('Foo'));
    const got = await cap.waitFor(2, 10_000);
    expect(got).toHaveLength(2);
    expect(got[0]!.body['groupKey']).toBe('{}:{a1="2", a="1", alertname="Foo"}');
    expect(got[1]!.body['groupKey']).toBe('{}:{a="1", a1="2", alertname="Foo"}');
  });
});
