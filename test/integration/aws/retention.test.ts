// ec2RetentionWorkflow against moto through the fault proxy: old managed nightlies go through
// deprecation, loss of public access, deregistration and snapshot deletion; releases, RCs,
// protected and unmanaged images are never touched; a dry run changes nothing. Both runs report
// their progress (ec2RetentionProgress query, ImageStage, memo) as an operator would read it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { createAwsClients, type AwsClients } from '../../../clients/aws/clients';
import { createEc2Activities } from '../../../activities/ec2';
import type { FaultProxy } from '../../../sim/fault-proxy';
import type { WorkflowHandle } from '@temporalio/client';
import { ImageStage } from '../../../domain/search-attributes';
import { ec2RetentionWorkflow } from '../../../workflows/ec2';
import { ec2RetentionProgressQuery } from '../../../workflows/ec2/retention-progress';
import { uniqueQueue } from '../../helpers/temporal';
import { direct, uid, withEc2Workers } from './helpers';
import { registerTaggedImage, startRetentionProxy } from './retention-helpers';

const regions = ['us-east-2', 'eu-west-1'];
let proxy: FaultProxy;
let clients: AwsClients;
const old = new Set<string>();

beforeAll(async () => {
  proxy = await startRetentionProxy(old);
  clients = createAwsClients({ endpoint: proxy.url });
});

afterAll(async () => {
  clients.destroy();
  await proxy.close();
});

/** A public image with these tags, made straight in moto; returns its id. */
async function image(region: string, name: string, tags: Record<string, string>, isOld: boolean) {
  const id = await registerTaggedImage(region, name, tags, { public: true });
  if (isOld) old.add(id);
  return id;
}

async function describe1(region: string, imageId: string) {
  const out = await direct.ec2(region).send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'image-id', Values: [imageId] }] }));
  return out.Images?.[0];
}

describe('ec2RetentionWorkflow', () => {
  it('takes old managed nightlies out, never releases, RCs, protected or unmanaged images; dry run first', async () => {
    const id = uid();
    const managed = { 'fedimg:managed': 'true' };
    const made: Record<string, Record<string, string>> = {};
    for (const region of regions) {
      made[region] = {
        oldNightly: await image(region, `ret-${id}-old-nightly`, { ...managed, ImageKind: 'nightly' }, true),
        youngNightly: await image(region, `ret-${id}-young-nightly`, { ...managed, ImageKind: 'nightly' }, false),
        oldRelease: await image(region, `ret-${id}-old-release`, { ...managed, ImageKind: 'release' }, true),
        oldRc: await image(region, `ret-${id}-old-rc`, { ...managed, ImageKind: 'rc' }, true),
        oldProtected: await image(region, `ret-${id}-old-protected`, { ...managed, ImageKind: 'nightly', 'fedimg:protected': 'true' }, true),
        oldUnmanaged: await image(region, `ret-${id}-old-unmanaged`, { ImageKind: 'nightly' }, true),
      };
    }
    const mine = new Set(Object.values(made).flatMap((m) => Object.values(m)));
    const queue = uniqueQueue('ec2-retention');
    const activities = createEc2Activities({ clients });

    await withEc2Workers([{ taskQueue: queue, activities }], async (client) => {
      const handles: Record<string, WorkflowHandle<typeof ec2RetentionWorkflow>> = {};
      const run = async (dryRun: boolean) => {
        const handle = await client.workflow.start(ec2RetentionWorkflow, {
          taskQueue: queue,
          workflowId: `ec2-retention-${id}-${dryRun ? 'dry' : 'real'}`,
          args: [{ olderThanDays: 30, dryRun, regions, retry: { initialIntervalMs: 300 } }],
        });
        handles[dryRun ? 'dry' : 'real'] = handle;
        return handle.result();
      };

      const before = proxy.calls.at(-1)?.seq ?? 0;
      const dry = await run(true);
      const byRegion = (a: { region: string }, b: { region: string }) => regions.indexOf(a.region) - regions.indexOf(b.region);
      const planned = dry.actions.filter((a) => mine.has(a.imageId)).sort(byRegion);
      expect(planned.map((a) => [a.region, a.imageId, a.outcome, a.steps])).toEqual(
        regions.map((r) => [r, made[r]?.oldNightly, 'planned', ['deprecate', 'make-private', 'deregister']]),
      );
      expect(planned[0]?.snapshotIds.length).toBeGreaterThan(0);
      const kept = Object.fromEntries(dry.kept.filter((k) => mine.has(k.imageId)).map((k) => [k.imageId, k.reason]));
      for (const r of regions) {
        expect(kept[made[r]?.oldRelease ?? '']).toMatch(/release/);
        expect(kept[made[r]?.oldRc ?? '']).toMatch(/rc/);
        expect(kept[made[r]?.oldProtected ?? '']).toMatch(/protected/);
        expect(kept[made[r]?.youngNightly ?? '']).toMatch(/days old/);
      }
      // The unmanaged image is not even listed: the listing asks for fedimg:managed=true.
      expect(dry.actions.concat().some((a) => a.imageId === made[regions[0] ?? '']?.oldUnmanaged)).toBe(false);
      // What an operator sees of the dry run: its plan, region by region, and the stage text.
      const dryHandle = handles.dry!;
      const dryProgress = await dryHandle.query(ec2RetentionProgressQuery);
      expect(dryProgress).toMatchObject({ stage: 'done', dryRun: true, regions: { total: 2, done: 2, failed: [] }, planned: 2, deprecated: 0, madePrivate: 0, deregistered: 0, snapshotsDeleted: 0, failed: 0 });
      expect(dryProgress.plan.map((p) => [p.region, p.imageId, p.steps]).sort()).toEqual(
        regions.map((r) => [r, made[r]?.oldNightly, ['deprecate', 'make-private', 'deregister']]).sort(),
      );
      expect((await dryHandle.describe()).typedSearchAttributes.get(ImageStage)).toBe('dry run: 2 to retire');
      const changing = ['EnableImageDeprecation', 'ModifyImageAttribute', 'ModifySnapshotAttribute', 'DeregisterImage', 'DeleteSnapshot'];
      expect(proxy.calls.filter((c) => c.seq > before && changing.includes(c.action))).toEqual([]);

      const real = await run(false);
      const done = real.actions.filter((a) => mine.has(a.imageId)).sort(byRegion);
      expect(done.map((a) => [a.imageId, a.outcome, a.completed])).toEqual(
        regions.map((r) => [made[r]?.oldNightly, 'done', ['deprecate', 'make-private', 'deregister']]),
      );
      const realHandle = handles.real!;
      const snapshots = done.reduce((n, a) => n + a.snapshotIds.length, 0);
      expect(await realHandle.query(ec2RetentionProgressQuery)).toMatchObject({ stage: 'done', dryRun: false, regions: { total: 2, done: 2, failed: [] }, planned: 2, deprecated: 2, madePrivate: 2, deregistered: 2, snapshotsDeleted: snapshots, failed: 0, plan: [] });
      const described = await realHandle.describe();
      expect(described.typedSearchAttributes.get(ImageStage)).toBe(`done: 2 deprecated, 2 made private, 2 deregistered, ${snapshots} snapshots deleted, 0 failed`);
      expect(described.memo).toMatchObject({ retention: { destination: 'ec2', dryRun: false, planned: 2, deprecated: 2, deregistered: 2, snapshotsDeleted: snapshots, failed: 0 } });
      const changed = proxy.calls.filter((c) => c.seq > before && changing.includes(c.action));
      // In order per image: deprecate, private (image, then its snapshots), deregister, delete snapshots.
      const forImage = (r: string) => changed.filter((c) => c.region === r).map((c) => c.action);
      for (const r of regions) {
        expect(forImage(r)).toEqual(['EnableImageDeprecation', 'ModifyImageAttribute', 'ModifySnapshotAttribute', 'DeregisterImage', 'DeleteSnapshot']);
      }
      expect(changed.every((c) => !c.form?.get('ImageId') || c.form.get('ImageId') === made[c.region ?? '']?.oldNightly)).toBe(true);
    });

    for (const r of regions) {
      expect(await describe1(r, made[r]?.oldNightly ?? '')).toBeUndefined();
      for (const keep of ['youngNightly', 'oldRelease', 'oldRc', 'oldProtected', 'oldUnmanaged']) {
        const img = await describe1(r, made[r]?.[keep] ?? '');
        expect(img?.State, `${r} ${keep}`).toBe('available');
        expect(img?.Public, `${r} ${keep}`).toBe(true);
      }
    }
  });
});
