// Non-scratch image builds through the simulator, as a real hub and kojid make them: a build
// record (BUILDING -> COMPLETE), the files moved to packages/<n>/<v>/<r>/images/ with symlinks left
// in the task directories, a `tagBuild` child (noarch, label "tag", result nil) and a top-level
// buildNotification task owned by the build host; an NVR in use refused; the kiwi plugin's arch
// rules (none asked: the build tag's arches; a malformed arch refused at submission).
import { readlinkSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kwargs } from '../../../clients/koji/xmlrpc';
import type { XmlRpcValue } from '../../../clients/koji/xmlrpc';
import { TASK_STATES } from '../../../sim/koji';
import type { KojiSim } from '../../../sim/koji';
import { call, startLoggedInSim, value } from './helpers';
import type { Session } from './helpers';

const KIWI_URL = 'git+https://pagure.io/fedora-kiwi-descriptions.git?#4e3d1b2c9a0f7e6d5c4b3a29180706f5e4d3c2b1';
type Struct = Record<string, XmlRpcValue>;

let sim: KojiSim;
let dir: string;
let s: Session;

beforeAll(async () => {
  ({ sim, dir, session: s } = await startLoggedInSim({ imageSizeBytes: 8 * 1024 * 1024, finishMs: 10 }));
});
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

const kiwi = (arches: XmlRpcValue, opts: Struct) => ['f-target', arches, KIWI_URL, 'Fedora.kiwi', kwargs({ profile: 'Cloud-Base-Generic', version: '44', ...opts })];

async function get(path: string): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(`${sim.topUrl}/${path}`);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

describe('a non-scratch kiwi build', () => {
  let id: number;
  let kids: Struct[];

  beforeAll(async () => {
    // No arches asked for: the builder builds every arch of the build tag (x86_64, aarch64).
    id = (await value(sim.hubUrl, 'kiwiBuild', kiwi([], { release: '1.9', result_bundle_name_format: '%N-%v-%I.%A' }), s)) as number;
    expect((await sim.waitForTask(id)).state).toBe(TASK_STATES.CLOSED);
    kids = ((await value(sim.hubUrl, 'getTaskChildren', [id], s)) as Struct[]).sort((a, b) => Number(a.id) - Number(b.id));
  });

  it('has the image children for the build tag arches and a tagBuild child with a nil result', async () => {
    expect(kids.map((k) => [k.method, k.arch, k.label, k.state])).toEqual([
      ['createKiwiImage', 'x86_64', 'x86_64', TASK_STATES.CLOSED],
      ['createKiwiImage', 'aarch64', 'aarch64', TASK_STATES.CLOSED],
      ['tagBuild', 'noarch', 'tag', TASK_STATES.CLOSED],
    ]);
    expect(await call(sim.hubUrl, 'getTaskResult', [kids[2]!.id!], s)).toEqual({ value: null });
    expect(await value(sim.hubUrl, 'getTaskResult', [id], s)).toBe('image build results in: /mnt/koji/packages/Fedora-Cloud-Base-Generic/44/1.9/images');
  });

  it('records a COMPLETE build linked to the parent task, tagged into the destination tag', async () => {
    const build = (await value(sim.hubUrl, 'getBuild', ['Fedora-Cloud-Base-Generic-44-1.9'], s)) as Struct;
    expect(build).toMatchObject({ name: 'Fedora-Cloud-Base-Generic', version: '44', release: '1.9', nvr: 'Fedora-Cloud-Base-Generic-44-1.9', state: 1, task_id: id, owner_name: 'fedimg', volume_name: 'DEFAULT' });
    const listed = (await value(sim.hubUrl, 'listBuilds', [kwargs({ taskID: id })], s)) as Struct[];
    expect(listed.map((b) => [b.build_id, b.nvr])).toEqual([[build.id, 'Fedora-Cloud-Base-Generic-44-1.9']]);
    expect(await value(sim.hubUrl, 'getBuild', ['Fedora-Cloud-Base-Generic-44-9.9'], s)).toBeNull();
    expect(await call(sim.hubUrl, 'getBuild', ['Fedora-Cloud-Base-Generic-44-9.9', true], s)).toEqual({ fault: { faultCode: 1000, faultString: "No such build: 'Fedora-Cloud-Base-Generic-44-9.9'" } });
  });

  it('queues a buildNotification task owned by the build host', async () => {
    const host = (await value(sim.hubUrl, 'getUser', ['builder1'], s)) as Struct;
    const notes = sim.store.all().filter((t) => t.method === 'buildNotification');
    expect(notes).toHaveLength(1);
    expect([notes[0]!.parent, notes[0]!.owner, notes[0]!.arch]).toEqual([null, host.id, 'noarch']);
    expect((await sim.waitForTask(notes[0]!.id)).state).toBe(TASK_STATES.CLOSED);
  });

  it('moves the files to the build folder and leaves symlinks the task URL still serves', async () => {
    const file = 'Fedora-Cloud-Base-Generic-44-1.9.x86_64.qcow2';
    const x86 = kids[0]!.id as number;
    const viaBuild = await get(`packages/Fedora-Cloud-Base-Generic/44/1.9/images/${file}`);
    const viaTask = await get(`work/tasks/${x86 % 10000}/${x86}/${file}`);
    expect([viaBuild.status, viaTask.status]).toEqual([200, 200]);
    expect(viaTask.body.equals(viaBuild.body)).toBe(true);
    expect(viaBuild.body.subarray(0, 4).toString('latin1')).toBe('QFI\xfb');
    expect(readlinkSync(`${sim.taskDir(x86)}/${file}`)).toMatch(/packages\/Fedora-Cloud-Base-Generic\/44\/1\.9\/images\//);
    // listTaskOutput still names the files (os.walk lists the links; stat follows them).
    const out = (await value(sim.hubUrl, 'listTaskOutput', [x86, kwargs({ stat: true })], s)) as Record<string, Struct>;
    expect(out[file]!.st_size).toBe(String(viaBuild.body.length));
    expect(Object.keys(out)).toContain(`${file}.sha256`);
    // Logs go to data/logs/image/<arch>/ (kiwi adds the arch).
    expect((await get('packages/Fedora-Cloud-Base-Generic/44/1.9/data/logs/image/x86_64/root.log')).status).toBe(200);
  });

  it('refuses a second build of the same NVR, as the hub does', async () => {
    const again = (await value(sim.hubUrl, 'kiwiBuild', kiwi(['x86_64'], { release: '1.9' }), s)) as number;
    expect((await sim.waitForTask(again)).state).toBe(TASK_STATES.FAILED);
    const fault = (await call(sim.hubUrl, 'getTaskResult', [again], s)) as { fault: { faultCode: number; faultString: string } };
    expect(fault.fault.faultCode).toBe(1000);
    expect(fault.fault.faultString).toMatch(/^Build already exists \(id=\d+, state=COMPLETE\): /);
  });
});

describe('kiwiBuild arches', () => {
  it('refuses a malformed arch at submission with the hub text, and an arch outside the build tag later', async () => {
    expect(await call(sim.hubUrl, 'kiwiBuild', kiwi(['x86_64,aarch64'], { scratch: true }), s)).toEqual({
      fault: { faultCode: 1000, faultString: 'Architecture can be only [a-zA-Z0-9_-]' },
    });
    const id = (await value(sim.hubUrl, 'kiwiBuild', kiwi(['s390x'], { scratch: true }), s)) as number;
    expect((await sim.waitForTask(id)).state).toBe(TASK_STATES.FAILED);
    expect(await call(sim.hubUrl, 'getTaskResult', [id], s)).toEqual({ fault: { faultCode: 1005, faultString: 'Invalid arch for build tag: s390x' } });
  });

  it('a scratch build makes no build record and no tagBuild child', async () => {
    const id = (await value(sim.hubUrl, 'kiwiBuild', kiwi(['aarch64'], { scratch: true, release: '2.1' }), s)) as number;
    await sim.waitForTask(id);
    expect(((await value(sim.hubUrl, 'getTaskChildren', [id], s)) as Struct[]).map((k) => k.method)).toEqual(['createKiwiImage']);
    expect(await value(sim.hubUrl, 'listBuilds', [kwargs({ taskID: id })], s)).toEqual([]);
  });
});
