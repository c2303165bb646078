// spreadFaults: the chaos run's "faults on 20% of calls" must be 20% in all, split evenly between
// the kinds, when the rules draw one after another as the fault proxy does (first that fires wins).
import { describe, expect, it } from 'vitest';
import { kojiServerOffline, seededRandom, serviceUnavailable, spreadFaults } from '../../../sim/fault-proxy';
import { ArmedRule } from '../../../sim/fault-proxy/rules';

describe('spreadFaults', () => {
  it('fires on the given share of requests in all, each kind about equally often', () => {
    const rules = spreadFaults('glance', 0.2, undefined, [serviceUnavailable(), { kind: 'reset' }, { kind: 'reset', after: true }]).map((r) => new ArmedRule(r));
    const random = seededRandom(42);
    const n = 60_000;
    for (let i = 0; i < n; i++) rules.find((r) => r.shouldFire(random));
    const fired = rules.map((r) => r.fired);
    expect(fired.reduce((a, b) => a + b, 0) / n).toBeCloseTo(0.2, 2);
    for (const f of fired) expect(f / n).toBeCloseTo(0.2 / 3, 2);
    expect(rules.map((r) => r.label)).toEqual(['glance 503', 'glance reset', 'glance reset after']);
  });

  it("answers Koji's ServerOffline as the hub does: fault 1014 inside an XML-RPC 200", () => {
    const f = kojiServerOffline();
    expect(f.status).toBe(200);
    expect(f.body).toMatch(/<name>faultCode<\/name>\s*<value><int>1014<\/int><\/value>/);
    expect(f.body).toContain('server is offline');
  });

  it('refuses a rate that is not a share', () => {
    expect(() => spreadFaults('x', 1.5, undefined, [{ kind: 'reset' }])).toThrow(/fault rate 1.5/);
  });
});
