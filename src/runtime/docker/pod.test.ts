import { describe, expect, it } from 'vitest';
import { bypassCounter, podRules } from './pod.js';

describe('pod rules', () => {
  const comment = 'amchaos run=r1 scenario=s tag=abc123';
  it('redirects each peer and the receiver to its proxy, then guards the subnet, in one iptables-restore input', () => {
    const text = podRules({
      gateway: '10.214.7.1',
      subnet: '10.214.7.0/24',
      comment,
      redirects: [
        { proto: 'tcp', dest: { ip: '10.214.7.3', port: 9094 }, to: { ip: '10.214.7.1', port: 40001 } },
        { proto: 'udp', dest: { ip: '10.214.7.3', port: 9094 }, to: { ip: '10.214.7.1', port: 40001 } },
      ],
    });
    expect(text.split('\n')).toEqual([
      '*nat',
      `-A OUTPUT -d 10.214.7.3/32 -p tcp -m tcp --dport 9094 -m comment --comment "${comment}" -j DNAT --to-destination 10.214.7.1:40001`,
      `-A OUTPUT -d 10.214.7.3/32 -p udp -m udp --dport 9094 -m comment --comment "${comment}" -j DNAT --to-destination 10.214.7.1:40001`,
      'COMMIT',
      '*filter',
      `-A OUTPUT -o eth0 -d 10.214.7.1/32 -m comment --comment "${comment}" -j ACCEPT`,
      `-A OUTPUT -o eth0 -d 10.214.7.0/24 -m comment --comment "${comment}" -j DROP`,
      'COMMIT',
      '',
    ]);
  });

  it('reads the bypass guard counters from iptables-save -c, and says when the guard is missing', () => {
    const save = [
      '*filter',
      `[0:0] -A OUTPUT -d 10.214.7.1/32 -o eth0 -m comment --comment "${comment}" -j ACCEPT`,
      `[3:180] -A OUTPUT -d 10.214.7.0/24 -o eth0 -m comment --comment "${comment}" -j DROP`,
      'COMMIT',
    ].join('\n');
    expect(bypassCounter(save, comment)).toEqual({ packets: 3, bytes: 180 });
    expect(bypassCounter('*filter\nCOMMIT\n', comment)).toBeUndefined();
  });
});
