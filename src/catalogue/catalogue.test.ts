import { describe, expect, it } from 'vitest';
import { SUITES } from '../../suites/index.js';
import { shardSlice } from '../run/shard.js';
import { cataloguePlan, clusterLabel, parseCatalogueVersions } from './catalogue.js';

// (Tests may import suites/: only the code under src/ must not.)
const VERSIONS = ['0.25.0', '0.28.1', '0.33.1', 'tsam'];

describe('the catalogue plan', () => {
  const plan = cataloguePlan(SUITES, VERSIONS);

  it('holds every suite with a claim once per version, at least 13 failure modes, in the reference row order', () => {
    const suites = [...new Set(plan.map((e) => e.suite.name))];
    expect(suites.length).toBe(Object.values(SUITES).filter((s) => s.claim).length);
    expect(plan.length).toBe(suites.length * VERSIONS.length);
    const rows = new Set(plan.flatMap((e) => e.mode.rows));
    expect(rows.size).toBeGreaterThanOrEqual(13);
    const firstRows = plan.map((e) => e.mode.rows[0]!);
    expect(firstRows).toEqual([...firstRows].sort((a, b) => a - b));
    expect(new Set(plan.map((e) => e.id)).size).toBe(plan.length);
  });

  it('builds each suite its cluster: link faults on netns, a skewed tsam beside the version, the other versions for silence formats, an upgrade target', () => {
    const get = (id: string) => plan.find((e) => e.id === id)!;
    expect(get('split-brain@0.25.0').runtime).toBe('netns');
    expect(get('slow-receiver@0.25.0')).toMatchObject({ runtime: 'process', cluster: ['0.25.0', '0.25.0', '0.25.0'] });
    expect(get('clock-skew@0.28.1').cluster).toEqual(['tsam@0.28.1', '0.28.1', '0.28.1']);
    expect(get('clock-skew@tsam').cluster).toEqual(['tsam', 'tsam', 'tsam']);
    expect(get('silence-formats@0.28.1').cluster).toEqual(['0.28.1', '0.25.0', '0.33.1']);
    expect(get('rolling-upgrade@0.25.0').upgradeTo).toBe('0.33.1');
    expect(clusterLabel(get('rolling-upgrade@0.25.0'))).toBe('0.25.0x3 → 0.33.1');
    expect(get('gossip-load@tsam').exclusive).toBe(true);
  });

  it('says why a version cannot show a mode (no --cluster.label before 0.26, none in tsam)', () => {
    const suite = SUITES['cluster-label']!;
    const v = (requested: string, clusterLabel: boolean) => ({ requested, version: requested, impl: 'alertmanager', command: [], source: '', extraArgs: [], features: { peerName: false, clusterLabel } }) as never;
    expect(suite.unsupported?.([v('0.25.0', false), v('0.25.0', false), v('0.25.0', false)], {})).toMatch(/no --cluster.label/);
    expect(suite.unsupported?.([v('0.28.1', true), v('0.28.1', true), v('0.28.1', true)], {})).toBeUndefined();
    expect(SUITES['rolling-upgrade']!.unsupported?.([v('0.25.0', false)], {})).toMatch(/--upgrade-to/);
  });

  it('shards slice the plan stably', () => {
    const a = shardSlice(plan, { index: 1, count: 4 }).map((e) => e.id);
    const b = shardSlice(cataloguePlan(SUITES, VERSIONS), { index: 1, count: 4 }).map((e) => e.id);
    expect(a).toEqual(b);
    expect(a.length).toBe(Math.ceil(plan.length / 4));
  });

  it('--suites narrows it; --versions takes single versions only', () => {
    expect(cataloguePlan(SUITES, ['0.33.1'], { suites: ['flapping'] }).map((e) => e.id)).toEqual(['flapping@0.33.1']);
    expect(parseCatalogueVersions('0.25.0, tsam,0.25.0')).toEqual(['0.25.0', 'tsam']);
    expect(() => parseCatalogueVersions('0.25.0+0.33.1')).toThrow(/one version/);
    expect(() => parseCatalogueVersions('0.25.0,,tsam')).toThrow(/empty item/);
  });
});
