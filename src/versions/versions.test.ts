import { mkdtemp, mkdir, copyFile, rm, writeFile, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAmchaosError } from '../errors/index.js';
import { execFileCollect } from '../util/exec.js';
import { which } from '../util/fs.js';
import { findDebianMirror, parseDeb822, parseOneLine } from './apt-sources.js';
import { DebianProvider, resolveVersion, defaultResolveOptions, UpstreamProvider, listVersions, resolvePrometheus, listPrometheusVersions } from './index.js';

describe('apt sources', () => {
  it('finds the Debian mirror in deb822 and skips security/updates', () => {
    const text = [
      'Types: deb',
      'URIs: http://mirror.example/debian-security',
      'Suites: bookworm-security',
      'Components: main',
      '',
      'Types: deb',
      'URIs: http://mirror.example/debian',
      'Suites: bookworm bookworm-updates',
      'Components: main',
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
    ].join('\n');
    const sources = parseDeb822(text, 'x.sources');
    expect(sources).toHaveLength(2);
    expect(findDebianMirror(sources)).toEqual({
      uri: 'http://mirror.example/debian',
      signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg',
    });
  });

  it('reads one-line sources with options and ignores deb-src and disabled stanzas', () => {
    const one = parseOneLine('deb-src http://m/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://m/debian bookworm main contrib\n', 'l');
    expect(findDebianMirror(one)).toEqual({ uri: 'http://m/debian', signedBy: '/k.gpg' });
    expect(parseDeb822('Enabled: no\nTypes: deb\nURIs: http://m\nSuites: sid\nComponents: main\n', 'f')).toEqual([]);
    expect(findDebianMirror(parseOneLine('deb http://m/x cloud-sdk/stable main\n', 'l'))).toBeUndefined();
  });
});

const hasApt = (await which('apt-get')) !== undefined && (await which('dpkg-deb')) !== undefined;

describe('version resolution', () => {
  it('refuses an unknown version, listing what is available and how to add more', async () => {
    const err = await resolveVersion('0.99.7').catch((e: unknown) => e);
    expect(isAmchaosError(err, 'AMCHAOS_UNKNOWN_VERSION')).toBe(true);
    const e = err as { message: string; hint: string };
    expect(e.message).toContain('0.99.7');
    expect(e.message).toContain('0.28.1');
    expect(e.hint).toContain('upstream:');
  });

  it('refuses a tsam fault that does not exist, and a path that is not executable', async () => {
    await expect(resolveVersion('tsam:no-such-fault')).rejects.toMatchObject({ code: 'AMCHAOS_UNKNOWN_VERSION' });
    await expect(resolveVersion('/etc/hostname')).rejects.toMatchObject({ code: 'AMCHAOS_UNKNOWN_VERSION' });
    await expect(resolveVersion('')).rejects.toMatchObject({ code: 'AMCHAOS_BAD_ARGUMENT' });
  });

  it.skipIf(!hasApt)('fetches 0.28.1 and 0.33.1 from Debian into the cache with their own templates (needs apt; CI has it)', { timeout: 300_000 }, async () => {
    for (const v of ['0.28.1', '0.33.1']) {
      const r = await resolveVersion(v, defaultResolveOptions());
      expect(r.version).toBe(v);
      expect(r.source).toMatch(/^debian:/);
      expect(r.templates?.mountAt).toBe('/usr/share/prometheus/alertmanager');
      expect(r.templates?.dir).not.toBe(r.templates?.mountAt);
      const out = await execFileCollect(r.command[0]!, ['--version']);
      expect(out.stdout + out.stderr).toContain(`version ${v}`);
      expect(r.amtool).toBeDefined();
    }
    const listed = await listVersions();
    expect(listed.filter((l) => l.state === 'cached').map((l) => l.version)).toEqual(expect.arrayContaining(['0.28.1', '0.33.1']));
  });

  it.skipIf(!hasApt)('the Debian provider fetches 0.25.0 too (bookworm), independent of the system package', { timeout: 300_000 }, async () => {
    const r = await new DebianProvider().resolve('debian:0.25.0', defaultResolveOptions());
    expect(r?.version).toBe('0.25.0');
    expect(r?.features.peerName).toBe(false);
  });
});

describe('upstream tarballs', () => {
  let server: Server;
  let base: string;
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'amchaos-upstream-test-'));
    // Build a tarball in the upstream release layout from a real binary on this machine.
    const am = (await which('prometheus-alertmanager')) ?? (await which('alertmanager'));
    const folder = join(work, 'src', 'alertmanager-0.25.0.linux-amd64');
    await mkdir(folder, { recursive: true });
    if (am) await copyFile(am, join(folder, 'alertmanager'));
    await execFileCollect('tar', ['-czf', join(work, 'am.tar.gz'), '-C', join(work, 'src'), 'alertmanager-0.25.0.linux-amd64']);
    const tarball = await readFile(join(work, 'am.tar.gz'));
    server = createServer((req, res) => {
      if (req.url === '/v0.25.0/alertmanager-0.25.0.linux-amd64.tar.gz') res.writeHead(200).end(tarball);
      else res.writeHead(404).end('no');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address() as { port: number };
    base = `http://127.0.0.1:${addr.port}`;
  });

  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await rm(work, { recursive: true, force: true });
  });

  it('downloads, unpacks and caches a release tarball from the URL template', async () => {
    const provider = new UpstreamProvider(() => `${base}/v{version}/alertmanager-{version}.linux-{arch}.tar.gz`);
    const opts = { cacheDir: join(work, 'cache'), fetch: true };
    const r = await provider.resolve('upstream:0.25.0', opts);
    expect(r?.version).toBe('0.25.0');
    expect(r?.command[0]).toBe(join(work, 'cache', 'versions', 'upstream', '0.25.0', 'alertmanager'));
    // A version the server does not have fails with a fetch error that says what to do.
    await expect(provider.resolve('upstream:0.26.0', opts)).rejects.toMatchObject({ code: 'AMCHAOS_VERSION_FETCH_FAILED' });
    // Offline resolution does not fetch.
    expect(await provider.resolve('upstream:0.27.0', { ...opts, fetch: false })).toBeUndefined();
    await writeFile(join(work, 'marker'), 'x');
  });
});

describe('Prometheus versions (the same kinds of providers)', () => {
  it('refuses an unknown Prometheus version, naming the Debian suites and the other ways', async () => {
    const err = await resolvePrometheus('2.99.9', defaultResolveOptions()).catch((e: unknown) => e);
    expect(isAmchaosError(err, 'AMCHAOS_UNKNOWN_VERSION')).toBe(true);
    expect((err as { hint: string }).hint).toContain('2.42.0 (bookworm), 2.53.3 (trixie), 3.5.3 (sid)');
    expect((err as { hint: string }).hint).toContain('upstream:X.Y.Z');
    await expect(resolvePrometheus('/etc/hostname', defaultResolveOptions())).rejects.toMatchObject({ code: 'AMCHAOS_UNKNOWN_VERSION' });
  });

  it.skipIf(!hasApt)('fetches Prometheus from Debian with its promtool (sid ships promtool as a package of its own), and lists it', { timeout: 300_000 }, async () => {
    for (const v of ['2.42.0', '3.5.3']) {
      const r = await resolvePrometheus(v, defaultResolveOptions());
      expect(r.version).toBe(v);
      expect(r.source).toMatch(/^debian:/);
      const out = await execFileCollect(r.command[0]!, ['--version']);
      expect(out.stdout + out.stderr).toContain(`prometheus, version ${v}`);
      const tool = await execFileCollect(r.promtool, ['--version']);
      expect(tool.stdout + tool.stderr).toContain(`promtool, version ${v}`);
      expect(r.features.resendDelay).toBe(true);
    }
    const listed = await listPrometheusVersions(defaultResolveOptions());
    expect(listed.filter((l) => l.state === 'cached').map((l) => l.version)).toEqual(expect.arrayContaining(['2.42.0', '3.5.3']));
    expect(listed.every((l) => l.product === 'prometheus')).toBe(true);
  });
});
