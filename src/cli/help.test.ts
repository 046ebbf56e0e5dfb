import { describe, expect, it } from 'vitest';
import { suitesTable, versionsTable } from './help.js';

describe('amchaos versions: which build a name runs', () => {
  it('a version listed twice (system and cached Debian) says that --versions X runs the system binary, and how to get the other', () => {
    const out = versionsTable([
      { version: '0.25.0', provider: 'system', state: 'installed', where: '/usr/bin/prometheus-alertmanager' },
      { version: '0.25.0', provider: 'debian:bookworm', state: 'cached', where: '/root/.cache/amchaos/versions/debian/0.25.0/root' },
      { version: '0.33.1', provider: 'debian:sid', state: 'fetchable' },
    ]);
    const rows = out.split('\n');
    expect(rows.find((r) => r.includes('system'))).toMatch(/0\.25\.0 or system/);
    expect(rows.find((r) => r.includes('debian:bookworm'))).toMatch(/debian:0\.25\.0/);
    expect(rows.find((r) => r.includes('debian:sid'))).toMatch(/fetchable\s+0\.33\.1/);
    expect(out.replace(/\s+/g, ' ')).toContain('0.25.0 is listed twice: --versions 0.25.0 runs the system binary (/usr/bin/prometheus-alertmanager)');
    expect(out).toContain('Write debian:0.25.0 for the cached Debian build.');
  });

  it('no note when every version is listed once', () => {
    const out = versionsTable([{ version: '0.33.1', provider: 'debian:sid', state: 'cached', where: '/x' }]);
    expect(out).not.toContain('listed twice');
  });
});

describe('amchaos suites', () => {
  it('says which suites need link faults (netns as root, or docker)', () => {
    const out = suitesTable([
      { name: 'a', summary: 'does a', needs: { linkFaults: true } },
      { name: 'b', summary: 'does b' },
    ]);
    expect(out).toMatch(/^a +netns \(root\) or docker +does a$/m);
    expect(out).toMatch(/^b +any \(process: no root\) +does b$/m);
  });
});
