import { describe, expect, it } from 'vitest';
import { isAmchaosError } from '../../errors/index.js';
import { defaultFlags, parseFlags, splitHostPort } from './flags.js';

describe('command line', () => {
  it('takes both --flag=value and --flag value, Go durations and repeated flags', () => {
    const f = parseFlags([
      '--config.file', 'am.yml',
      '--storage.path=/tmp/x',
      '--web.listen-address=127.0.0.1:0',
      '--cluster.listen-address=',
      '--cluster.peer=127.0.0.1:1', '--cluster.peer', '127.0.0.1:2',
      '--cluster.peer-timeout=2s',
      '--cluster.gossip-interval', '50ms',
      '--cluster.pushpull-interval=1m0s',
      '--cluster.settle-timeout=0s',
      '--cluster.peer-name=n1',
      '--log.level=debug',
      '--tsam.compat=0.25.0',
      '--tsam.fault=no-dedup,no-wait', '--tsam.fault=no-nflog-gossip',
    ]);
    expect(f).toMatchObject({
      configFile: 'am.yml',
      storagePath: '/tmp/x',
      webListenAddress: '127.0.0.1:0',
      clusterListenAddress: '',
      clusterPeers: ['127.0.0.1:1', '127.0.0.1:2'],
      clusterPeerTimeoutMs: 2000,
      clusterGossipIntervalMs: 50,
      clusterPushPullIntervalMs: 60_000,
      clusterSettleTimeoutMs: 0,
      clusterPeerName: 'n1',
      logLevel: 'debug',
      tsamCompat: '0.25.0',
      tsamFaults: ['no-dedup,no-wait', 'no-nflog-gossip'],
    });
  });

  it('has Alertmanager defaults', () => {
    expect(defaultFlags()).toMatchObject({
      clusterListenAddress: '0.0.0.0:9094',
      clusterPeerTimeoutMs: 15_000,
      clusterGossipIntervalMs: 200,
      clusterPushPullIntervalMs: 60_000,
      clusterReconnectTimeoutMs: 6 * 3_600_000,
      webListenAddress: ':9093',
      tsamCompat: '0.33.1',
    });
  });

  it.each([
    [['--bogus'], "unknown long flag '--bogus', try --help"],
    [['--cluster.peer-timeout=xx'], 'time: invalid duration "xx", try --help'],
    [['--cluster.peer-timeout'], "expected argument for flag '--cluster.peer-timeout', try --help"],
    [['--log.level=trace'], "enum value must be one of debug,info,warn,error, got 'trace', try --help"],
    [['positional'], 'unexpected positional, try --help'],
  ])('rejects %j like kingpin', (argv, msg) => {
    try {
      parseFlags(argv);
      expect.unreachable();
    } catch (e) {
      expect(isAmchaosError(e, 'AMCHAOS_BAD_ARGUMENT')).toBe(true);
      expect((e as Error).message).toBe(msg);
    }
  });

  it('splits host:port like net.SplitHostPort', () => {
    expect(splitHostPort(':9093')).toEqual({ host: '', port: 9093 });
    expect(splitHostPort('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(splitHostPort('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(() => splitHostPort('localhost')).toThrow('missing port in address');
  });
});
