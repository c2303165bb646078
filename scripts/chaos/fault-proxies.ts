// The three fault proxies of the chaos run, in front of the chaos stack's Koji hub, AWS front and
// Glance. Each injects faults on `rate` of the calls (seeded), split evenly between the kinds of
// failure that service really shows: Koji's ServerOffline and dropped connections, AWS throttling
// and 500s, Glance 503s. "after" resets let the service act and lose the answer, the case that
// turns a careless retry into a duplicate.
import {
  ebsInternal,
  ebsThrottled,
  ec2Error,
  kojiServerOffline,
  plain500,
  s3SlowDown,
  serviceUnavailable,
  spreadFaults,
  startFaultProxy,
  type ActionCounters,
  type Fault,
  type FaultProxy,
} from '../../sim/fault-proxy';
import type { ChaosPorts } from './chaos-config';
import type { Registration } from './invariants';

export interface ChaosProxies {
  koji: FaultProxy;
  aws: FaultProxy;
  glance: FaultProxy;
  close(): Promise<void>;
}

const reset: Fault = { kind: 'reset' };
const resetAfter: Fault = { kind: 'reset', after: true };

export async function startChaosProxies(ports: ChaosPorts, rate: number, seed: number): Promise<ChaosProxies> {
  const local = (p: number) => `http://127.0.0.1:${p}`;
  const koji = await startFaultProxy({
    target: local(ports.koji),
    seed,
    // Only the hub's XML-RPC calls; the task files (fetches) go to the simulator directly.
    rules: spreadFaults('koji', rate, { method: 'POST', path: '/kojihub' }, [kojiServerOffline(), reset, resetAfter, serviceUnavailable()]),
  });
  const aws = await startFaultProxy({
    target: local(ports.aws),
    seed: seed + 1,
    rules: [
      ...spreadFaults('ec2', rate, { where: (r) => r.form?.get('Action') != null }, [
        ec2Error('RequestLimitExceeded', 503, 'Request limit exceeded.'),
        plain500(),
        reset,
        resetAfter,
      ]),
      ...spreadFaults('ebs', rate, { service: 'ebs' }, [ebsThrottled(), ebsInternal(), reset]),
      ...spreadFaults('s3', rate, { service: 's3' }, [s3SlowDown(), reset]),
    ],
  });
  const glance = await startFaultProxy({
    target: local(ports.glance),
    seed: seed + 2,
    rules: spreadFaults('glance', rate, undefined, [serviceUnavailable(), reset, resetAfter]),
  });
  return {
    koji,
    aws,
    glance,
    async close() {
      await Promise.all([koji.close(), aws.close(), glance.close()]);
    },
  };
}

/** RegisterImage calls that reached AWS and were accepted (whatever the client then heard). */
export function acceptedRegistrations(p: ChaosProxies): Registration[] {
  return p.aws.calls
    .filter((c) => c.action === 'RegisterImage' && c.upstreamStatus !== undefined && c.upstreamStatus < 300 && c.form && c.region)
    .map((c) => ({
      region: c.region as string,
      name: c.form?.get('Name') ?? '',
      snapshotIds: [...(c.form?.entries() ?? [])].filter(([k]) => /^BlockDeviceMapping\.\d+\.Ebs\.SnapshotId$/.test(k)).map(([, v]) => v),
    }));
}

export interface ProxyTally {
  service: string;
  calls: number;
  injected: number;
}

/** Calls and injected faults per proxy, for the report. */
export function tallyProxies(p: ChaosProxies): ProxyTally[] {
  const sum = (c: Record<string, ActionCounters>) =>
    Object.values(c).reduce((a, x) => ({ calls: a.calls + x.requests, injected: a.injected + x.injected }), { calls: 0, injected: 0 });
  return [
    { service: 'Koji hub', ...sum(p.koji.counters()) },
    { service: 'AWS', ...sum(p.aws.counters()) },
    { service: 'Glance', ...sum(p.glance.counters()) },
  ];
}
