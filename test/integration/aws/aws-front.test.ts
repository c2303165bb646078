// What EC2 does and moto does not, as the local AWS front (sim/aws-front) answers it, and what
// the EC2 activities make of it. A private moto behind a front of this file's own:
//  - a deprecated nightly disappears from a user's AMI list (DescribeImages by owner) unless the
//    user asks for deprecated images or names the id; the owner keeps seeing it;
//  - a region whose account blocks public AMI sharing fails the publication step with a final
//    error naming the setting and the fix, and the image stays private;
//  - release AMIs get deregistration protection; DeregisterImage is refused (also for 24 h after
//    protection is turned off), and retention keeps them, saying why;
//  - the "latest image" SSM parameter moves forward only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DescribeImagesCommand,
  DisableImageBlockPublicAccessCommand,
  DisableImageDeregistrationProtectionCommand,
  EnableImageBlockPublicAccessCommand,
  EnableImageDeregistrationProtectionCommand,
  GetImageBlockPublicAccessStateCommand,
  ModifyImageAttributeCommand,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { createEc2Activities, type Ec2Activities } from '../../../activities/ec2';
import { deprecateImage, setImagePublic } from '../../../clients/aws/images';
import { planRetention } from '../../../domain/ec2-retention';
import { imagesCreatedDaysAgo } from '../../../sim/fault-proxy';
import { ec2RetentionWorkflow } from '../../../workflows/ec2';
import { uniqueQueue } from '../../helpers/temporal';
import { MOTO_ACCOUNT, failureOf, inActivity, registerImage, startFrontWorld, type FrontWorld } from './front-helpers';
import { uid, withEc2Workers } from './helpers';

let world: FrontWorld;
let acts: Ec2Activities;

beforeAll(async () => {
  world = await startFrontWorld();
  acts = createEc2Activities({ clients: world.clients, latestParameters: { prefix: '/fedora-test' } });
});

afterAll(async () => {
  await world?.stop();
});

const ids = (images: Array<{ ImageId?: string }> | undefined) => (images ?? []).map((i) => i.ImageId);

describe('EC2 deprecation as a user of the AMI list sees it', () => {
  it('hides a deprecated nightly from DescribeImages by owner, shows it with IncludeDeprecated or by id, and always to the owner', async () => {
    const region = 'us-east-2';
    const ec2 = world.clients.ec2(region);
    const user = world.user(region);
    const { imageId: nightly } = await registerImage(world.clients, region, `front-dep-${uid()}`);
    const { imageId: current } = await registerImage(world.clients, region, `front-cur-${uid()}`);
    const { imageId: privateOne } = await registerImage(world.clients, region, `front-priv-${uid()}`);
    await setImagePublic(ec2, nightly, true);
    await setImagePublic(ec2, current, true);
    // 10:00:30 is stored as EC2 stores it: rounded to the minute.
    const at = new Date(world.clock.now() + 2 * 60_000 + 30_000);
    await deprecateImage(ec2, nightly, at.toISOString());

    const list = async (extra: { IncludeDeprecated?: boolean; ImageIds?: string[] } = {}) =>
      (await user.send(new DescribeImagesCommand({ Owners: [MOTO_ACCOUNT], ...extra }))).Images ?? [];

    // Before the date: listed, with its deprecation time; the private image never is.
    const before = await list();
    expect(ids(before)).toEqual(expect.arrayContaining([nightly, current]));
    expect(ids(before)).not.toContain(privateOne);
    expect(before.find((i) => i.ImageId === nightly)?.DeprecationTime).toBe(new Date(Math.round(at.getTime() / 60_000) * 60_000).toISOString());

    world.clock.advance(3 * 60_000);
    expect(ids(await list())).toContain(current);
    expect(ids(await list())).not.toContain(nightly);
    expect(ids(await list({ IncludeDeprecated: true }))).toEqual(expect.arrayContaining([nightly, current]));
    expect(ids(await list({ ImageIds: [nightly] }))).toEqual([nightly]);
    // The owner (fedimg's own listing, retention's too) keeps seeing it, as EC2 documents.
    const own = (await ec2.send(new DescribeImagesCommand({ Owners: ['self'] }))).Images ?? [];
    expect(ids(own)).toEqual(expect.arrayContaining([nightly, current, privateOne]));
    expect(own.find((i) => i.ImageId === nightly)?.DeprecationTime).toBeDefined();
  });
});

describe('image block public access', () => {
  it('fails the region with a final error naming the setting and the fix; the image stays private until it is lifted', async () => {
    const region = 'eu-west-1';
    const ec2 = world.clients.ec2(region);
    await ec2.send(new EnableImageBlockPublicAccessCommand({ ImageBlockPublicAccessState: 'block-new-sharing' }));
    expect((await ec2.send(new GetImageBlockPublicAccessStateCommand({}))).ImageBlockPublicAccessState).toBe('block-new-sharing');
    // Another region of the same account is not affected.
    expect((await world.clients.ec2('us-east-2').send(new GetImageBlockPublicAccessStateCommand({}))).ImageBlockPublicAccessState).toBe('unblocked');
    const { imageId } = await registerImage(world.clients, region, `front-bpa-${uid()}`);
    const finish = { region, imageId, snapshotIds: [], tags: { Name: 'bpa' }, makePublic: true };

    // EC2 itself refuses public sharing while blocked, with its access-style error.
    await expect(ec2.send(new ModifyImageAttributeCommand({ ImageId: imageId, LaunchPermission: { Add: [{ Group: 'all' }] } }))).rejects.toMatchObject({ name: 'OperationNotPermitted' });

    const seq = world.front.proxy.calls.at(-1)?.seq ?? 0;
    const failure = await failureOf(inActivity(acts.ec2FinishImage, finish));
    expect(failure.type).toBe('Ec2PublicSharingBlocked');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('image block public access');
    expect(failure.message).toContain(`aws ec2 disable-image-block-public-access --region ${region}`);
    // Asked before sharing: no attempt to make it public was made.
    expect(world.front.proxy.calls.filter((c) => c.seq > seq && c.action === 'ModifyImageAttribute')).toEqual([]);
    const [img] = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images ?? [];
    expect(img?.Public).toBe(false);

    await ec2.send(new DisableImageBlockPublicAccessCommand({}));
    await inActivity(acts.ec2FinishImage, finish);
    const [after] = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images ?? [];
    expect(after?.Public).toBe(true);
  });
});

describe('deregistration protection of release AMIs', () => {
  it('protects with cooldown; deregistration is refused, retention keeps the image and says why', async () => {
    const region = 'us-east-1';
    const ec2 = world.clients.ec2(region);
    const tags = { 'fedimg:managed': 'true', ImageKind: 'release', Name: 'rel' };
    const { imageId } = await registerImage(world.clients, region, `front-prot-${uid()}`, tags);
    await inActivity(acts.ec2FinishImage, { region, imageId, snapshotIds: [], tags, makePublic: true, protectFromDeregistration: true });
    const [img] = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images ?? [];
    expect(img?.DeregistrationProtection).toBe('enabled-with-cooldown');

    // Retention lists it and keeps it, even when asked to remove images this old.
    const managed = (await inActivity(acts.ec2ListManagedImages, { region })).filter((i) => i.imageId === imageId);
    const plan = planRetention(managed, { nowMs: world.clock.now() + 400 * 86_400_000, olderThanDays: 1 });
    expect(plan.actions).toEqual([]);
    expect(plan.kept).toEqual([{ region, imageId, name: img?.Name, reason: 'deregistration protection is on (enabled-with-cooldown); kind is release' }]);

    // Removal is refused as EC2 refuses it: a final error, the image still there.
    const refused = await failureOf(inActivity(acts.ec2DeregisterImage, { region, imageId, snapshotIds: [] }));
    expect(refused.nonRetryable).toBe(true);
    expect(refused.message).toMatch(/OperationNotPermitted.*deregistration protection/);
    // Turned off, it stays protected for the 24 h cooldown, then can go.
    await ec2.send(new DisableImageDeregistrationProtectionCommand({ ImageId: imageId }));
    const [cooling] = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images ?? [];
    expect(cooling?.DeregistrationProtection).toMatch(/^disabled-until /);
    await failureOf(inActivity(acts.ec2DeregisterImage, { region, imageId, snapshotIds: [] }));
    world.clock.advance(25 * 3_600_000);
    expect(await inActivity(acts.ec2DeregisterImage, { region, imageId, snapshotIds: [] })).toMatchObject({ deregistered: true });
  });
});

describe('ec2RetentionWorkflow and protected images', () => {
  it('keeps old protected images, listing them as kept with the reason, and never asks to deregister them', async () => {
    const region = 'sa-east-1';
    const ec2 = world.clients.ec2(region);
    const nightly = { 'fedimg:managed': 'true', ImageKind: 'nightly' };
    const { imageId: protectedNightly } = await registerImage(world.clients, region, `ret-prot-${uid()}`, nightly);
    const { imageId: release } = await registerImage(world.clients, region, `ret-rel-${uid()}`, { 'fedimg:managed': 'true', ImageKind: 'release' });
    const { imageId: plain } = await registerImage(world.clients, region, `ret-plain-${uid()}`, nightly);
    for (const id of [protectedNightly, release, plain]) await setImagePublic(ec2, id, true);
    for (const id of [protectedNightly, release]) await ec2.send(new EnableImageDeregistrationProtectionCommand({ ImageId: id, WithCooldown: true }));
    const old = new Set([protectedNightly, release, plain]);
    const aged = world.front.proxy.addRewrite(imagesCreatedDaysAgo(45, (id) => old.has(id)));
    const seq = world.front.proxy.calls.at(-1)?.seq ?? 0;
    const queue = uniqueQueue('ec2-ret-prot');
    try {
      const result = await withEc2Workers([{ taskQueue: queue, activities: acts }], (client) =>
        client.workflow.execute(ec2RetentionWorkflow, {
          taskQueue: queue,
          workflowId: `ec2-ret-prot-${uid()}`,
          args: [{ olderThanDays: 30, dryRun: false, regions: [region], retry: { initialIntervalMs: 200, maximumAttempts: 3 } }],
        }),
      );
      expect(result.actions.map((a) => [a.imageId, a.outcome, a.completed])).toEqual([[plain, 'done', ['deprecate', 'make-private', 'deregister']]]);
      expect(Object.fromEntries(result.kept.map((k) => [k.imageId, k.reason]))).toEqual({
        [protectedNightly]: 'deregistration protection is on (enabled-with-cooldown)',
        [release]: 'deregistration protection is on (enabled-with-cooldown); kind is release',
      });
      const removals = world.front.proxy.calls.filter((c) => c.seq > seq && c.action === 'DeregisterImage').map((c) => c.form?.get('ImageId'));
      expect(removals).toEqual([plain]);
      const left = (await ec2.send(new DescribeImagesCommand({ ImageIds: [protectedNightly, release] }))).Images ?? [];
      expect(left.map((i) => [i.ImageId, i.Public])).toEqual(expect.arrayContaining([[protectedNightly, true], [release, true]]));
    } finally {
      aged.remove();
    }
  });
});

describe('the latest image SSM parameter', () => {
  it('names the newest public image per family, release, arch and kind, and never moves back', async () => {
    const region = 'ap-south-1';
    const ec2 = world.clients.ec2(region);
    const family = `Cloud-Base-${uid()}`;
    const { imageId: older } = await registerImage(world.clients, region, `${family}-older`);
    const { imageId: newer } = await registerImage(world.clients, region, `${family}-newer`);
    const aged = world.front.proxy.addRewrite(imagesCreatedDaysAgo(3, (id) => id === older));
    const ref = { region, family, release: '44', arch: 'x86_64', kind: 'release' as const, buildId: 'Fedora-44-1.7' };
    const name = `/fedora-test/${family}/44/x86_64/latest`;
    const value = async () => (await world.clients.ssm(region).send(new GetParameterCommand({ Name: name }))).Parameter;
    try {
      await setImagePublic(ec2, older, true);
      expect(await inActivity(acts.ec2PublishLatestParameter, { ...ref, imageId: older })).toEqual({ name, outcome: 'written' });
      expect(await value()).toMatchObject({ Value: older, DataType: 'aws:ec2:image' });
      expect(await inActivity(acts.ec2PublishLatestParameter, { ...ref, imageId: older })).toMatchObject({ outcome: 'unchanged' });

      expect(await inActivity(acts.ec2PublishLatestParameter, { ...ref, imageId: newer })).toEqual({ name, outcome: 'written', previous: older });
      // A late region (or a re-run) of the older build does not point users back.
      expect(await inActivity(acts.ec2PublishLatestParameter, { ...ref, imageId: older })).toEqual({ name, outcome: 'newer-present', previous: newer });
      expect((await value())?.Value).toBe(newer);
      // A nightly moves its own parameter, never the release one.
      const nightly = await inActivity(acts.ec2PublishLatestParameter, { ...ref, kind: 'nightly', imageId: older });
      expect(nightly.name).toBe(`/fedora-test/${family}/44/x86_64/nightly`);
      expect((await value())?.Value).toBe(newer);
    } finally {
      aged.remove();
    }
  });
});
