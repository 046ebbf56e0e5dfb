import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve as resolvePath, sep } from 'node:path';
import { pack } from 'tar-stream';
import { AmchaosError } from '../../errors/index.js';
import { execFileCollect } from '../../util/exec.js';
import { which } from '../../util/fs.js';
import { packageRoot } from '../../util/paths.js';
import type { ResolvedVersion } from '../../versions/types.js';
import { docker, isNotFound, LABEL, ownerLabel } from './engine.js';

/**
 * Packs what a version provider resolved into a local image, since no registry is reachable:
 * FROM scratch, the binary, the shared libraries it links (ldd), and its own version's templates at
 * the compiled-in path; tsam gets the Node runtime and the built code it imports. The tag carries a
 * hash of every byte that goes in (`amchaos/alertmanager:<version>-<hash>`), so an image is reused
 * while nothing changed and rebuilt when anything did. Images run as nobody (65534) with storage at
 * /alertmanager and the config at /etc/alertmanager/alertmanager.yml, as the official images do.
 *
 * The infra image (`amchaos/infra:<hash>`) holds what the pods need: `sleep` for the holder that
 * owns each node's network namespace, and the host's iptables (nft or legacy, as the host uses)
 * with its extensions for the sidecar that installs the node's redirects.
 */
export const NODE_CONFIG_PATH = '/etc/alertmanager/alertmanager.yml';
export const NODE_STORAGE_PATH = '/alertmanager';
export const NOBODY = '65534:65534';
const APP = '/app';

export interface ImageFile {
  /** Absolute path inside the image. */
  path: string;
  /** Host file to copy (its content; symlinks are followed). */
  source?: string;
  content?: Buffer;
  mode: number;
}

export interface ImagePlan {
  /** e.g. amchaos/alertmanager:0.25.0-1a2b3c4d5e6f */
  tag: string;
  /** Hash over every file, mode and the Dockerfile. */
  content: string;
  files: ImageFile[];
  dockerfile: string;
}

/** What a node container runs: the image and its entrypoint (the binary, or node + tsam). */
export interface NodeImage {
  image: string;
  entrypoint: string[] | undefined;
  /** Whether amchaos built it (false: a user's image:REF). */
  built: boolean;
}

const fileHashes = new Map<string, { key: string; hash: string }>();

/** Forgets the memo below (the bench measures a fresh process's work). */
export function forgetFileHashes(): void {
  fileHashes.clear();
}

/** sha256 of a host file, memoised by path, size and mtime (node alone is ~100 MB). */
async function fileHash(path: string): Promise<string> {
  const st = await stat(path);
  const key = `${st.size}:${st.mtimeMs}`;
  const memo = fileHashes.get(path);
  if (memo?.key === key) return memo.hash;
  const h = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    createReadStream(path)
      .on('data', (b) => h.update(b))
      .on('end', resolve)
      .on('error', reject);
  });
  const hash = h.digest('hex');
  fileHashes.set(path, { key, hash });
  return hash;
}

/** A plan whose tag is `<repo>:<label>-<content hash>`. */
export async function planTag(repo: string, label: string, files: ImageFile[], dockerfile: string): Promise<ImagePlan> {
  const h = createHash('sha256').update(dockerfile);
  const sorted = [...files].sort((a, b) => a.path.localeCompare(b.path));
  for (const f of sorted) {
    h.update(`\0${f.path}\0${f.mode.toString(8)}\0`);
    h.update(f.content ?? (await fileHash(f.source!)));
  }
  const content = h.digest('hex').slice(0, 12);
  const safe = label.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[-.]+/, '').slice(0, 100) || 'build';
  return { tag: `${repo}:${safe}-${content}`, content, files: sorted, dockerfile };
}

/**
 * The shared libraries the binaries link (one ldd call for all of them), including the dynamic
 * loader; none for static binaries (ldd then says "not a dynamic executable" for that file).
 */
export async function sharedLibraries(binaries: string[]): Promise<string[]> {
  if (binaries.length === 0) return [];
  const r = await execFileCollect('ldd', binaries, { timeoutMs: 20_000 }).catch(() => undefined);
  if (!r) return [];
  const libs = new Set<string>();
  for (const line of r.stdout.split('\n')) {
    const m = /=>\s+(\/\S+)\s+\(0x/.exec(line) ?? /^\s+(\/\S+)\s+\(0x/.exec(line);
    if (m) libs.add(m[1]!);
  }
  return [...libs];
}

/** The files of the shared libraries the binaries link, at their own paths. */
export async function withLibraries(binaries: string[]): Promise<ImageFile[]> {
  return (await sharedLibraries(binaries)).map((lib) => ({ path: lib, source: lib, mode: 0o755 }));
}

/** Every file under `dir`, placed under `at` in the image. */
export async function treeFiles(dir: string, at: string): Promise<ImageFile[]> {
  const out: ImageFile[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const src = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await treeFiles(src, `${at}/${e.name}`)));
    else if (e.isFile() || e.isSymbolicLink()) {
      const st = await stat(src).catch(() => undefined);
      if (st?.isFile()) out.push({ path: `${at}/${e.name}`, source: src, mode: st.mode & 0o777 });
      else if (st?.isDirectory()) out.push(...(await treeFiles(src, `${at}/${e.name}`)));
    }
  }
  return out;
}

function dockerfileFor(entrypoint: string[]): string {
  return [
    'FROM scratch',
    'COPY rootfs/ /',
    // An empty directory owned by nobody: the storage, writable as the official images have it.
    `COPY --chown=${NOBODY} storage/ ${NODE_STORAGE_PATH}/`,
    `USER ${NOBODY}`,
    `ENTRYPOINT ${JSON.stringify(entrypoint)}`,
    '',
  ].join('\n');
}

/**
 * The modules tsam needs: from its entry, every relative module it names (in an import, or as a
 * string such as the computed specifier tsam loads its cluster layer with) and every bare import, as
 * the whole package under node_modules with its dependencies. What the container needs to run tsam,
 * not the harness's dev tools or test helpers.
 */
export async function moduleClosure(entry: string, root = packageRoot()): Promise<{ files: string[]; packages: string[] }> {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]|['"](\.\.?\/[^'"\s]+\.js)['"]/g;
  const addPackage = async (name: string, fromDir: string) => {
    for (let d = fromDir; ; d = dirname(d)) {
      const dir = join(d, 'node_modules', name);
      if (await stat(join(dir, 'package.json')).catch(() => undefined)) {
        if (packages.has(dir)) return;
        packages.add(dir);
        const pj = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
        for (const dep of Object.keys({ ...pj.dependencies, ...pj.optionalDependencies })) await addPackage(dep, dir).catch(() => undefined);
        return;
      }
      if (d === dirname(d) || !d.startsWith(root)) throw new Error(`package ${name} not found from ${fromDir}`);
    }
  };
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    const text = await readFile(file, 'utf8').catch(() => undefined);
    // A relative string that names no module (only an import must resolve).
    if (text === undefined) continue;
    files.add(file);
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? m[4]!;
      if (spec.startsWith('node:')) continue;
      if (spec.startsWith('.')) {
        queue.push(resolvePath(dirname(file), spec));
        continue;
      }
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
      // Node's built-ins without the node: prefix.
      if ((await import('node:module')).builtinModules.includes(name)) continue;
      await addPackage(name, dirname(file));
    }
  }
  return { files: [...files], packages: [...packages] };
}

/** Where a host path of the package (dist/…, node_modules/…) lands in the tsam image. */
function appPath(hostPath: string, root: string): string {
  return `${APP}/${relative(root, hostPath).split(sep).join('/')}`;
}

/** The image plan for a version a provider resolved to a host build (binary or tsam). */
export async function planVersionImage(v: ResolvedVersion): Promise<{ plan: ImagePlan; entrypoint: string[] }> {
  const [program, ...lead] = v.command;
  if (!program) throw new AmchaosError('AMCHAOS_INTERNAL', `version ${v.requested} has no command`);
  if (v.impl === 'tsam') {
    const root = packageRoot();
    const nodeBin = await realpath(program);
    const entry = lead[0];
    if (!entry) throw new AmchaosError('AMCHAOS_INTERNAL', 'tsam has no entry script');
    const closure = await moduleClosure(entry, root);
    const files: ImageFile[] = [{ path: '/usr/bin/node', source: nodeBin, mode: 0o755 }, ...(await withLibraries([nodeBin]))];
    for (const f of closure.files) files.push({ path: appPath(f, root), source: f, mode: 0o644 });
    for (const p of closure.packages) {
      for (const f of await treeFiles(p, appPath(p, root))) files.push(f);
    }
    files.push({ path: `${APP}/package.json`, content: Buffer.from(JSON.stringify({ name: 'amchaos-tsam', private: true, type: 'module' }) + '\n'), mode: 0o644 });
    const entrypoint = ['/usr/bin/node', ...lead.map((a) => (a.startsWith(root) ? appPath(a, root) : a))];
    return { plan: await planTag('amchaos/alertmanager', 'tsam', files, dockerfileFor(entrypoint)), entrypoint };
  }
  const binary = await realpath(program);
  const files: ImageFile[] = [{ path: '/bin/alertmanager', source: binary, mode: 0o755 }, ...(await withLibraries([binary]))];
  if (v.templates) files.push(...(await treeFiles(v.templates.dir, v.templates.mountAt)));
  const entrypoint = ['/bin/alertmanager', ...lead];
  return { plan: await planTag('amchaos/alertmanager', v.version, files, dockerfileFor(entrypoint)), entrypoint };
}

/** Where the host keeps a program (root's sbin dirs are not on every user's PATH). */
async function hostProgram(name: string): Promise<string | undefined> {
  const found = await which(name);
  if (found) return found;
  for (const dir of ['/usr/sbin', '/sbin']) {
    const p = join(dir, name);
    if (await stat(p).catch(() => undefined)) return p;
  }
  return undefined;
}

let infraPlan: Promise<{ plan: ImagePlan; iptables: string[] }> | undefined;

/** The infra image: `sleep` for holders, the host's iptables multi-binary and its extensions for sidecars (planned once per process). */
export function planInfraImage(): Promise<{ plan: ImagePlan; iptables: string[] }> {
  infraPlan ??= planInfra().catch((e: unknown) => {
    infraPlan = undefined;
    throw e;
  });
  return infraPlan;
}

async function planInfra(): Promise<{ plan: ImagePlan; iptables: string[] }> {
  const sleepBin = await hostProgram('sleep');
  const restore = await hostProgram('iptables-restore');
  if (!sleepBin || !restore) {
    throw new AmchaosError('AMCHAOS_RUNTIME_UNSUPPORTED', `the docker runtime packs ${!sleepBin ? 'sleep (coreutils)' : 'iptables-restore'} from this machine into its pod image, and it is missing`, {
      hint: 'apt-get install iptables coreutils (docker.io depends on iptables, so a Docker host normally has it).',
    });
  }
  const multi = await realpath(restore);
  const sleepReal = await realpath(sleepBin);
  const files: ImageFile[] = [
    { path: '/bin/sleep', source: sleepReal, mode: 0o755 },
    { path: `/sbin/${basename(multi)}`, source: multi, mode: 0o755 },
  ];
  const binaries = [sleepReal, multi];
  // iptables loads its matches and targets (tcp, udp, comment, DNAT, ...) as shared objects.
  for (const dir of ['/usr/lib/x86_64-linux-gnu/xtables', '/usr/lib/aarch64-linux-gnu/xtables', '/usr/lib/xtables', '/lib/xtables']) {
    const ext = await treeFiles(dir, dir).catch(() => [] as ImageFile[]);
    if (ext.length === 0) continue;
    files.push(...ext);
    binaries.push(...ext.filter((f) => f.path.endsWith('.so')).map((f) => f.source!));
    break;
  }
  files.push(...(await withLibraries(binaries)));
  const unique = [...new Map(files.map((f) => [f.path, f])).values()];
  const dockerfile = ['FROM scratch', 'COPY rootfs/ /', ''].join('\n');
  // The multi-binary dispatches on its first argument when called by its own name.
  return { plan: await planTag('amchaos/infra', 'pod', unique, dockerfile), iptables: [`/sbin/${basename(multi)}`] };
}

const building = new Map<string, Promise<void>>();

/** Whether the engine has `ref`. */
export async function hasImage(ref: string): Promise<boolean> {
  try {
    await docker().getImage(ref).inspect();
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

/** Pulls `ref` (what the engine's registry settings allow); throws with the engine's message when it cannot. */
export async function pullImage(ref: string): Promise<void> {
  const stream = await docker().pull(ref);
  const out = await new Promise<Array<{ error?: string }>>((resolve, reject) =>
    docker().modem.followProgress(stream, (err: Error | null, res: Array<{ error?: string }>) => (err ? reject(err) : resolve(res))),
  );
  const failed = out.find((o) => o.error);
  if (failed) throw new Error(failed.error);
  if (!(await hasImage(ref))) throw new Error('the pull finished without the image');
}

/**
 * Builds the plan's image unless the engine already has its tag (the hash says nothing changed).
 * Concurrent calls for one tag share one build. Returns whether it built.
 */
export async function ensureImage(plan: ImagePlan, runId: string): Promise<boolean> {
  if (await hasImage(plan.tag)) return false;
  let b = building.get(plan.tag);
  if (!b) {
    b = build(plan, runId).finally(() => building.delete(plan.tag));
    building.set(plan.tag, b);
  }
  await b;
  await pruneSuperseded(plan.tag);
  return true;
}

/**
 * Removes earlier builds of the same version (`<repo>:<label>-<other hash>`): once the content
 * changed they are never used again. An image a container still uses stays (the engine refuses).
 */
async function pruneSuperseded(tag: string): Promise<void> {
  const cut = tag.lastIndexOf('-');
  const prefix = tag.slice(0, cut + 1);
  for (const img of await docker().listImages({ filters: { label: [`${LABEL.role}=image`] } }).catch(() => [])) {
    for (const t of img.RepoTags ?? []) {
      if (t !== tag && t.startsWith(prefix) && /^[0-9a-f]{12}$/.test(t.slice(prefix.length))) {
        await docker().getImage(t).remove().catch(() => undefined);
      }
    }
  }
}

async function build(plan: ImagePlan, runId: string): Promise<void> {
  const tar = pack();
  const addEntry = (name: string, body: Buffer, mode: number) =>
    new Promise<void>((resolve, reject) => tar.entry({ name, mode, size: body.length }, body, (err) => (err ? reject(err) : resolve())));
  const dirs = new Set<string>();
  const feed = (async () => {
    await addEntry('Dockerfile', Buffer.from(plan.dockerfile), 0o644);
    tar.entry({ name: 'storage/', type: 'directory', mode: 0o755 });
    for (const f of plan.files) {
      // Parent directories first, world-readable (a scratch image has none).
      const parts = f.path.split('/').filter(Boolean);
      for (let i = 1; i < parts.length; i++) {
        const d = `rootfs/${parts.slice(0, i).join('/')}/`;
        if (!dirs.has(d)) {
          dirs.add(d);
          tar.entry({ name: d, type: 'directory', mode: 0o755 });
        }
      }
      await addEntry(`rootfs${f.path}`, f.content ?? (await readFile(f.source!)), f.mode);
    }
    tar.finalize();
  })();
  feed.catch((e: unknown) => tar.destroy(e as Error));
  const labels = { [LABEL.role]: 'image', [LABEL.run]: runId, [LABEL.owner]: ownerLabel(), [LABEL.content]: plan.content };
  const stream = await docker().buildImage(tar as unknown as NodeJS.ReadableStream, { t: plan.tag, labels, rm: true, forcerm: true });
  const output = await new Promise<Array<{ error?: string; stream?: string }>>((resolve, reject) =>
    docker().modem.followProgress(stream, (err: Error | null, res: Array<{ error?: string; stream?: string }>) => (err ? reject(err) : resolve(res))),
  );
  await feed;
  const failed = output.find((o) => o.error);
  if (failed || !(await hasImage(plan.tag))) {
    throw new AmchaosError('AMCHAOS_NODE_START_FAILED', `building image ${plan.tag} failed: ${failed?.error ?? 'no image was tagged'}`, {
      hint: 'The engine log (dockerd) says more; `amchaos sweep` removes half-built images.',
      details: { output: output.map((o) => o.stream ?? o.error ?? '').join('').slice(-2000) },
    });
  }
}

/** The image a node of version `v` runs: the user's image:REF as it is, or a build of the host version. */
export async function nodeImage(v: ResolvedVersion, runId: string): Promise<NodeImage & { builtNow: boolean }> {
  if (v.image) return { image: v.image, entrypoint: undefined, built: false, builtNow: false };
  const { plan, entrypoint } = await planVersionImage(v);
  const builtNow = await ensureImage(plan, runId);
  return { image: plan.tag, entrypoint, built: true, builtNow };
}
