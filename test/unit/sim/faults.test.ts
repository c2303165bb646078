// Fault injection: each kind fires exactly as configured (next N, a seeded probability, method and
// path filters), programmatically and over POST /sim/faults, and the state endpoint shows what
// happened (tasks, submissions per owner and method).
import { createHash } from 'node:crypto';
import { get } from 'node:http';
import { rmSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeCall, kwargs } from '../../../clients/koji/xmlrpc';
import type { XmlRpcValue } from '../../../clients/koji/xmlrpc';
import { TASK_STATES, startKojiSim } from '../../../sim/koji';
import type { KojiFaultConfig, KojiSim } from '../../../sim/koji';
import { call, login, tempDir, value } from './helpers';
import type { Session } from './helpers';

const KIWI_URL = 'git+https://pagure.io/fedora-kiwi-descriptions.git?#4e3d1b2c9a0f7e6d5c4b3a29180706f5e4d3c2b1';
type Struct = Record<string, XmlRpcValue>;

let sim: KojiSim;
let dir: string;
let s: Session;

const kiwi = (extra: Record<string, XmlRpcValue> = {}, arches = ['x86_64', 'aarch64']): XmlRpcValue[] => [
  'f-target',
  arches,
  KIWI_URL,
  'Fedora.kiwi',
  kwargs({ profile: 'Cloud-Base-Generic', scratch: true, ...extra }),
];

beforeAll(async () => {
  dir = tempDir();
  sim = await startKojiSim({
    dataDir: dir,
    users: [{ name: 'fedimg', password: 'pw', perms: ['image'] }],
    imageSizeBytes: 8 * 1024 * 1024,
    timing: { openMs: 5, childStartMs: 5, buildMs: 40, finishMs: 5 },
    seed: 42,
  });
});
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  sim.faults.clear();
  s = await login(sim.hubUrl, 'fedimg', 'pw');
});

async function postFaults(cfg: KojiFaultConfig | string): Promise<Response> {
  return fetch(`${sim.url}/sim/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: typeof cfg === 'string' ? cfg : JSON.stringify(cfg) });
}

const rawPost = (method: string, params: XmlRpcValue[], session?: Session) =>
  fetch(sim.hubUrl, {
    method: 'POST',
    headers: {
      'Content-Type': 'text/xml',
      ...(session ? { 'Koji-Session-Id': String(session.id), 'Koji-Session-Key': session.key, 'Koji-Session-Callnum': String(session.callnum++) } : {}),
    },
    body: encodeCall(method, params),
  });

describe('hub faults', () => {
  it('ServerOffline for the next N calls, then normal answers', async () => {
    sim.faults.set({ serverOffline: { next: 2 } });
    for (let i = 0; i < 2; i++) {
      const r = await call(sim.hubUrl, 'getLoggedInUser', [], s);
      expect(r).toEqual({ fault: { faultCode: 1014, faultString: 'server is offline' } });
    }
    expect(await value(sim.hubUrl, 'getLoggedInUser', [], s)).toMatchObject({ name: 'fedimg' });
    expect(sim.faults.snapshot().fired.serverOffline).toBe(2);
  });

  it('a probability draws from the seeded PRNG: the same seed fires the same calls', async () => {
    const pattern = async () => {
      await postFaults({ seed: 7, serverOffline: { probability: 0.5 } });
      const out: boolean[] = [];
      for (let i = 0; i < 24; i++) out.push('fault' in (await call(sim.hubUrl, 'getKojiVersion')));
      return out;
    };
    const a = await pattern();
    const b = await pattern();
    expect(a).toEqual(b);
    expect(a.filter(Boolean).length).toBeGreaterThan(3);
    expect(a.filter((x) => !x).length).toBeGreaterThan(3);
  });

  it('HTTP 503 only for the named method', async () => {
    sim.faults.set({ httpError: { methods: ['getTaskInfo'], next: 1 } });
    expect((await rawPost('getKojiVersion', [])).status).toBe(200);
    const r = await rawPost('getTaskInfo', [1]);
    expect(r.status).toBe(503);
    expect((await rawPost('getTaskInfo', [1])).status).toBe(200);
  });

  it('a reset before the call loses the request; a reset after it loses only the answer', async () => {
    sim.faults.set({ reset: { methods: ['kiwiBuild'], next: 1 } });
    const before = sim.submissions({ owner: 'fedimg', method: 'kiwiBuild' });
    await expect(rawPost('kiwiBuild', kiwi({ release: 'reset-before' }), s)).rejects.toThrow();
    expect(sim.submissions({ owner: 'fedimg', method: 'kiwiBuild' })).toBe(before);

    sim.faults.set({ reset: { methods: ['kiwiBuild'], next: 1, after: true } });
    const lost = s.callnum;
    await expect(rawPost('kiwiBuild', kiwi({ release: 'reset-after' }), s)).rejects.toThrow();
    // The task exists although its id never reached the client: exactly one, findable by request.
    expect(sim.submissions({ owner: 'fedimg', method: 'kiwiBuild' })).toBe(before + 1);
    const user = (await value(sim.hubUrl, 'getLoggedInUser', [], s)) as Struct;
    const tasks = (await value(sim.hubUrl, 'listTasks', [kwargs({ opts: { method: 'kiwiBuild', owner: user.id!, decode: true } })], s)) as Struct[];
    const adopted = tasks.filter((t) => JSON.stringify(t.request).includes('reset-after'));
    expect(adopted).toHaveLength(1);
    // The lost call still committed: resending its call number is a RetryError, as on the hub.
    expect(await call(sim.hubUrl, 'kiwiBuild', kiwi({ release: 'reset-after' }), { ...s, callnum: lost })).toMatchObject({ fault: { faultCode: 1009 } });
    expect(sim.submissions({ owner: 'fedimg', method: 'kiwiBuild' })).toBe(before + 1);
  });

  it('slow answers', async () => {
    sim.faults.set({ delay: { ms: 300, next: 1, target: 'hub' } });
    const t0 = Date.now();
    await value(sim.hubUrl, 'getKojiVersion');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    const t1 = Date.now();
    await value(sim.hubUrl, 'getKojiVersion');
    expect(Date.now() - t1).toBeLessThan(290);
  });

  it('AuthExpired once: that session stays expired, a new login works', async () => {
    sim.faults.set({ authExpired: { next: 1 } });
    const expired = await call(sim.hubUrl, 'getLoggedInUser', [], s);
    expect(expired).toEqual({ fault: { faultCode: 1007, faultString: `session "${s.id}" has expired` } });
    expect(await call(sim.hubUrl, 'getLoggedInUser', [], s)).toMatchObject({ fault: { faultCode: 1007 } });
    const fresh = await login(sim.hubUrl, 'fedimg', 'pw');
    expect(await value(sim.hubUrl, 'getLoggedInUser', [], fresh)).toMatchObject({ name: 'fedimg' });
    // Anonymous calls carry no session and are not affected.
    expect(await value(sim.hubUrl, 'getKojiVersion')).toBe('1.35.3');
  });
});

describe('build failures', () => {
  it('armed over HTTP: the x86_64 subtask fails (1005), the sibling is canceled, the parent fails with the same fault', async () => {
    expect((await postFaults({ buildFailure: { next: 1, arch: 'x86_64' } })).status).toBe(200);
    const id = (await value(sim.hubUrl, 'kiwiBuild', kiwi({ release: 'fails' }), s)) as number;
    await sim.waitForTask(id);
    expect(await call(sim.hubUrl, 'getTaskResult', [id], s)).toEqual({ fault: { faultCode: 1005, faultString: 'Kiwi failed' } });
    expect(await value(sim.hubUrl, 'getTaskResult', [id, kwargs({ raise_fault: false })], s)).toEqual({ faultCode: 1005, faultString: 'Kiwi failed' });
    // The hub lists children in no fixed order.
    const kids = ((await value(sim.hubUrl, 'getTaskChildren', [id], s)) as Struct[]).sort((a, b) => Number(a.id) - Number(b.id));
    expect(kids.map((k) => [k.arch, k.state])).toEqual([
      ['x86_64', TASK_STATES.FAILED],
      ['aarch64', TASK_STATES.CANCELED],
    ]);
    const parent = (await value(sim.hubUrl, 'getTaskInfo', [id], s)) as Struct;
    expect([parent.state, parent.waiting]).toEqual([TASK_STATES.FAILED, true]);
    expect(await call(sim.hubUrl, 'getTaskResult', [kids[1]!.id!], s)).toEqual({ fault: { faultCode: 1000, faultString: `Task ${String(kids[1]!.id)} is canceled` } });
    const log = (await value(sim.hubUrl, 'listTaskOutput', [kids[0]!.id!], s)) as string[];
    expect(log).toEqual(['image-root.x86_64.log']);
    // The rule fired once: the next build succeeds.
    const ok = (await value(sim.hubUrl, 'kiwiBuild', kiwi({ release: 'works' }, ['x86_64']), s)) as number;
    expect((await sim.waitForTask(ok)).state).toBe(TASK_STATES.CLOSED);
  });

  it('the magic value SIMFAIL:<arch> in a request fails that arch', async () => {
    const id = (await value(sim.hubUrl, 'kiwiBuild', kiwi({ release: '1.SIMFAIL:aarch64' }), s)) as number;
    await sim.waitForTask(id);
    // The hub lists children in no fixed order.
    const kids = ((await value(sim.hubUrl, 'getTaskChildren', [id], s)) as Struct[]).sort((a, b) => Number(a.id) - Number(b.id));
    expect(kids.map((k) => [k.arch, k.state])).toEqual([
      ['x86_64', TASK_STATES.CANCELED],
      ['aarch64', TASK_STATES.FAILED],
    ]);
  });

  it('canceling a running build cancels its subtasks', async () => {
    const id = (await value(sim.hubUrl, 'kiwiBuild', kiwi({ release: 'canceled' }), s)) as number;
    await sim.waitForTask(id, { until: (t) => t.waiting === true });
    expect(await value(sim.hubUrl, 'cancelTask', [id], s)).toBe(null);
    const t = await sim.waitForTask(id);
    expect(t.state).toBe(TASK_STATES.CANCELED);
    expect(sim.store.children(id).every((c) => c.state === TASK_STATES.CANCELED)).toBe(true);
    expect(await value(sim.hubUrl, 'cancelTask', [id], s)).toBe(null);
  });
});

describe('file faults', () => {
  let taskId: number;
  let image: string;
  let whole: Buffer;

  beforeAll(async () => {
    const s0 = await login(sim.hubUrl, 'fedimg', 'pw');
    const id = (await value(sim.hubUrl, 'kiwiBuild', kiwi({ release: 'files' }, ['x86_64']), s0)) as number;
    await sim.waitForTask(id);
    taskId = sim.store.children(id)[0]!.id;
    image = 'Fedora-Cloud-Base-Generic.x86_64-Rawhide-files.qcow2';
    whole = Buffer.from(await (await fetch(url())).arrayBuffer());
  });

  const url = (name = image) => `${sim.topUrl}/work/tasks/${taskId % 10000}/${taskId}/${name}`;

  /** GET with node:http, keeping what arrived before the connection dropped. */
  function partialGet(u: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer; complete: boolean }> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      get(u, { headers }, (res) => {
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks), complete: res.complete }));
        res.on('error', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks), complete: false }));
        res.on('aborted', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks), complete: false }));
      }).on('error', () => resolve({ status: 0, body: Buffer.concat(chunks), complete: false }));
    });
  }

  it('a reset after K bytes, then a Range request resumes to the same sha256 as the checksum file', async () => {
    sim.faults.set({ reset: { target: 'files', afterBytes: 100_000, next: 1, pathIncludes: '.qcow2' } });
    const first = await partialGet(url());
    expect(first.complete).toBe(false);
    expect(first.body.length).toBe(100_000);
    const rest = await partialGet(url(), { Range: `bytes=${first.body.length}-` });
    expect(rest.status).toBe(206);
    const joined = Buffer.concat([first.body, rest.body]);
    expect(joined.equals(whole)).toBe(true);
    const sum = await (await fetch(url(`${image}.sha256`))).text();
    expect(sum).toBe(`${createHash('sha256').update(joined).digest('hex')}  ${image}\n`);
  });

  it('503 for matching paths only, HEAD/Range/404/416 otherwise as recorded', async () => {
    sim.faults.set({ httpError: { target: 'files', pathIncludes: '.sha256', next: 1 } });
    expect((await fetch(url(`${image}.sha256`))).status).toBe(503);
    expect((await fetch(url(`${image}.sha256`))).status).toBe(200);
    const head = await fetch(url(), { method: 'HEAD' });
    expect([head.status, head.headers.get('Content-Length'), head.headers.get('Accept-Ranges')]).toEqual([200, String(whole.length), 'bytes']);
    expect(head.headers.get('ETag')).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    const tail = await fetch(url(), { headers: { Range: 'bytes=-32' } });
    expect(tail.status).toBe(206);
    expect(tail.headers.get('Content-Range')).toBe(`bytes ${whole.length - 32}-${whole.length - 1}/${whole.length}`);
    expect(Buffer.from(await tail.arrayBuffer()).equals(whole.subarray(-32))).toBe(true);
    const past = await fetch(url(), { headers: { Range: `bytes=${whole.length}-` } });
    expect([past.status, past.headers.get('Content-Range')]).toEqual([416, `bytes */${whole.length}`]);
    const missing = await fetch(url('nope.qcow2'));
    expect([missing.status, missing.headers.get('Content-Type'), await missing.text()]).toEqual([404, 'text/plain', 'Not Found\n']);
    // Only work/ and scratch/ are published: no way up, and not the cache beside them.
    for (const p of ['work/tasks/%2e%2e/%2e%2e/%2e%2e/etc/passwd', 'work/%2e%2e/cache', '..%2f..%2fetc%2fpasswd']) {
      expect((await fetch(`${sim.topUrl}/${p}`)).status, p).toBe(404);
    }
    const cached = (await readdir(join(dir, 'cache')))[0]!;
    expect((await fetch(`${sim.topUrl}/cache/${cached}`)).status).toBe(404);
  });
});

describe('controls', () => {
  it('rejects a bad fault config, shows fault counters, tasks and submissions in /sim/state', async () => {
    expect((await postFaults('{"serverOffline": {"probability": 3}}')).status).toBe(400);
    expect((await postFaults('{"noSuchFault": {}}')).status).toBe(400);
    await postFaults({ serverOffline: { next: 1 } });
    await call(sim.hubUrl, 'getKojiVersion');
    const faults = (await (await fetch(`${sim.url}/sim/faults`)).json()) as { fired: Record<string, number> };
    expect(faults.fired.serverOffline).toBe(1);
    const state = (await (await fetch(`${sim.url}/sim/state`)).json()) as {
      tasks: Array<{ id: number; method: string; stateName: string; owner: string }>;
      submissions: Array<{ owner: string; method: string; count: number }>;
    };
    const n = state.submissions.find((x) => x.owner === 'fedimg' && x.method === 'kiwiBuild')!.count;
    expect(n).toBe(sim.submissions({ owner: 'fedimg', method: 'kiwiBuild' }));
    expect(n).toBe(state.tasks.filter((t) => t.method === 'kiwiBuild').length);
    expect(state.tasks.some((t) => t.method === 'createKiwiImage' && t.stateName === 'CLOSED')).toBe(true);
    expect((await fetch(`${sim.url}/sim/faults`, { method: 'DELETE' })).status).toBe(200);
  });
});
