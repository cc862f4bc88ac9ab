import { describe, expect, it } from 'vitest';
import { createEgressPolicy, parseIp } from './egress-policy.js';

// Pure classification: no sockets, so public addresses can be checked too.

describe('egress policy', () => {
  const policy = createEgressPolicy();

  it.each([
    '127.0.0.1', '127.255.0.9', '::1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1',
    'fc00::1', 'fd12:3456::1', '169.254.169.254', '169.254.1.1', 'fe80::1', 'fe80::1%eth0', '0.0.0.0',
    '::', '100.64.0.1', '100.127.255.255', '224.0.0.1', '239.1.1.1', 'ff02::1', '255.255.255.255',
    '::ffff:10.0.0.1', '::ffff:127.0.0.1', '::ffff:a9fe:a9fe', '0:0:0:0:0:ffff:c0a8:0101',
    '::ffff:0:10.0.0.1', '64:ff9b::10.0.0.1', '2002:a00:1::', '::10.0.0.1', 'fd00:ec2::254',
  ])('refuses %s', (address) => {
    expect(policy.refusedAddress(address)).toBeDefined();
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '192.169.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])(
    'allows public %s',
    (address) => {
      expect(policy.refusedAddress(address)).toBeUndefined();
    },
  );

  it('names the metadata address specifically', () => {
    expect(policy.refusedAddress('169.254.169.254')).toBe('cloud metadata address');
    expect(policy.refusedAddress('::ffff:169.254.169.254')).toBe('IPv4-mapped cloud metadata address');
  });

  it('refuses localhost and metadata names, with or without a trailing dot', () => {
    for (const name of ['localhost', 'api.localhost', 'metadata.google.internal', 'METADATA.google.internal.', 'metadata', 'db.corp.internal']) {
      expect(policy.refusedName(name)).toBeDefined();
    }
    expect(policy.refusedName('api.example.com')).toBeUndefined();
  });

  it('lets allow-listed CIDR blocks through, including their IPv4-mapped form', () => {
    const allowing = createEgressPolicy({ allowHosts: ['10.0.0.0/8', 'fd00::/8'] });
    expect(allowing.refusedAddress('10.2.3.4')).toBeUndefined();
    expect(allowing.refusedAddress('::ffff:10.2.3.4')).toBeUndefined();
    expect(allowing.refusedAddress('fd00::5')).toBeUndefined();
    expect(allowing.refusedAddress('192.168.0.1')).toBeDefined();
  });

  it('matches allow-listed hosts by name or by host:port', () => {
    const allowing = createEgressPolicy({ allowHosts: ['Intranet.Example.', 'db.example:5432', '[::1]:8080'] });
    expect(allowing.isHostAllowed('intranet.example', 443)).toBe(true);
    expect(allowing.isHostAllowed('db.example', 5432)).toBe(true);
    expect(allowing.isHostAllowed('db.example', 80)).toBe(false);
    expect(allowing.isHostAllowed('[::1]', 8080)).toBe(true);
    expect(allowing.isHostAllowed('::1', 8081)).toBe(false);
  });

  it('switches off entirely with allowPrivate', () => {
    const open = createEgressPolicy({ allowPrivate: true });
    expect(open.refusedAddress('169.254.169.254')).toBeUndefined();
    expect(open.refusedName('metadata.google.internal')).toBeUndefined();
  });

  it('refuses what is not an IP address and rejects a malformed CIDR entry', () => {
    expect(policy.refusedAddress('not-an-ip')).toBe('not an IP address');
    expect(() => createEgressPolicy({ allowHosts: ['10.0.0.0/40'] })).toThrow(/CIDR/);
    expect(parseIp('::ffff:1.2.3.4')).toEqual(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 1, 2, 3, 4]));
  });
});
