// The Koji simulator announces on the real broker what Fedora's hub plugin koji-fedoramessaging
// announces: a scratch build's parent task changing state, as buildsys.task.state.change in Fedora
// Messaging's wire format, with state names and the owner's name. Subtasks and non-scratch builds
// say nothing, and a broker that cannot be reached never breaks a build.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GetMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KojiClient } from '../../../clients/koji';
import { parseKojiTaskStateChange } from '../../../domain/messages/koji';
import { startKojiSim, TASK_STATES, type KojiSim } from '../../../sim/koji';
import { AMQP_URL, getMessages, tempQueue, uniquePrefix, withChannel } from '../bus/helpers';

const KIWI_URL = 'git+https://pagure.io/fedora-kiwi-descriptions.git?#4e3d1b2c9a0f7e6d5c4b3a29180706f5e4d3c2b1';
const users = [
  { name: 'fedimg', password: 'fedimg-pw', perms: ['image', 'livecd', 'appliance'] },
  { name: 'nobody', password: 'nobody-pw' },
];
const prefix = uniquePrefix('kojisim');
const rk = `${prefix}.buildsys.task.state.change`;
let sim: KojiSim;
let koji: KojiClient;

beforeAll(async () => {
  sim = await startKojiSim({
    dataDir: mkdtempSync(join(tmpdir(), 'fedimg-koji-bus-')),
    users,
    timing: 'fast',
    imageSizeBytes: 16 * 1024 * 1024,
    bus: { url: AMQP_URL, topicPrefix: prefix },
  });
  koji = new KojiClient({ hubUrl: sim.hubUrl, auth: { method: 'password', user: 'fedimg', password: 'fedimg-pw' } });
});
afterAll(async () => {
  await sim?.close();
});

const kiwi = (release: string, scratch: boolean, arches = ['x86_64', 'aarch64']) =>
  koji.kiwiBuild({ target: 'f-target', arches, descUrl: KIWI_URL, descPath: 'teams/cloud/cloud.kiwi', profile: 'Cloud-Base-Generic', release, scratch });

/** Every message on our prefix until `count` arrived, then a short wait proves no more come. */
async function collect(run: () => Promise<void>, count: number): Promise<GetMessage[]> {
  return withChannel(async (ch) => {
    const queue = await tempQueue(ch, `${prefix}.#`);
    await run();
    expect(await sim.announcer!.flush(10_000)).toBe(true);
    const got = await getMessages(ch, queue, count);
    await new Promise((r) => setTimeout(r, 300));
    expect(await ch.get(queue)).toBe(false);
    return got;
  });
}

const body = (m: GetMessage) => JSON.parse(m.content.toString('utf8')) as Record<string, unknown> & { info: Record<string, unknown> };

describe('Koji simulator on the bus', () => {
  it("announces a scratch build's parent going OPEN then CLOSED, and nothing for the non-scratch build or subtasks", async () => {
    let scratchId = 0;
    let releaseId = 0;
    const messages = await collect(async () => {
      releaseId = await kiwi('1.1', false, ['x86_64']);
      await sim.waitForTask(releaseId);
      scratchId = await kiwi('1.2', true);
      await sim.waitForTask(scratchId);
    }, 2);
    expect(sim.store.get(releaseId)?.state).toBe(TASK_STATES.CLOSED);
    expect(sim.store.children(scratchId)).toHaveLength(2);

    const [open, closed] = messages.map((m) => ({ m, b: body(m) }));
    expect(open!.m.fields.routingKey).toBe(rk);
    expect(closed!.m.fields.routingKey).toBe(rk);
    expect(open!.b).toMatchObject({ id: scratchId, method: 'kiwiBuild', attribute: 'state', old: 'FREE', new: 'OPEN', owner: 'fedimg', instance: 'primary' });
    expect(closed!.b).toMatchObject({ id: scratchId, method: 'kiwiBuild', attribute: 'state', old: 'OPEN', new: 'CLOSED', owner: 'fedimg', srpm: 'f-target' });
    expect(Object.keys(closed!.b)).toEqual(['base_url', 'files_base_url', 'info', 'method', 'attribute', 'old', 'new', 'id', 'owner', 'srpm', 'instance']);
    expect(closed!.b.base_url).toBe(sim.url);
    expect(closed!.b.files_base_url).toBe(`${sim.topUrl}/work`);

    // info: the task with its owner's name, url, result and children, without the float fields.
    const info = closed!.b.info;
    expect(info).toMatchObject({ id: scratchId, state: TASK_STATES.CLOSED, owner: 'fedimg', parent: null, host_name: 'builder1', url: `${sim.url}/koji/taskinfo?taskID=${scratchId}` });
    expect(info.result).toMatch(/^Scratch image build results in: /);
    expect(info).not.toHaveProperty('weight');
    expect(info).not.toHaveProperty('completion_ts');
    expect(Number.isInteger(info.completion_time)).toBe(true);
    const children = info.children as Array<Record<string, unknown>>;
    expect(children.map((c) => [c.parent, c.owner, c.method, c.state]).sort()).toEqual([
      [scratchId, 'fedimg', 'createKiwiImage', TASK_STATES.CLOSED],
      [scratchId, 'fedimg', 'createKiwiImage', TASK_STATES.CLOSED],
    ]);
    expect(open!.b.info).toMatchObject({ state: TASK_STATES.OPEN, result: null, completion_time: null });

    // Fedora Messaging's wire format, as the hub plugin's fedora_messaging.api.publish sends it.
    for (const { m } of [open!, closed!]) {
      expect(m.properties).toMatchObject({ contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: 2 });
      expect(m.properties.messageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      const h = m.properties.headers as Record<string, unknown>;
      expect(h).toMatchObject({
        fedora_messaging_schema: 'koji_fedoramessaging.task.TaskStateChangeV1',
        fedora_messaging_schema_package: 'koji_fedoramessaging_messages',
        fedora_messaging_severity: 20,
        priority: 0,
        fedora_messaging_user_fedimg: true,
      });
      expect(h['sent-at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
      // Koji signs nothing.
      expect(h).not.toHaveProperty('fedimg_signature');
    }
    expect(open!.m.properties.messageId).not.toBe(closed!.m.properties.messageId);
    // What the pipeline's consumer takes from it: the task id and the state name, nothing else.
    expect(parseKojiTaskStateChange(closed!.b)).toEqual({ ok: true, value: { taskId: scratchId, state: 'CLOSED', owner: 'fedimg' } });
  });

  it('announces a failed scratch build as OPEN -> FAILED', async () => {
    let id = 0;
    sim.faults.set({ buildFailure: { next: 1, arch: 'aarch64' } });
    try {
      const messages = await collect(async () => {
        id = await kiwi('1.3', true);
        await sim.waitForTask(id);
      }, 2);
      expect(messages.map((m) => [body(m).id, body(m).old, body(m).new])).toEqual([
        [id, 'FREE', 'OPEN'],
        [id, 'OPEN', 'FAILED'],
      ]);
    } finally {
      sim.faults.clear();
    }
  });

  it('builds as usual when the broker cannot be reached, logging instead of failing', async () => {
    const lines: string[] = [];
    const quiet = await startKojiSim({
      dataDir: mkdtempSync(join(tmpdir(), 'fedimg-koji-nobus-')),
      users,
      timing: 'fast',
      imageSizeBytes: 16 * 1024 * 1024,
      // A closed port: every publish fails at once.
      bus: { url: 'amqp://guest:guest@127.0.0.1:1/%2F', topicPrefix: prefix, attempts: 2, retryDelayMs: 10, connectTimeoutMs: 500 },
      log: (l) => lines.push(l),
    });
    try {
      const client = new KojiClient({ hubUrl: quiet.hubUrl, auth: { method: 'password', user: 'fedimg', password: 'fedimg-pw' } });
      const id = await client.kiwiBuild({ target: 'f-target', arches: ['x86_64'], descUrl: KIWI_URL, descPath: 'x.kiwi', profile: 'Cloud-Base-Generic', scratch: true });
      expect((await quiet.waitForTask(id)).state).toBe(TASK_STATES.CLOSED);
      expect(await quiet.announcer!.flush(10_000)).toBe(true);
      expect(quiet.announcer!.dropped).toBe(2);
      expect(lines.filter((l) => l.includes('dropping task'))).toHaveLength(2);
      // The broker's password never reaches the log.
      expect(lines.join('\n')).not.toContain('guest:guest');
    } finally {
      await quiet.close();
    }
  });
});
