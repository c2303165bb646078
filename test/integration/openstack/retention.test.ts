// glanceRetentionWorkflow against the stack's real Glance, on a real worker: a dry run changes
// nothing; a real run deletes exactly the expired nightlies of the family and announces each on
// the bus; release candidates, the newest nightly of each release + arch, other families' images
// and images without our tag stay.
//
// Age: Glance sets created_at itself (to the second), so nothing here fakes it. The "old" images
// are made first, then the test waits for the next second (the cutoff) and makes the "young"
// ones; the workflow is asked to measure ages as of cutoff + olderThanDays (its `asOf` input,
// what an operator would use to preview "what goes next week"). Every rule then runs on Glance's
// own timestamps.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBusActivities } from '../../../activities/bus';
import { createGlanceRetentionActivities } from '../../../activities/glance-retention';
import { createBusPublisher, type BusPublisher } from '../../../clients/bus';
import { fedoraImageProperties, type FedoraArch, type GlanceClient } from '../../../clients/openstack';
import { getConfig } from '../../../config';
import { readSecret } from '../../../config/secrets';
import { ImageStage } from '../../../domain/search-attributes';
import { glanceRetentionWorkflow, type GlanceRetentionInput } from '../../../workflows/glance-retention';
import { bodyOf, startBusTap, type BusTap } from '../../helpers/bus-tap';
import { uniqueQueue, withWorkers } from '../../helpers/temporal';
import { deleteTagged, ensureOpenstack, glanceClient, makeQcow2, tempDir, uniqueTag, type Qcow2 } from './helpers';
import { busPublisherOptions } from '../../../workers/clients-from-config';

const run = randomUUID().slice(0, 8);
const tag = uniqueTag('retention');
const foreignTag = uniqueTag('retention-foreign');
const family = `RetentionTest-${run}`;
const otherFamily = `RetentionOther-${run}`;
const config = getConfig();
let glance: GlanceClient;
let tmp: Awaited<ReturnType<typeof tempDir>>;
let qcow2: Qcow2;
let publisher: BusPublisher;
let tap: BusTap;

beforeAll(async () => {
  await ensureOpenstack();
  glance = glanceClient();
  tmp = await tempDir('glance-retention-');
  qcow2 = await makeQcow2(tmp.dir, 'tiny', 1, 16);
  publisher = createBusPublisher(busPublisherOptions(config.bus, readSecret(config.bus.signing.privateKey, 'bus signing key')));
  tap = await startBusTap(config.bus, `${config.bus.topicPrefix}.fedimg.retention.action.v1.#`);
});

afterAll(async () => {
  await tap?.stop();
  await publisher?.close();
  for (const t of [tag, foreignTag]) await deleteTagged(glance, t).catch(() => undefined);
  await tmp?.cleanup();
});

/** An active image as publishing makes it: Fedora properties, our identity, a tag, real data. */
async function image(name: string, id: { family: string; kind: string; release: string; arch: FedoraArch; label: string }, tags = [tag]): Promise<string> {
  const version = id.release === 'rawhide' ? 'Rawhide' : id.release;
  const img = await glance.createImage({
    name: `Fedora-${id.family}-${version}-${id.label}.${id.arch}-${name}`,
    visibility: 'private',
    tags,
    properties: fedoraImageProperties({ ...id, buildId: `Fedora-${version}-${id.label}`, sha256: qcow2.sha256 }),
  });
  await glance.uploadFile(img.id, qcow2.path);
  const after = await glance.getImage(img.id);
  expect(after?.status).toBe('active');
  return img.id;
}

const exists = async (id: string) => (await glance.getImage(id)) !== undefined;

describe('glanceRetentionWorkflow', () => {
  it('deletes only expired nightlies of the family, announces each, and a dry run first changes nothing', async () => {
    const nightly = (release: string, arch: FedoraArch, label: string) => ({ family, kind: 'nightly', release, arch, label });
    const old = {
      rawhide1: await image('a', nightly('rawhide', 'x86_64', '20261101.n.0')),
      rawhide2: await image('b', nightly('rawhide', 'x86_64', '20261102.n.0')),
      // The only aarch64 nightly: however old, the newest of its release + arch stays.
      onlyAarch64: await image('c', nightly('rawhide', 'aarch64', '20261102.n.0')),
      rc: await image('d', { family, kind: 'rc', release: '44', arch: 'x86_64', label: '1.7' }),
      otherFamily: await image('e', { ...nightly('rawhide', 'x86_64', '20261101.n.0'), family: otherFamily }),
      foreign: await image('f', nightly('rawhide', 'x86_64', '20261101.n.0'), [foreignTag]),
    };
    // The cutoff: the next whole second, after every old image's created_at and before any young one's.
    const cutoff = Math.ceil((Date.now() + 1) / 1000) * 1000;
    await new Promise((r) => setTimeout(r, cutoff - Date.now() + 50));
    const young = await image('g', nightly('rawhide', 'x86_64', '20261121.n.0'));

    const olderThanDays = 14;
    const queue = uniqueQueue('glance-retention');
    const activities = { ...createGlanceRetentionActivities({ client: glance, tag }), ...createBusActivities({ publisher }) };
    await withWorkers([{ taskQueue: queue, activities }], async (client) => {
      const input = (dryRun: boolean): GlanceRetentionInput => ({
        families: [{ name: family, subvariant: 'Cloud_Base' }],
        olderThanDays,
        keepLatest: 1,
        dryRun,
        asOf: new Date(cutoff + olderThanDays * 86_400_000).toISOString(),
        announce: { region: config.openstack.region, rawhideRelease: config.bus.rawhideRelease },
        retry: { initialIntervalMs: 200, maximumAttempts: 3 },
      });
      const start = (dryRun: boolean, n = '') =>
        client.workflow.start(glanceRetentionWorkflow, { taskQueue: queue, workflowId: `glance-retention-${run}-${dryRun ? 'dry' : 'real'}${n}`, args: [input(dryRun)] });

      const dryHandle = await start(true);
      const dry = await dryHandle.result();
      expect(dry.actions.map((a) => [a.imageId, a.outcome]).sort()).toEqual(
        [
          [old.rawhide1, 'planned'],
          [old.rawhide2, 'planned'],
        ].sort(),
      );
      expect(dry.actions[0]?.reason).toMatch(/^nightly 14 days old \(limit 14\)$/);
      const kept = Object.fromEntries(dry.kept.map((k) => [k.imageId, k.reason]));
      expect(kept[old.rc]).toBe('kind is rc, only nightlies expire');
      expect(kept[old.onlyAarch64]).toMatch(/one of the 1 newest/);
      expect(kept[young]).toMatch(/one of the 1 newest/);
      // Not even listed: another family's image, and one without our tag.
      expect(Object.keys(kept)).not.toContain(old.otherFamily);
      expect(Object.keys(kept)).not.toContain(old.foreign);
      for (const id of [...Object.values(old), young]) expect(await exists(id), id).toBe(true);
      expect((await dryHandle.describe()).typedSearchAttributes.get(ImageStage)).toBe('dry run: 2 to delete');

      const realHandle = await start(false);
      const real = await realHandle.result();
      expect(real.actions.map((a) => [a.imageId, a.outcome]).sort()).toEqual(
        [
          [old.rawhide1, 'deleted'],
          [old.rawhide2, 'deleted'],
        ].sort(),
      );
      expect(real.actions.every((a) => a.messageId !== undefined && a.announceError === undefined)).toBe(true);
      expect(await exists(old.rawhide1)).toBe(false);
      expect(await exists(old.rawhide2)).toBe(false);
      for (const id of [old.onlyAarch64, old.rc, old.otherFamily, old.foreign, young]) expect(await exists(id), id).toBe(true);
      expect((await realHandle.describe()).typedSearchAttributes.get(ImageStage)).toBe('done: 2 deleted, 0 failed');

      // The bus carries one fedimg.retention.action.v1 per deletion, as the catalogue reads it.
      const deadline = Date.now() + 10_000;
      const ours = () => tap.select((b) => b.family === family);
      while (ours().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const messages = ours();
      expect(messages.map((m) => m.routingKey)).toEqual([
        `${config.bus.topicPrefix}.fedimg.retention.action.v1.removed.glance`,
        `${config.bus.topicPrefix}.fedimg.retention.action.v1.removed.glance`,
      ]);
      expect(messages.map((m) => bodyOf(m)).sort((a, b) => String(a.compose_id).localeCompare(String(b.compose_id)))).toEqual([
        expect.objectContaining({
          action: 'removed',
          destination: 'glance',
          build_kind: 'nightly',
          release: config.bus.rawhideRelease,
          version: 'Rawhide',
          compose_id: 'Fedora-Rawhide-20261101.n.0',
          architecture: 'x86_64',
          region: config.openstack.region,
          resource_id: old.rawhide1,
          subvariant: 'Cloud_Base',
          run_id: `glance-retention-${run}-real`,
        }),
        expect.objectContaining({ compose_id: 'Fedora-Rawhide-20261102.n.0', resource_id: old.rawhide2 }),
      ]);

      // Run again: nothing left to do.
      const again = await (await start(false, '-again')).result();
      expect(again.actions).toEqual([]);
      expect(again.familyErrors).toEqual([]);

      // A bad clock in the input fails the run at once, naming the field, and touches nothing.
      const bad = client.workflow.execute(glanceRetentionWorkflow, {
        taskQueue: queue,
        workflowId: `glance-retention-${run}-bad`,
        args: [{ ...input(false), asOf: 'next tuesday' }],
      });
      await expect(bad).rejects.toMatchObject({ cause: { message: expect.stringContaining('asOf: expected an ISO 8601 time') } });
      for (const id of [old.onlyAarch64, old.rc, old.otherFamily, old.foreign, young]) expect(await exists(id), id).toBe(true);
    });
  });
});
