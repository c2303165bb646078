// Builds through the simulator's hub with its own builder: the task tree kojid would make, result
// structs shaped like the recorded builder's, Fedora's file names, and real images behind the
// file server (downloaded over HTTP and checked with qemu-img, xz and util-linux).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kwargs } from '../../../clients/koji/xmlrpc';
import type { XmlRpcValue } from '../../../clients/koji/xmlrpc';
import { TASK_STATES } from '../../../sim/koji';
import type { KojiSim } from '../../../sim/koji';
import { startLoggedInSim, value } from './helpers';
import type { Session } from './helpers';

const KIWI_URL = 'git+https://pagure.io/fedora-kiwi-descriptions.git?#4e3d1b2c9a0f7e6d5c4b3a29180706f5e4d3c2b1';
type Struct = Record<string, XmlRpcValue>;

let sim: KojiSim;
let dir: string;
let s: Session;

beforeAll(async () => {
  ({ sim, dir, session: s } = await startLoggedInSim({ imageSizeBytes: 16 * 1024 * 1024, finishMs: 5 }));
});
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

async function fetchFile(taskId: number, name: string): Promise<Buffer> {
  const res = await fetch(`${sim.topUrl}/work/tasks/${taskId % 10000}/${taskId}/${name}`);
  expect(res.status).toBe(200);
  const body = Buffer.from(await res.arrayBuffer());
  expect(Number(res.headers.get('Content-Length'))).toBe(body.length);
  return body;
}

async function finished(id: number): Promise<{ parent: Struct; children: Struct[] }> {
  await sim.waitForTask(id);
  const parent = (await value(sim.hubUrl, 'getTaskInfo', [id, kwargs({ request: true })], s)) as Struct;
  const children = (await value(sim.hubUrl, 'getTaskChildren', [id, kwargs({ request: true })], s)) as Struct[];
  // A real hub lists children in no fixed order (and so does the simulator): by id here.
  return { parent, children: [...children].sort((a, b) => Number(a.id) - Number(b.id)) };
}

/** The image and its kiwi checksum file agree, and the checksum file is kiwi's format. */
async function checkedDownload(taskId: number, image: string): Promise<Buffer> {
  const bytes = await fetchFile(taskId, image);
  const sum = (await fetchFile(taskId, `${image}.sha256`)).toString('utf8');
  expect(sum).toBe(`${createHash('sha256').update(bytes).digest('hex')}  ${image}\n`);
  return bytes;
}

describe('kiwiBuild', () => {
  it('AmazonEC2: subtasks per arch, kojid-shaped results, Fedora names, a raw.xz with a GPT inside', async () => {
    const id = (await value(
      sim.hubUrl,
      'kiwiBuild',
      ['f-target', ['x86_64', 'aarch64'], KIWI_URL, 'Fedora.kiwi', kwargs({ profile: 'Cloud-Base-AmazonEC2', scratch: true, release: '1.7', result_bundle_name_format: '%N-%v-%I.%A', version: '44' })],
      s,
    )) as number;
    const { parent, children } = await finished(id);
    expect(parent.state).toBe(TASK_STATES.CLOSED);
    expect(parent.method).toBe('kiwiBuild');
    expect(children.map((c) => [c.method, c.label, c.arch, c.priority, c.state, c.parent])).toEqual([
      ['createKiwiImage', 'x86_64', 'x86_64', 19, TASK_STATES.CLOSED, id],
      ['createKiwiImage', 'aarch64', 'aarch64', 19, TASK_STATES.CLOSED, id],
    ]);
    const report = await value(sim.hubUrl, 'getTaskResult', [id], s);
    const c1 = children[0]!.id as number;
    const c2 = children[1]!.id as number;
    expect(report).toBe(`Scratch image build results in: /mnt/koji/work/tasks/${c1 % 10000}/${c1}, /mnt/koji/work/tasks/${c2 % 10000}/${c2}`);
    const result = (await value(sim.hubUrl, 'getTaskResult', [c1], s)) as Struct;
    expect(result).toEqual({
      arch: 'x86_64',
      task_id: c1,
      logs: ['Fedora.x86_64.kiwi'],
      name: 'Fedora-Cloud-Base-AmazonEC2',
      version: '44',
      release: '1.7',
      rpmlist: [],
      files: ['Fedora-Cloud-Base-AmazonEC2-44-1.7.x86_64.raw.xz', 'Fedora-Cloud-Base-AmazonEC2-44-1.7.x86_64.raw.xz.sha256'],
    });
    const xz = await checkedDownload(c1, 'Fedora-Cloud-Base-AmazonEC2-44-1.7.x86_64.raw.xz');
    const raw = join(dir, 'ec2.raw');
    writeFileSync(raw, execFileSync('xz', ['-dc'], { input: xz, maxBuffer: 64 * 1024 * 1024 }));
    expect(execFileSync('blkid', ['-p', '-o', 'export', raw], { encoding: 'utf8' })).toMatch(/^PTTYPE=gpt$/m);
    // Scratch results were moved to scratch/<owner>/task_<id>/ and stay reachable from work/.
    const viaScratch = await fetch(`${sim.topUrl}/scratch/fedimg/task_${c1}/Fedora-Cloud-Base-AmazonEC2-44-1.7.x86_64.raw.xz.sha256`);
    expect(viaScratch.status).toBe(200);
    const listed = (await value(sim.hubUrl, 'listTaskOutput', [c1, kwargs({ stat: true })], s)) as Record<string, Struct>;
    expect(listed['Fedora-Cloud-Base-AmazonEC2-44-1.7.x86_64.raw.xz']!.st_size).toBe(String(xz.length));
  });

  it('Generic: a qcow2 that qemu-img checks; the default bundle name is kiwi\'s', async () => {
    const id = (await value(sim.hubUrl, 'kiwiBuild', ['f-target', ['aarch64'], KIWI_URL, 'teams/cloud/cloud.kiwi', kwargs({ profile: 'Cloud-Base-Generic', release: '20261122.n.0', scratch: true })], s)) as number;
    const { parent, children } = await finished(id);
    expect(parent.state).toBe(TASK_STATES.CLOSED);
    const c = children[0]!.id as number;
    const result = (await value(sim.hubUrl, 'getTaskResult', [c], s)) as Struct;
    const image = 'Fedora-Cloud-Base-Generic.aarch64-Rawhide-20261122.n.0.qcow2';
    expect(result.files).toEqual([image, `${image}.sha256`]);
    expect(result.logs).toEqual(['cloud.aarch64.kiwi']);
    const qcow2 = await checkedDownload(c, image);
    const p = join(dir, 'generic.qcow2');
    writeFileSync(p, qcow2);
    execFileSync('qemu-img', ['check', p]);
    expect(JSON.parse(execFileSync('qemu-img', ['info', '--output=json', p], { encoding: 'utf8' })).format).toBe('qcow2');
  });
});

describe('buildImageOz', () => {
  it('one createImage per arch, <name>-<version>-<release>.<arch> images per format, libvirt xml beside them', async () => {
    const id = (await value(
      sim.hubUrl,
      'buildImageOz',
      ['Fedora-Cloud-Base', '44', ['x86_64'], 'f-target', 'https://example.org/$arch/os/', kwargs({ opts: { kickstart: 'fedora-cloud-base.ks', format: ['qcow2', 'raw-xz'], release: '20261122.0', scratch: true }, priority: null })],
      s,
    )) as number;
    const { parent, children } = await finished(id);
    expect(parent.method).toBe('image');
    expect(parent.state).toBe(TASK_STATES.CLOSED);
    const child = children[0]!;
    expect([child.method, child.label]).toEqual(['createImage', 'x86_64']);
    expect((child.request as XmlRpcValue[])[7]).toBe('https://example.org/x86_64/os/');
    const c = child.id as number;
    const result = (await value(sim.hubUrl, 'getTaskResult', [c], s)) as Struct;
    expect(result).toEqual({
      arch: 'x86_64',
      task_id: c,
      logs: ['oz-x86_64.log'],
      name: 'Fedora-Cloud-Base',
      version: '44',
      release: '20261122.0',
      rpmlist: [],
      files: [
        'tdl-x86_64.xml',
        'fedora-cloud-base.ks',
        `koji-f-build-${c}-base.ks`,
        'libvirt-qcow2-x86_64.xml',
        'Fedora-Cloud-Base-44-20261122.0.x86_64.qcow2',
        'libvirt-raw-xz-x86_64.xml',
        'Fedora-Cloud-Base-44-20261122.0.x86_64.raw.xz',
      ],
    });
    const p = join(dir, 'oz.qcow2');
    writeFileSync(p, await fetchFile(c, 'Fedora-Cloud-Base-44-20261122.0.x86_64.qcow2'));
    execFileSync('qemu-img', ['check', p]);
    const xz = await fetchFile(c, 'Fedora-Cloud-Base-44-20261122.0.x86_64.raw.xz');
    execFileSync('xz', ['-t'], { input: xz });
  });
});

describe('buildImage', () => {
  it('livecd: one createLiveCD subtask and an ISO 9660 image', async () => {
    const id = (await value(sim.hubUrl, 'buildImage', ['Fedora-Workstation-Live', '44', 'x86_64', 'f-target', 'fedora-live-workstation.ks', 'livecd', kwargs({ opts: { release: '1', scratch: true }, priority: null })], s)) as number;
    const { parent, children } = await finished(id);
    expect([parent.method, parent.arch, parent.state]).toEqual(['livecd', 'x86_64', TASK_STATES.CLOSED]);
    expect([children[0]!.method, children[0]!.label]).toEqual(['createLiveCD', 'livecd']);
    const c = children[0]!.id as number;
    const result = (await value(sim.hubUrl, 'getTaskResult', [c], s)) as Struct;
    expect(Object.keys(result).sort()).toEqual(['arch', 'files', 'logs', 'name', 'release', 'rootdev', 'task_id', 'version']);
    expect(result.files).toEqual(['Fedora-Workstation-Live-44-1.iso']);
    const p = join(dir, 'live.iso');
    writeFileSync(p, await fetchFile(c, 'Fedora-Workstation-Live-44-1.iso'));
    expect(execFileSync('blkid', ['-p', '-o', 'export', p], { encoding: 'utf8' })).toMatch(/^TYPE=iso9660$/m);
  });

  it('appliance: one createAppliance subtask with the disk in the requested format', async () => {
    const id = (await value(sim.hubUrl, 'buildImage', ['Fedora-Appliance', '44', 'x86_64', 'f-target', 'fedora-appliance.ks', 'appliance', kwargs({ opts: { release: '1', scratch: true, format: 'qcow2' }, priority: null })], s)) as number;
    const { children } = await finished(id);
    expect([children[0]!.method, children[0]!.label, children[0]!.state]).toEqual(['createAppliance', 'appliance', TASK_STATES.CLOSED]);
    const result = (await value(sim.hubUrl, 'getTaskResult', [children[0]!.id as number], s)) as Struct;
    expect(result.files).toEqual(['Fedora-Appliance-44-1-sda.qcow2', 'Fedora-Appliance-44-1.xml']);
  });
});

describe('task lifecycle', () => {
  it('goes FREE -> OPEN (subtasks spawned, waiting) -> CLOSED, and listTasks finds it by owner, method and state', async () => {
    const events: Array<[number, number]> = [];
    const onChange = (t: { id: number; state: number }) => events.push([t.id, t.state]);
    sim.store.on('change', onChange);
    const id = (await value(sim.hubUrl, 'kiwiBuild', ['f-target', ['x86_64'], KIWI_URL, 'Fedora.kiwi', kwargs({ profile: 'Cloud-Base-Generic', scratch: true })], s)) as number;
    const open = await sim.waitForTask(id, { until: (t) => t.state === TASK_STATES.OPEN && t.waiting === true });
    expect(sim.store.children(id).map((c) => [c.state, c.awaited])).toEqual([[TASK_STATES.FREE, true]]);
    expect(open.hostId).toBe(1);
    await sim.waitForTask(id);
    sim.store.off('change', onChange);
    const seen = events.filter(([t]) => t === id).map(([, st]) => st).filter((st, i, a) => i === 0 || a[i - 1] !== st);
    expect(seen).toEqual([TASK_STATES.FREE, TASK_STATES.OPEN, TASK_STATES.CLOSED]);
    const user = (await value(sim.hubUrl, 'getLoggedInUser', [], s)) as Struct;
    const found = (await value(sim.hubUrl, 'listTasks', [kwargs({ opts: { method: 'kiwiBuild', owner: user.id!, state: [TASK_STATES.CLOSED], decode: true } })], s)) as Struct[];
    const mine = found.find((t) => t.id === id)!;
    expect(mine.owner_name).toBe('fedimg');
    expect((mine.request as XmlRpcValue[])[0]).toBe('f-target');
    expect(typeof ((mine.result as XmlRpcValue[])[0])).toBe('string');
    const raw = (await value(sim.hubUrl, 'listTasks', [{ method: 'kiwiBuild', parent: null }, { order: '-id', limit: 1 }], s)) as Struct[];
    expect(raw).toHaveLength(1);
    expect(raw[0]!.id).toBe(id);
    expect(String(raw[0]!.request)).toMatch(/^<\?xml version='1.0'\?>\n<methodCall>\n<methodName>kiwiBuild<\/methodName>/);
  });
});
