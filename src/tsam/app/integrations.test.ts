/**
 * Issue 15: tsam loads a user's real alertmanager.yml whatever integrations it names. The repository's
 * own fixture (an email receiver) starts through `amchaos tsam`; a config with every integration type
 * loads, delivers its webhook, logs each other integration once at start as not delivered, and counts
 * their notifications as failed. Where a real amtool is at hand, it must agree on which version
 * accepts which file.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { COMPAT_VERSIONS } from '../compat/compat.js';
import { ConfigError, parseConfig } from '../config/config.js';
import { parseCompat } from '../compat/compat.js';
import { captureServer, findRealAlertmanager, startTsam, tempDir } from '../../../test/support/tsam/nodes.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const ROUTING_EXAMPLE = path.join(root, 'fixtures/configs/routing-example.yml');
const EVERY = path.join(root, 'fixtures/configs/every-integration.yml');
const cli = path.join(root, 'bin/amchaos.js');
const built = existsSync(path.join(root, 'dist/src/tsam/main.js'));
if (!built) console.warn('SKIP `amchaos tsam` process test: run `npm run build` first');

const OTHERS = ['email', 'slack', 'pagerduty', 'opsgenie', 'wechat', 'pushover', 'victorops', 'sns', 'telegram', 'discord', 'webex', 'msteams', 'msteamsv2', 'jira', 'rocketchat', 'mattermost', 'incidentio'];

describe('every receiver integration type', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  it.skipIf(!built)('`amchaos tsam` starts on fixtures/configs/routing-example.yml and says the email receiver is not delivered', { timeout: 20_000 }, async () => {
    const tmp = await tempDir('fixture');
    cleanups.push(tmp.cleanup);
    const proc = spawn(process.execPath, [cli, 'tsam', `--config.file=${ROUTING_EXAMPLE}`, `--storage.path=${tmp.dir}`, '--web.listen-address=127.0.0.1:0', '--cluster.listen-address='], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
    cleanups.push(async () => {
      if (proc.exitCode === null) proc.kill('SIGKILL');
    });
    await vi.waitFor(() => expect(out).toMatch(/msg="Listening on"/), { timeout: 10_000, interval: 50 });
    const warnings = out.split('\n').filter((l) => l.includes('tsam does not deliver to this integration'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('receiver=default');
    expect(warnings[0]).toContain('integration=email');
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it.each(COMPAT_VERSIONS)('%s: the fixture loads (email parsed, not delivered)', (v) => {
    const cfg = parseConfig(readFileSync(ROUTING_EXAMPLE, 'utf8'), parseCompat(v));
    expect(cfg.receivers.map((r) => [r.name, r.others.map((o) => o.name), r.webhookConfigs.length])).toEqual([
      ['default', ['email'], 0],
      ['pager', [], 1],
    ]);
    expect(cfg.original).toContain('email_configs:');
  });

  it.each(COMPAT_VERSIONS)('%s: every integration the version knows loads; the others are unknown fields, as amtool says', async (v) => {
    const text = readFileSync(EVERY, 'utf8');
    let tsamError: string | undefined;
    try {
      parseConfig(text, parseCompat(v));
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      tsamError = e.message;
    }
    if (v === '0.33.1') expect(tsamError).toBeUndefined();
    else expect(tsamError).toMatch(/field (incidentio|mattermost|slack_app_token|jira_api_url|telegram_bot_token)\S* not found/);
    const real = await findRealAlertmanager(v);
    const amtool = real && path.join(path.dirname(real), 'amtool');
    if (!amtool || !existsSync(amtool)) return;
    const r = spawnSync(amtool, ['check-config', EVERY], { encoding: 'utf8' });
    expect({ v, accepted: r.status === 0 }).toEqual({ v, accepted: tsamError === undefined });
  });

  it('0.33.1: delivers the webhook, counts every other integration as failed, says so once at start', { timeout: 20_000 }, async () => {
    const cap = await captureServer();
    cleanups.push(cap.close);
    const tmp = await tempDir('every');
    cleanups.push(tmp.cleanup);
    const text = readFileSync(EVERY, 'utf8').replace('http://127.0.0.1:9/hook', `${cap.url}/hook`);
    const node = await startTsam(text, tmp.dir, ['--tsam.compat=0.33.1']);
    cleanups.push(node.stop);
    const warned = node.logs.filter((l) => l.includes('tsam does not deliver to this integration'));
    expect(warned.map((l) => /integration=(\S+)/.exec(l)?.[1]).sort()).toEqual([...OTHERS].sort());
    await fetch(`${node.url}/api/v2/alerts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify([{ labels: { alertname: 'Every' } }]) });
    expect(await cap.waitFor(1, 5000)).toHaveLength(1);
    // Each integration counts when its own stage ends (the webhook's after the capture answered):
    // wait for every counter, not for the first one only.
    const metrics = await vi.waitFor(async () => {
      const m = await (await fetch(`${node.url}/metrics`)).text();
      for (const name of OTHERS) {
        expect(m).toContain(`alertmanager_notifications_total{integration="${name}"} 1`);
        expect(m).toContain(`alertmanager_notifications_failed_total{integration="${name}",reason="other"} 1`);
      }
      expect(m).toContain('alertmanager_notifications_total{integration="webhook"} 1');
      return m;
    }, { timeout: 10_000, interval: 50 });
    expect(metrics).toContain('alertmanager_integrations 18');
    // Still said once: a later flush does not repeat the warning.
    expect(node.logs.filter((l) => l.includes('tsam does not deliver to this integration'))).toHaveLength(OTHERS.length);
    const status = (await (await fetch(`${node.url}/api/v2/status`)).json()) as { config: { original: string } };
    for (const secret of ['smtp-secret', 'pd-secret', 'po-token', 'webex-secret', 'incidentio-secret', 'hooks.slack.example.org', 'discord.example.org']) {
      expect(status.config.original).not.toContain(secret);
    }
  });
});
