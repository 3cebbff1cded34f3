import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createIpAllowlist, InvalidCidrError, parseCidr } from '../../../lambdas/ingest/cidr';

describe('IP allowlists', () => {
  const allowed = createIpAllowlist(['198.51.100.0/24', '203.0.113.7', '2001:db8::/32']);

  it('matches IPv4 subnets and single addresses', () => {
    assert.equal(allowed('198.51.100.0'), true);
    assert.equal(allowed('198.51.100.255'), true);
    assert.equal(allowed('198.51.101.0'), false);
    assert.equal(allowed('203.0.113.7'), true);
    assert.equal(allowed('203.0.113.8'), false);
  });

  it('matches IPv6 subnets, and IPv4-mapped IPv6 addresses as IPv4', () => {
    assert.equal(allowed('2001:db8:ffff::1'), true);
    assert.equal(allowed('2001:db9::1'), false);
    assert.equal(allowed('::ffff:198.51.100.9'), true);
    assert.equal(allowed('::ffff:10.0.0.1'), false);
  });

  it('never allows a missing or unparsable caller address', () => {
    assert.equal(allowed(undefined), false);
    assert.equal(allowed(''), false);
    assert.equal(allowed('not-an-ip'), false);
    assert.equal(allowed('198.51.100.1/24'), false);
  });

  it('/0 allows every address of its family', () => {
    const any4 = createIpAllowlist(['0.0.0.0/0']);
    assert.equal(any4('8.8.8.8'), true);
    assert.equal(any4('2001:db8::1'), false);
  });

  it('rejects invalid CIDRs up front', () => {
    for (const bad of [
      '10.0.0.0/33',
      '10.0.0.0/',
      '10.0.0/8',
      '2001:db8::/129',
      'x/8',
      '1.2.3.4/8/1',
      '10.0.0.0/-1',
    ]) {
      assert.throws(() => parseCidr(bad), InvalidCidrError, bad);
    }
    assert.throws(() => createIpAllowlist(['10.0.0.0/8', 'nope']), InvalidCidrError);
  });
});
