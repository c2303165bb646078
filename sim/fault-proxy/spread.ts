// A fault rate shared by several kinds of fault: rules that together fire on `rate` of the
// matching requests, each kind equally often. Rules draw one after another (the first that fires
// wins), so rule k gets the chance (rate/n) / (1 - k*rate/n) of what is left: every kind then
// fires on rate/n of all matching requests.
import { encodeFault } from '../../clients/koji/xmlrpc/encode';
import type { Fault, FaultRule, RequestMatcher, StatusFault } from './rules';

export function spreadFaults(name: string, rate: number, match: RequestMatcher | undefined, faults: Fault[]): FaultRule[] {
  if (!(rate >= 0 && rate < 1)) throw new Error(`fault rate ${rate}: expected at least 0 and below 1`);
  const share = rate / faults.length;
  return faults.map((fault, k) => ({
    name: `${name} ${describeFault(fault)}`,
    match,
    fault,
    probability: share / (1 - k * share),
  }));
}

/** Koji's own "server is offline" answer (fault 1014 in an XML-RPC 200), as hub.conf ServerOffline gives. */
export function kojiServerOffline(): StatusFault {
  return { kind: 'status', status: 200, body: encodeFault(1014, 'server is offline'), headers: { 'content-type': 'text/xml' } };
}

/** What a load balancer in front of an OpenStack API answers when the service behind it is busy. */
export function serviceUnavailable(): StatusFault {
  return { kind: 'status', status: 503, body: '503 Service Unavailable\n', headers: { 'content-type': 'text/plain' } };
}

function describeFault(f: Fault): string {
  if (f.kind === 'delay') return `delay ${f.ms} ms`;
  if (f.kind === 'respond') return 'answered by the proxy';
  const code = f.kind === 'status' ? /<Code>([^<]+)<\/Code>|"(\w+Exception)|faultCode<\/name>\s*<value><int>(\d+)/.exec(f.body ?? '') : null;
  const what = code ? ` ${code[1] ?? code[2] ?? `fault ${code[3]}`}` : '';
  const base = f.kind === 'reset' ? 'reset' : `${f.status}${what}`;
  return f.after ? `${base} after` : base;
}
