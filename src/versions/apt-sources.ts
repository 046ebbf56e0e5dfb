import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One apt source as configured on this machine (one-line or deb822 format). */
export interface AptSource {
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
  signedBy?: string;
  file: string;
}

/** Parses deb822 `.sources` text into stanzas. */
export function parseDeb822(text: string, file: string): AptSource[] {
  const out: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields: Record<string, string> = {};
    let last: string | undefined;
    for (const raw of stanza.split('\n')) {
      if (raw.startsWith('#') || raw.trim() === '') continue;
      if (/^\s/.test(raw) && last) {
        fields[last] += ' ' + raw.trim();
        continue;
      }
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(raw);
      if (m) {
        last = m[1]!.toLowerCase();
        fields[last] = m[2]!.trim();
      }
    }
    if (!fields['uris'] || !fields['suites']) continue;
    if ((fields['enabled'] ?? 'yes').toLowerCase() === 'no') continue;
    const words = (k: string) => (fields[k] ?? '').split(/\s+/).filter(Boolean);
    out.push({
      types: words('types'),
      uris: words('uris'),
      suites: words('suites'),
      components: words('components'),
      ...(fields['signed-by'] ? { signedBy: fields['signed-by'] } : {}),
      file,
    });
  }
  return out;
}

/** Parses one-line `deb [options] uri suite components...` entries. */
export function parseOneLine(text: string, file: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const m = /^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const opts = Object.fromEntries(
      (m[2] ?? '').split(/\s+/).filter(Boolean).map((kv) => kv.split('=') as [string, string]),
    );
    out.push({
      types: [m[1]!],
      uris: [m[3]!],
      suites: [m[4]!],
      components: (m[5] ?? '').split(/\s+/).filter(Boolean),
      ...(opts['signed-by'] ? { signedBy: opts['signed-by'] } : {}),
      file,
    });
  }
  return out;
}

export async function readAptSources(etcApt = '/etc/apt'): Promise<AptSource[]> {
  const out: AptSource[] = [];
  const tryRead = async (f: string) => readFile(f, 'utf8').catch(() => undefined);
  const main = await tryRead(join(etcApt, 'sources.list'));
  if (main) out.push(...parseOneLine(main, join(etcApt, 'sources.list')));
  const dir = join(etcApt, 'sources.list.d');
  const files = await readdir(dir).catch(() => [] as string[]);
  for (const f of files.sort()) {
    const text = await tryRead(join(dir, f));
    if (text === undefined) continue;
    if (f.endsWith('.sources')) out.push(...parseDeb822(text, join(dir, f)));
    else if (f.endsWith('.list')) out.push(...parseOneLine(text, join(dir, f)));
  }
  return out;
}

/**
 * The machine's Debian archive mirror: a `deb` source with component main whose suites are plain
 * Debian releases (not -security/-updates/-backports). We reuse exactly that mirror (and its key)
 * for other suites, so no hostname is ever written into the project.
 */
export function findDebianMirror(sources: AptSource[]): { uri: string; signedBy?: string } | undefined {
  for (const s of sources) {
    if (!s.types.includes('deb') || !s.components.includes('main')) continue;
    const plain = s.suites.filter((x) => !/-(security|updates|backports|proposed-updates)$/.test(x) && !x.includes('/'));
    if (plain.length === 0 || s.uris.some((u) => /security/.test(u))) continue;
    const uri = s.uris[0];
    if (!uri) continue;
    return { uri, ...(s.signedBy ? { signedBy: s.signedBy } : {}) };
  }
  return undefined;
}
