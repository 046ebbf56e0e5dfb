/**
 * tsam as a process, started exactly like the binary: `node dist/src/tsam/main.js [flags]`.
 * Needs the build (`npm run build`, which `npm test` runs first).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeMeshSilence, splitDelimited } from './statepb/statepb.js';
import { tempDir } from '../../test/support/tsam/nodes.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const entry = path.resolve(here, '../../dist/src/tsam/main.js');
const built = existsSync(entry) && statSync(entry).mtimeMs >= statSync(path.join(here, 'main.ts')).mtimeMs;
if (!built) console.warn(`SKIP tsam process tests: ${entry} is missing or older than main.ts; run \`npm run build\` first`);

const CONFIG = 'route:\n  receiver: r\nreceivers:\n  - name: r\n';

function run(args: string[]) {
  const proc = spawn(process.execPath, [entry, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  // 'close', not 'exit': at 'exit' the child's stdout/stderr may still hold its last lines (the
  // error a test then looks for).
  const exit = new Promise<number | null>((r) => proc.once('close', (code) => r(code)));
  return { proc, out: () => out, exit };
}

describe.skipIf(!built)('tsam process (drop-in command line)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  it('rejects unknown flags like kingpin, exit 1', async () => {
    const p = run(['--bogus']);
    expect(await p.exit).toBe(1);
    expect(p.out()).toContain("tsam: error: unknown long flag '--bogus', try --help");
  });

  it('fails with exit 1 on a bad config, naming the problem', async () => {
    const tmp = await tempDir('main-bad');
    cleanups.push(tmp.cleanup);
    const cfg = path.join(tmp.dir, 'am.yml');
    await writeFile(cfg, 'route:\n  receiver: nope\n');
    const p = run([`--config.file=${cfg}`, `--storage.path=${tmp.dir}`, '--web.listen-address=127.0.0.1:0', '--cluster.listen-address=']);
    expect(await p.exit).toBe(1);
    expect(p.out()).toContain('undefined receiver \\"nope\\" used in route');
  });

  it('logs "Listening on", reloads on SIGHUP, and on SIGTERM writes snapshots and exits 0', { timeout: 20_000 }, async () => {
    const tmp = await tempDir('main');
    cleanups.push(tmp.cleanup);
    const cfg = path.join(tmp.dir, 'am.yml');
    await writeFile(cfg, CONFIG);
    const p = run([`--config.file=${cfg}`, '--storage.path', tmp.dir, '--web.listen-address=127.0.0.1:0', '--cluster.listen-address=', '--log.level=debug']);
    cleanups.push(async () => {
      if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
    });
    let addr: string | undefined;
    for (let i = 0; i < 100 && !addr; i++) {
      addr = /msg="Listening on" address=(\S+)/.exec(p.out())?.[1];
      if (!addr) await new Promise((r) => setTimeout(r, 50));
    }
    expect(addr).toMatch(/^127\.0\.0\.1:\d+$/);
    const url = `http://${addr}`;
    const st = (await (await fetch(`${url}/api/v2/status`)).json()) as { cluster: { status: string } };
    expect(st.cluster.status).toBe('disabled');
    const res = await fetch(`${url}/api/v2/silences`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        matchers: [{ name: 'a', value: 'b', isRegex: false }],
        startsAt: new Date().toISOString(),
        endsAt: new Date(Date.now() + 60_000).toISOString(),
        createdBy: 't',
        comment: 'c',
      }),
    });
    const { silenceID } = (await res.json()) as { silenceID: string };

    p.proc.kill('SIGHUP');
    for (let i = 0; i < 200 && p.out().split('Completed loading of configuration file').length < 3; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(p.out().split('Completed loading of configuration file').length).toBe(3);

    p.proc.kill('SIGTERM');
    expect(await p.exit).toBe(0);
    expect(p.out()).toContain('Received SIGTERM, exiting gracefully...');
    const snap = readFileSync(path.join(tmp.dir, 'silences'));
    expect(splitDelimited(snap).map((b) => decodeMeshSilence(b).silence.id)).toEqual([silenceID]);
    expect(existsSync(path.join(tmp.dir, 'nflog'))).toBe(true);
  });
});
