/**
 * `amchaos proxy`: runs until SIGINT/SIGTERM (or an abort), then closes everything it bound.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runProxyCommand } from './cli.js';
import { connectTcp, portOf, startTcpEcho, type TcpEcho } from '../../test/support/proxy/sockets.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Starts the command in-process; resolves once the API is up, with its URL and a promise for the end. */
async function startCommand(extra: Parameters<typeof runProxyCommand>[0] = {}): Promise<{ url: string; done: Promise<void> }> {
  let announce: (url: string) => void = () => {};
  const announced = new Promise<string>((r) => (announce = r));
  const done = runProxyCommand({
    listen: '127.0.0.1:0',
    ...extra,
    log: (line) => {
      const m = /API on (http:\/\/\S+)/.exec(line);
      if (m?.[1]) announce(m[1]);
    },
  });
  const url = await Promise.race([announced, done.then(() => Promise.reject(new Error('command ended before announcing')))]);
  return { url, done };
}

async function echoServer(): Promise<TcpEcho> {
  const e = await startTcpEcho();
  cleanups.push(() => e.close());
  return e;
}

describe('runProxyCommand', () => {
  it('serves the API until aborted, then closes the API and every proxy', async () => {
    const echo = await echoServer();
    const ac = new AbortController();
    const { url, done } = await startCommand({ signal: ac.signal });
    const res = await fetch(`${url}/proxies`, {
      method: 'POST',
      body: JSON.stringify({ name: 'x', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}`, udp: true }),
    });
    expect(res.status).toBe(201);
    const proxyPort = portOf(((await res.json()) as { listen: string }).listen);
    ac.abort();
    await done;
    await expect(connectTcp(proxyPort)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(fetch(`${url}/version`)).rejects.toThrow();
  });

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`stops cleanly on ${sig} and removes its signal handlers`, async () => {
      const before = process.listenerCount(sig);
      const { done } = await startCommand();
      expect(process.listenerCount(sig)).toBe(before + 1);
      process.emit(sig, sig);
      await done;
      expect(process.listenerCount(sig)).toBe(before);
    });
  }

  it('rejects a bad --listen before binding anything, leaving no handlers', async () => {
    const before = process.listenerCount('SIGTERM');
    await expect(runProxyCommand({ listen: 'localhost', log: () => {} })).rejects.toMatchObject({ code: 'AMCHAOS_BAD_ARGUMENT' });
    await expect(runProxyCommand({ listen: '127.0.0.1:70000', log: () => {} })).rejects.toMatchObject({ code: 'AMCHAOS_BAD_ARGUMENT' });
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });

  it('reports a taken API port as AMCHAOS_PORT_IN_USE', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => busy.close(() => r())));
    const port = (busy.address() as net.AddressInfo).port;
    await expect(runProxyCommand({ listen: `127.0.0.1:${port}`, log: () => {} })).rejects.toMatchObject({ code: 'AMCHAOS_PORT_IN_USE' });
  });

  it('--config creates the proxies of a populate file; a bad file is AMCHAOS_INVALID_CONFIG', async () => {
    const echo = await echoServer();
    const dir = await mkdtemp(join(tmpdir(), 'amchaos-proxy-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const good = join(dir, 'good.json');
    await writeFile(good, JSON.stringify([{ name: 'cfg', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` }]));
    const ac = new AbortController();
    const { url, done } = await startCommand({ config: good, signal: ac.signal });
    expect(Object.keys((await (await fetch(`${url}/proxies`)).json()) as object)).toEqual(['cfg']);
    ac.abort();
    await done;

    const bad = join(dir, 'bad.json');
    for (const content of ['not json', '{"name":"x"}', '[{"name":"x"}]']) {
      await writeFile(bad, content);
      await expect(runProxyCommand({ config: bad, listen: '127.0.0.1:0', log: () => {} })).rejects.toMatchObject({ code: 'AMCHAOS_INVALID_CONFIG' });
    }
    await expect(runProxyCommand({ config: join(dir, 'missing.json'), log: () => {} })).rejects.toMatchObject({ code: 'AMCHAOS_INVALID_CONFIG' });
  });
});

// A real signal to a real process needs the compiled module (there is no TypeScript loader for child processes here).
const compiled = fileURLToPath(new URL('../../dist/src/proxy/cli.js', import.meta.url));
const haveBuild = existsSync(compiled);

describe('as a separate process', () => {
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    it.skipIf(!haveBuild)(`exits 0 on a real ${sig} and frees its ports (needs a build: npx tsc -p tsconfig.build.json)`, { timeout: 20_000 }, async () => {
      const code = `import(${JSON.stringify(compiled)}).then((m) => m.runProxyCommand({ listen: '127.0.0.1:0' })).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'ignore', 'pipe'] });
      cleanups.push(async () => {
        if (child.exitCode === null) child.kill('SIGKILL');
      });
      let stderr = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          const m = /API on (http:\/\/\S+)/.exec(stderr);
          if (m?.[1]) resolve(m[1]);
        });
        child.once('exit', () => reject(new Error(`exited early: ${stderr}`)));
      });
      const res = await fetch(`${url}/proxies`, {
        method: 'POST',
        body: JSON.stringify({ name: 'x', listen: '127.0.0.1:0', upstream: '127.0.0.1:9', udp: true }),
      });
      const proxyPort = portOf(((await res.json()) as { listen: string }).listen);
      // 'close': the streams are drained then, so stderr holds the last line the proxy wrote.
      const exited = new Promise<number | null>((r) => child.once('close', (c) => r(c)));
      child.kill(sig);
      expect(await exited).toBe(0);
      expect(stderr).toContain(`stopping (${sig})`);
      await expect(connectTcp(proxyPort)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    });
  }
});
