// The client replays recorded koji.ClientSession sessions against a fake hub that answers with
// the recorded responses: every request it sends must equal the python client's, byte for byte
// (body) and header for header (session id/key, callnum rising from 0), and every recorded answer
// must come out typed as expected.
import { afterEach, describe, expect, it } from 'vitest';
import {
  KojiActionNotAllowed,
  KojiBuildError,
  KojiClient,
  KojiGenericError,
  KojiNoSuchTarget,
  KojiParameterError,
  KojiUnsafeFileName,
  TaskState,
  buildImageOzTaskRequest,
  buildImageTaskRequest,
  kiwiBuildTaskRequest,
  sameTaskRequest,
} from '../../../clients/koji';
import type { KiwiBuildArgs } from '../../../clients/koji';
import { decodeCall } from '../../../clients/koji/xmlrpc';
import { recorded, startHub } from './hub-server';
import type { FakeHub } from './hub-server';
import { loadExchanges } from './wire';
import type { WireExchange } from './wire';

const KIWI_URL = 'git+https://pagure.io/fedora-kiwi-descriptions.git?#3f5d2c9a8b7e6d1f0a4c3b2e9d8f7a6b5c4d3e2f';
const KS_URL = 'git+https://pagure.io/fedora-kickstarts.git?#9a1b2c3d4e5f60718293a4b5c6d7e8f901234567';
const QCOW2 = 'Fedora-Cloud-Base-Generic.x86_64-Rawhide-20261122.n.0.qcow2';

interface Step {
  ex: number;
  run: (c: KojiClient) => Promise<unknown>;
}

let hub: FakeHub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

/** Runs the steps; each step's request is answered with its exchange's recorded response. */
async function replay(file: string, user: string, password: string, steps: Step[]): Promise<{ sent: FakeHub['requests']; expected: WireExchange[] }> {
  const exchanges = loadExchanges(file);
  const expected: WireExchange[] = [];
  hub = await startHub((_req, i) => {
    const e = expected[i];
    if (!e) throw new Error(`unexpected request #${i}`);
    return recorded(e);
  });
  const client = new KojiClient({ hubUrl: `${hub.url}/kojihub`, auth: { method: 'password', user, password }, retry: { attempts: 1 } });
  for (const step of steps) {
    const e = exchanges[step.ex]!;
    const before = hub.requests.length;
    expected.push(e);
    await step.run(client);
    expect(hub.requests.length, `step ${file}#${step.ex} sends exactly one request`).toBe(before + 1);
  }
  return { sent: hub.requests, expected };
}

function assertSameRequests(sent: FakeHub['requests'], expected: WireExchange[]): void {
  expect(sent.length).toBe(expected.length);
  let callnum = 0;
  sent.forEach((req, i) => {
    const e = expected[i]!;
    const where = `${e.file}#${e.index} ${e.label.slice(0, 60)}`;
    expect(e.sent_by, where).toBe('koji.ClientSession');
    expect(req.method, where).toBe('POST');
    expect(req.url, where).toBe(e.request.path);
    expect(req.body, where).toBe(e.request.body);
    expect(req.headers['content-type'], where).toBe(e.request.headers['Content-Type']);
    expect(req.headers['content-length'], where).toBe(e.request.headers['Content-Length']);
    expect(req.headers['user-agent'], where).toBe(e.request.headers['User-Agent']);
    expect(req.headers['koji-session-id'], where).toBe(e.request.headers['Koji-Session-Id']);
    expect(req.headers['koji-session-key'], where).toBe(e.request.headers['Koji-Session-Key']);
    if (e.request.headers['Koji-Session-Id'] === undefined) {
      expect(req.headers['koji-session-callnum'], where).toBeUndefined();
      expect(req.headers['koji-callnum'], where).toBeUndefined();
    } else {
      // Our own sequence rises by one per request from 0 (steps the client refuses locally send
      // nothing, so it may lag behind the recording's), and both header spellings agree.
      expect(req.headers['koji-session-callnum'], where).toBe(String(callnum));
      expect(req.headers['koji-callnum'], where).toBe(String(callnum));
      callnum += 1;
    }
  });
}

describe('03: a completed kiwi build, from the client side', () => {
  it('sends what koji.ClientSession sent and types every answer', async () => {
    const args: KiwiBuildArgs = {
      target: 'f-target',
      arches: ['x86_64', 'aarch64'],
      descUrl: KIWI_URL,
      descPath: 'teams/cloud/cloud.kiwi',
      profile: 'Cloud-Base-Generic',
      release: '20261122.n.0',
      scratch: true,
    };
    const out: Record<string, unknown> = {};
    const steps: Step[] = [
      { ex: 0, run: (c) => c.login() },
      { ex: 1, run: async (c) => (out.taskId = await c.kiwiBuild(args)) },
      { ex: 2, run: async (c) => (out.free = await c.getTaskInfo(7)) },
      { ex: 3, run: async (c) => (out.open = await c.getTaskInfo(7)) },
      { ex: 4, run: async (c) => (out.finishedEarly = await c.taskFinished(7)) },
      { ex: 5, run: async (c) => (out.notFinished = await c.getTaskResult(7).catch((e: unknown) => e)) },
      { ex: 6, run: async (c) => (out.withRequest = await c.getTaskInfo(7, { request: true })) },
      { ex: 7, run: async (c) => (out.finished = await c.taskFinished(7)) },
      { ex: 8, run: async (c) => (out.parentResult = await c.getTaskResult(7)) },
      { ex: 9, run: async (c) => (out.childrenReq = await c.getTaskChildren(7, { request: true })) },
      { ex: 10, run: async (c) => (out.children = await c.getTaskChildren(7)) },
      { ex: 11, run: async (c) => (out.x86 = await c.getImageResult(8, 'kiwi')) },
      { ex: 12, run: async (c) => (out.arm = await c.getImageResult(9, 'kiwi')) },
      { ex: 13, run: async (c) => (out.list = await c.listTaskOutput(8)) },
      { ex: 14, run: async (c) => (out.stat = await c.listTaskOutput(8, { stat: true })) },
      { ex: 15, run: async (c) => (out.volStat = await c.listTaskOutput(8, { stat: true, allVolumes: true })) },
      { ex: 16, run: async (c) => (out.vols = await c.listTaskOutput(8, { allVolumes: true })) },
      { ex: 17, run: async (c) => (out.parentList = await c.listTaskOutput(7)) },
      { ex: 18, run: async (c) => (out.head = await c.downloadTaskOutput(8, QCOW2, 0, 64)) },
      { ex: 19, run: async (c) => (out.tail64 = await c.downloadTaskOutput(8, QCOW2, -64, 64)) },
      { ex: 20, run: async (c) => (out.tail32 = await c.downloadTaskOutput(8, QCOW2, -32)) },
      { ex: 21, run: async (c) => (out.sha = await c.downloadTaskOutput(8, `${QCOW2}.sha256`)) },
      { ex: 22, run: async (c) => (out.logPart = await c.downloadTaskOutput(8, 'root.log', 1000, 100)) },
      { ex: 23, run: async (c) => (out.pastEof = await c.downloadTaskOutput(8, QCOW2, 10000000, 64)) },
      { ex: 24, run: async (c) => (out.noFile = await c.downloadTaskOutput(8, 'no-such-file.log').catch((e: unknown) => e)) },
      // #25 downloadTaskOutput(8, "../x") is refused by the client itself (checked below).
      { ex: 26, run: async (c) => (out.sumSha = await c.checkUpload('tasks/8/8', QCOW2, { verify: 'sha256' })) },
      { ex: 27, run: async (c) => (out.sumAdler = await c.checkUpload('tasks/8/8', 'Fedora-Cloud-Base-Generic.x86_64-Rawhide-20261122.n.0.raw.xz', { verify: 'adler32' })) },
      { ex: 28, run: async (c) => (out.plain = await c.checkUpload('tasks/8/8', 'root.log')) },
      { ex: 29, run: async (c) => (out.missing = await c.checkUpload('tasks/8/8', 'missing.log')) },
      { ex: 30, run: async (c) => (out.tailSum = await c.checkUpload('tasks/8/8', QCOW2, { verify: 'sha256', tail: 64 })) },
    ];
    const { sent, expected } = await replay('03-kiwi-completed-client.json', 'alice', 'alicepw', steps);
    assertSameRequests(sent, expected);

    expect(out.taskId).toBe(7);
    expect(out.free).toMatchObject({ id: 7, state: TaskState.FREE, method: 'kiwiBuild', owner: 3, parent: null });
    expect(out.open).toMatchObject({ state: TaskState.OPEN, waiting: true, host_id: 1 });
    expect(out.finishedEarly).toBe(false);
    expect(out.notFinished).toBeInstanceOf(KojiGenericError);
    expect((out.notFinished as KojiGenericError).faultString).toBe('Task 7 is not finished');
    // The stored request is the hub's normalised form, and we recognise it as ours.
    const stored = (out.withRequest as { request: unknown[] }).request;
    expect(sameTaskRequest('kiwiBuild', kiwiBuildTaskRequest(args).request, stored as never)).toBe(true);
    expect(sameTaskRequest('kiwiBuild', kiwiBuildTaskRequest({ ...args, release: '20261122.n.1' }).request, stored as never)).toBe(false);
    expect(out.finished).toBe(true);
    expect(out.parentResult).toBe('Scratch image build results in: /mnt/koji/work/tasks/8/8, /mnt/koji/work/tasks/9/9');
    expect((out.childrenReq as { id: number; label: string; method: string; request?: unknown[] }[]).map((t) => [t.id, t.label, t.method, Array.isArray(t.request)])).toEqual([
      [9, 'aarch64', 'createKiwiImage', true],
      [8, 'x86_64', 'createKiwiImage', true],
    ]);
    expect((out.children as { request?: unknown }[]).every((t) => t.request === undefined)).toBe(true);
    expect(out.x86).toMatchObject({ arch: 'x86_64', task_id: 8, name: 'Fedora-Cloud-Base-Generic', version: 'Rawhide', release: '20261122.n.0', logs: ['cloud.x86_64.kiwi'] });
    expect((out.x86 as { files: string[] }).files).toContain(QCOW2);
    expect((out.arm as { arch: string }).arch).toBe('aarch64');
    expect(out.list).toContain(QCOW2);
    expect((out.stat as Record<string, { st_size: number }>)[QCOW2]!.st_size).toBe(393216);
    expect((out.volStat as Record<string, Record<string, { st_size: number }>>)['Fedora-Cloud-Base-Generic.x86_64-Rawhide-20261122.n.0.raw.xz']!.DEFAULT!.st_size).toBe(5500000);
    expect((out.vols as Record<string, string[]>)[QCOW2]).toEqual(['DEFAULT']);
    expect(out.parentList).toEqual(['checkout.log']);
    const head = out.head as Buffer;
    expect(head.length).toBe(64);
    expect(head.subarray(0, 8).toString('hex')).toBe('514649fb00000003');
    expect((out.tail64 as Buffer).length).toBe(64);
    expect((out.tail64 as Buffer).subarray(32)).toEqual(out.tail32);
    expect((out.sha as Buffer).toString()).toBe(`c89eec2e38459b16671072f9d47054d463569f18ad3f874953eac3a71baecd1e  ${QCOW2}\n`);
    expect((out.logPart as Buffer).length).toBe(100);
    expect((out.pastEof as Buffer).length).toBe(0);
    expect(out.noFile).toBeInstanceOf(KojiGenericError);
    expect(out.sumSha).toEqual({ size: 393216, mtime: 1795312558.6461234, sumlength: 393216, hexdigest: 'c89eec2e38459b16671072f9d47054d463569f18ad3f874953eac3a71baecd1e' });
    expect(out.sumAdler).toMatchObject({ size: 5500000, hexdigest: 'c2204074' });
    expect(out.plain).toEqual({ size: 1950, mtime: 1795312558.3221233 });
    expect(out.missing).toBeNull();
    expect(out.tailSum).toMatchObject({ sumlength: 64 });
  });

  it('refuses "../x" before anything is sent', async () => {
    hub = await startHub([]);
    const client = new KojiClient({ hubUrl: `${hub.url}/kojihub` });
    await expect(client.downloadTaskOutput(8, '../x')).rejects.toBeInstanceOf(KojiUnsafeFileName);
    expect(hub.requests).toHaveLength(0);
  });
});

describe('02: submissions', () => {
  it("alice's kiwiBuild, buildImageOz, buildImage and their failures", async () => {
    const out: Record<string, unknown> = {};
    const ozOpts = { ksurl: KS_URL, kickstart: 'fedora-cloud-base.ks', format: ['qcow2', 'raw-xz'], release: '20261122.0', scratch: true };
    const liveOpts = { ksurl: KS_URL, release: '1', scratch: true, ksversion: 'DEVEL' };
    const applianceOpts = { release: '1', scratch: true, format: 'qcow2', vcpu: 2, vmem: 2048 };
    const rawhide = 'https://dl.fedoraproject.org/pub/fedora/linux/development/rawhide/Everything/$arch/os/';
    const bogus = decodeCall(loadExchanges('02-submit-image-tasks.json')[24]!.request.body!).params;
    const steps: Step[] = [
      { ex: 0, run: (c) => c.login() },
      {
        ex: 1,
        run: async (c) =>
          (out.kiwi = await c.kiwiBuild({ target: 'f-target', arches: ['x86_64', 'aarch64'], descUrl: KIWI_URL, descPath: 'teams/cloud/cloud.kiwi', profile: 'Cloud-Base-Generic', release: '20261122.n.0', scratch: true })),
      },
      { ex: 2, run: async (c) => (out.kiwiInfo = await c.getTaskInfo(1, { request: true })) },
      { ex: 4, run: async (c) => (out.oz = await c.buildImageOz('Fedora-Cloud-Base', '43', ['x86_64', 'aarch64'], 'f-target', rawhide, ozOpts)) },
      { ex: 5, run: async (c) => (out.ozInfo = await c.getTaskInfo(3, { request: true })) },
      { ex: 6, run: async (c) => (out.live = await c.buildImage('Fedora-Workstation-Live', '43', 'x86_64', 'f-target', 'fedora-live-workstation.ks', 'livecd', liveOpts)) },
      { ex: 7, run: async (c) => (out.liveInfo = await c.getTaskInfo(4, { request: true })) },
      {
        ex: 11,
        run: async (c) =>
          (out.appliance = await c.buildImage('Fedora-Appliance', '43', 'x86_64', 'f-target', 'cli-appliance/1795312800.123456.AbCdEfGh/fedora-appliance.ks', 'appliance', applianceOpts)),
      },
      { ex: 12, run: async (c) => (out.applianceInfo = await c.getTaskInfo(5, { request: true })) },
      {
        ex: 13,
        run: async (c) =>
          (out.noTarget = await c.kiwiBuild({ target: 'no-such-target', arches: ['x86_64'], descUrl: KIWI_URL, descPath: 'teams/cloud/cloud.kiwi', scratch: true }).catch((e: unknown) => e)),
      },
      {
        ex: 14,
        run: async (c) => (out.livemedia = await c.buildImage('Fedora-Live', '43', 'x86_64', 'f-target', 'x.ks', 'livemedia', { ksurl: KS_URL, scratch: true }).catch((e: unknown) => e)),
      },
      { ex: 24, run: async (c) => (out.bogus = await c.call('kiwiBuild', bogus).catch((e: unknown) => e)) },
    ];
    const { sent, expected } = await replay('02-submit-image-tasks.json', 'alice', 'alicepw', steps);
    assertSameRequests(sent, expected);

    expect([out.kiwi, out.oz, out.live, out.appliance]).toEqual([1, 3, 4, 5]);
    const stored = (v: unknown) => (v as { request: never[] }).request;
    expect(sameTaskRequest('kiwiBuild', kiwiBuildTaskRequest({ target: 'f-target', arches: ['x86_64', 'aarch64'], descUrl: KIWI_URL, descPath: 'teams/cloud/cloud.kiwi', profile: 'Cloud-Base-Generic', release: '20261122.n.0', scratch: true }).request, stored(out.kiwiInfo))).toBe(true);
    const oz = buildImageOzTaskRequest('Fedora-Cloud-Base', '43', ['x86_64', 'aarch64'], 'f-target', rawhide, ozOpts);
    expect(oz.method).toBe((out.ozInfo as { method: string }).method);
    expect(sameTaskRequest(oz.method, oz.request, stored(out.ozInfo))).toBe(true);
    expect(sameTaskRequest(oz.method, buildImageOzTaskRequest('Fedora-Cloud-Base', '43', ['x86_64'], 'f-target', rawhide, ozOpts).request, stored(out.ozInfo))).toBe(false);
    const live = buildImageTaskRequest('Fedora-Workstation-Live', '43', 'x86_64', 'f-target', 'fedora-live-workstation.ks', 'livecd', liveOpts);
    expect(live.method).toBe((out.liveInfo as { method: string }).method);
    expect(sameTaskRequest(live.method, live.request, stored(out.liveInfo))).toBe(true);
    const appl = buildImageTaskRequest('Fedora-Appliance', '43', 'x86_64', 'f-target', 'cli-appliance/1795312800.123456.AbCdEfGh/fedora-appliance.ks', 'appliance', applianceOpts);
    expect(sameTaskRequest(appl.method, appl.request, stored(out.applianceInfo))).toBe(true);

    expect(out.noTarget).toBeInstanceOf(KojiNoSuchTarget);
    expect(out.noTarget).toBeInstanceOf(KojiGenericError);
    expect((out.noTarget as KojiNoSuchTarget).target).toBe('no-such-target');
    expect(out.livemedia).toBeInstanceOf(KojiActionNotAllowed);
    expect((out.livemedia as Error).message).toContain('livemedia permission required (logged in as alice)');
    expect(out.bogus).toBeInstanceOf(KojiParameterError);
  });

  it("bob's kiwiBuild without the image permission is ActionNotAllowed", async () => {
    const out: Record<string, unknown> = {};
    const { sent, expected } = await replay('02-submit-image-tasks.json', 'bob', 'bobpw', [
      { ex: 18, run: (c) => c.login() },
      {
        ex: 19,
        run: async (c) => (out.err = await c.kiwiBuild({ target: 'f-target', arches: ['x86_64'], descUrl: KIWI_URL, descPath: 'teams/cloud/cloud.kiwi', scratch: true }).catch((e: unknown) => e)),
      },
    ]);
    assertSameRequests(sent, expected);
    expect(out.err).toBeInstanceOf(KojiActionNotAllowed);
    expect((out.err as KojiActionNotAllowed).name).toBe('KojiActionNotAllowed');
    expect((out.err as KojiActionNotAllowed).faultString).toBe('image permission required (logged in as bob)');
  });

  it('a negative priority is refused locally (it would need admin)', async () => {
    hub = await startHub([]);
    const client = new KojiClient({ hubUrl: `${hub.url}/kojihub` });
    await expect(client.kiwiBuild({ target: 't', arches: ['x86_64'], descUrl: 'u', descPath: 'p', priority: -5 })).rejects.toBeInstanceOf(RangeError);
    expect(hub.requests).toHaveLength(0);
  });
});

describe('05: a failed kiwi build', () => {
  it('re-raised stored faults, raise_fault=False, canceled children', async () => {
    const out: Record<string, unknown> = {};
    const { sent, expected } = await replay('05-kiwi-failed-client.json', 'alice', 'alicepw', [
      { ex: 0, run: (c) => c.login() },
      { ex: 1, run: (c) => c.kiwiBuild({ target: 'f-target', arches: ['x86_64', 'aarch64'], descUrl: KIWI_URL, descPath: 'teams/cloud/cloud.kiwi', profile: 'Cloud-Base-Generic', release: '20261122.n.1', scratch: true }) },
      { ex: 2, run: async (c) => (out.parent = await c.getTaskInfo(13)) },
      { ex: 3, run: (c) => c.taskFinished(13) },
      { ex: 4, run: async (c) => (out.raised = await c.getTaskResult(13).catch((e: unknown) => e)) },
      { ex: 5, run: async (c) => (out.asValue = await c.getTaskResult(13, { raiseFault: false })) },
      { ex: 6, run: async (c) => (out.children = await c.getTaskChildren(13)) },
      { ex: 7, run: (c) => c.getTaskInfo(14) },
      { ex: 8, run: async (c) => (out.childRaised = await c.getTaskResult(14).catch((e: unknown) => e)) },
      { ex: 9, run: (c) => c.getTaskResult(14, { raiseFault: false }) },
      { ex: 10, run: (c) => c.getTaskInfo(15) },
      { ex: 11, run: async (c) => (out.canceled = await c.getTaskResult(15).catch((e: unknown) => e)) },
    ]);
    assertSameRequests(sent, expected);
    expect((out.parent as { state: number }).state).toBe(TaskState.FAILED);
    expect(out.raised).toBeInstanceOf(KojiBuildError);
    expect((out.raised as KojiBuildError).faultString).toBe('Kiwi failed');
    expect(out.asValue).toEqual({ faultCode: 1005, faultString: 'Kiwi failed' });
    expect((out.children as { state: number }[]).map((t) => t.state).sort()).toEqual([TaskState.CANCELED, TaskState.FAILED]);
    expect(out.childRaised).toBeInstanceOf(KojiBuildError);
    expect(out.canceled).toBeInstanceOf(KojiGenericError);
    expect((out.canceled as KojiGenericError).faultString).toBe('Task 15 is canceled');
  });
});

describe('07: multiCall', () => {
  it('one request, one callnum, results and typed faults per entry', async () => {
    const ex = loadExchanges('07-multicall-and-list-args.json');
    const calls = (decodeCall(ex[1]!.request.body!).params[0] as { methodName: string; params: never[] }[]).map((c) => ({ methodName: c.methodName, params: c.params }));
    let entries: Awaited<ReturnType<KojiClient['multiCall']>> = [];
    const { sent, expected } = await replay('07-multicall-and-list-args.json', 'alice', 'alicepw', [
      { ex: 0, run: (c) => c.login() },
      { ex: 1, run: async (c) => (entries = await c.multiCall(calls)) },
      { ex: 5, run: (c) => c.call('getTaskInfo', [[7, 8, 999999]]) },
    ]);
    assertSameRequests(sent, expected);
    expect(calls.map((c) => c.methodName)).toEqual(['getTaskInfo', 'taskFinished', 'getTaskResult', 'getTaskResult', 'listTaskOutput', 'noSuchMethod', 'fault', 'echo']);
    expect(entries.map((e) => e.ok)).toEqual([true, true, false, false, true, false, false, false]);
    const e7 = entries[7]!;
    expect(e7.ok === false && e7.error).toBeInstanceOf(KojiParameterError);
    const e2 = entries[2]!;
    expect(e2.ok === false && e2.error).toBeInstanceOf(KojiGenericError);
    expect(e2.ok === false && e2.error.faultString).toBe('No such task');
    expect(e2.ok === false && e2.error.method).toBe('getTaskResult');
    expect(e2.ok === false && e2.error.traceback?.length).toBeGreaterThan(0);
    const e3 = entries[3]!;
    expect(e3.ok === false && e3.error).toBeInstanceOf(KojiBuildError);
    const e1 = entries[1]!;
    expect(e1.ok && e1.value).toBe(true);
  });
});
