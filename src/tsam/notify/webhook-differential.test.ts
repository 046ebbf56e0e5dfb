/**
 * The webhook request tsam sends, compared byte for byte with what a real Alertmanager of the same
 * version sends for the same alerts and config (only externalURL differs, by construction).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { captureServer, findRealAlertmanager, howToGetReal, startReal, startTsam, tempDir, type Captured } from '../../../test/support/tsam/nodes.js';

const VERSIONS = ['0.25.0', '0.28.1', '0.33.1'] as const;
const found = Object.fromEntries(await Promise.all(VERSIONS.map(async (v) => [v, await findRealAlertmanager(v)] as const)));
for (const v of VERSIONS) if (!found[v]) console.warn(`SKIP webhook differential ${v}: ${howToGetReal(v)}`);

const config = (url: string): string => `
route:
  receiver: 'team.a'
  group_by: [alertname]
  group_wait: 5s
  group_interval: 1h
receivers:
  - name: 'team.a'
    webhook_configs:
      - url: ${url}/one
        send_resolved: true
      - url: ${url}/two
        send_resolved: false
        max_alerts: 1
`;

/** An RFC 3339 time at `ms` written in another offset, with nanoseconds: Go keeps both (issue 14 row 8). */
function offsetTime(ms: number, offsetMinutes: number, nanos: string): string {
  const local = new Date(Math.floor(ms / 1000) * 1000 + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const a = Math.abs(offsetMinutes);
  const zone = `${offsetMinutes < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
  return `${local}.${nanos}${zone}`;
}

/**
 * Every startsAt lies within group_wait of now. An alert older than group_wait makes Alertmanager
 * flush its group at once, as that alert is inserted: the real binary then races its own POST
 * handler (a fresh clone's npm test, on a loaded machine, got a notification with one of the five
 * alerts from real 0.25.0 and 0.28.1), while tsam inserts a whole POST before it flushes.
 */
function alerts(): unknown[] {
  const start = new Date(Math.floor(Date.now() / 1000) * 1000 - 2_000 + 250).toISOString();
  const future = new Date(Date.now() + 3_600_000).toISOString();
  const past = new Date(Math.floor(Date.now() / 1000) * 1000 - 1500).toISOString();
  return [
    { labels: { alertname: 'Disk', instance: 'b', job: 'node' }, annotations: { summary: 'disk <full> & "hot"', runbook: 'r1' }, startsAt: start, endsAt: future, generatorURL: 'http://prom/graph?g0.expr=up&x=<1>' },
    { labels: { alertname: 'Disk', instance: 'a', job: 'node' }, annotations: { summary: 'disk <full> & "hot"', runbook: 'r2' }, startsAt: start, endsAt: future },
    { labels: { alertname: 'Disk', instance: 'c', job: 'node' }, annotations: { summary: 'gone' }, startsAt: start, endsAt: past },
    { labels: { alertname: 'Ünïcode', zone: 'ä\u00a0ö' }, annotations: {}, startsAt: start, endsAt: future },
    // The client's offset and nanoseconds survive into the webhook (firing and resolved).
    { labels: { alertname: 'Disk', instance: 'd', job: 'node' }, annotations: {}, startsAt: offsetTime(Date.now() - 2_000, 120, '123456789'), endsAt: offsetTime(Date.now() + 3_600_000, -330, '5') },
    { labels: { alertname: 'Disk', instance: 'e', job: 'node' }, annotations: {}, startsAt: offsetTime(Date.now() - 2_000, 345, '000000100'), endsAt: offsetTime(Date.now() - 1500, -600, '987654321') },
  ];
}

function byPath(xs: Captured[], externalURL: string): Record<string, { raw: string; ua: string | undefined; headers: string[] }> {
  const out: Record<string, { raw: string; ua: string | undefined; headers: string[] }> = {};
  for (const c of xs) {
    const key = `${c.path} ${(c.body['groupKey'] as string) ?? ''}`;
    out[key] = {
      raw: c.raw.split(JSON.stringify(externalURL)).join('"<externalURL>"'),
      // Debian's 0.28.1 reports "0.28.1+ds".
      ua: c.headers['user-agent']?.replace('+ds', ''),
      headers: Object.keys(c.headers).filter((h) => h !== 'connection').sort(),
    };
  }
  return out;
}

describe('webhook requests match real Alertmanager byte for byte', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  for (const version of VERSIONS) {
    it.skipIf(!found[version])(version, { timeout: 30_000 }, async () => {
      const capReal = await captureServer();
      cleanups.push(capReal.close);
      const capTsam = await captureServer();
      cleanups.push(capTsam.close);
      const d1 = await tempDir('wh-real');
      cleanups.push(d1.cleanup);
      const d2 = await tempDir('wh-tsam');
      cleanups.push(d2.cleanup);
      const real = await startReal(found[version]!, config(capReal.url), d1.dir, ['--web.external-url=http://real.example:1/']);
      cleanups.push(real.stop);
      const ts = await startTsam(config(capTsam.url), d2.dir, [`--tsam.compat=${version}`, '--web.external-url=http://tsam.example:2/']);
      cleanups.push(ts.stop);
      const body = JSON.stringify(alerts());
      const post = (u: string) => fetch(`${u}/api/v2/alerts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
      await Promise.all([post(real.url), post(ts.url)]);
      // Two groups × two integrations.
      await Promise.all([capReal.waitFor(4, 10_000), capTsam.waitFor(4, 10_000)]);
      expect(capTsam.received).toHaveLength(4);
      expect(byPath(capTsam.received, 'http://tsam.example:2')).toEqual(byPath(capReal.received, 'http://real.example:1'));
    });
  }
});
