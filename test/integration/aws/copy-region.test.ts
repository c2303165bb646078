// copyAmiToRegionWorkflow on the stack's Temporal, against a private moto behind this file's own
// AWS front and a fault proxy:
//  - a CopyImage whose answer is lost (the copy made, the connection dropped before the answer)
//    is adopted by the retried activity: exactly one AMI in the target region, one CopyImage;
//  - a public image moves the region's "latest image" SSM parameter;
//  - a region that blocks public AMIs fails its child at once (final, not retried) and writes no
//    parameter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeImagesCommand, EnableImageBlockPublicAccessCommand } from '@aws-sdk/client-ec2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { WorkflowFailedError } from '@temporalio/client';
import { createAwsClients, type AwsClients } from '../../../clients/aws/clients';
import { createEc2Activities } from '../../../activities/ec2';
import { answerLostOnce, startFaultProxy, type FaultProxy } from '../../../sim/fault-proxy';
import { copyAmiToRegionWorkflow, type CopyAmiToRegionInput } from '../../../workflows/ec2';
import { rootCause } from '../../../workflows/ec2/activity-options';
import { uniqueQueue } from '../../helpers/temporal';
import { registerImage, startFrontWorld, type FrontWorld } from './front-helpers';
import { uid, withEc2Workers } from './helpers';

let world: FrontWorld;
let proxy: FaultProxy;
let clients: AwsClients;

beforeAll(async () => {
  world = await startFrontWorld();
  proxy = await startFaultProxy({ target: world.front.url });
  // No SDK retries: the activity's retry (Temporal's) is what must cope with the lost answer.
  clients = createAwsClients({ endpoint: proxy.url, maxAttempts: 1 });
});

afterAll(async () => {
  clients?.destroy();
  await proxy?.close();
  await world?.stop();
});

async function sourceImage(name: string): Promise<string> {
  return (await registerImage(world.clients, 'us-east-1', name, { 'fedimg:managed': 'true' })).imageId;
}

function inputFor(region: string, sourceImageId: string, name: string, family: string): CopyAmiToRegionInput {
  return {
    region,
    sourceRegion: 'us-east-1',
    sourceImageId,
    name,
    description: name,
    tags: { Name: name, 'fedimg:managed': 'true' },
    makePublic: true,
    clientToken: `key-${name}`,
    latestParameter: { family, release: '44', arch: 'x86_64', kind: 'release', buildId: 'Fedora-44-1.7' },
    poll: { initialMs: 100, maxMs: 300, timeoutMs: 60_000 },
    retry: { initialIntervalMs: 200, maximumIntervalMs: 1000, maximumAttempts: 6 },
  };
}

const run = (input: CopyAmiToRegionInput, id: string) => {
  const queue = uniqueQueue('ec2-copy');
  return withEc2Workers([{ taskQueue: queue, activities: createEc2Activities({ clients }) }], (client) =>
    client.workflow.execute(copyAmiToRegionWorkflow, { taskQueue: queue, workflowId: `ec2-copy-${id}`, args: [input] }),
  );
};

describe('copyAmiToRegionWorkflow', () => {
  it('adopts the copy a lost CopyImage answer made instead of copying twice, then points the latest parameter at it', async () => {
    const id = uid();
    const region = 'eu-central-1';
    const name = `copy-lost-${id}`;
    const family = `Cloud-${id}`;
    const source = await sourceImage(name);
    const lost = proxy.addRule(answerLostOnce('CopyImage', { region }));
    const seq = proxy.calls.at(-1)?.seq ?? 0;
    try {
      const out = await run(inputFor(region, source, name, family), id);
      expect(lost.fired).toBe(1);
      const copies = proxy.count('CopyImage', (c) => c.seq > seq && c.region === region);
      // One copy was asked for and made; the retried activity found it by name.
      expect(copies).toMatchObject({ requests: 1, succeeded: 1, delivered: 0 });
      expect(out.copied).toBe(false);
      const there = (await world.clients.ec2(region).send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [name] }] }))).Images ?? [];
      expect(there.map((i) => i.ImageId)).toEqual([out.amiId]);
      expect(there[0]?.Public).toBe(true);

      expect(out.latestParameter).toEqual({ name: `/fedora/${family}/44/x86_64/latest`, outcome: 'written' });
      const param = await world.clients.ssm(region).send(new GetParameterCommand({ Name: `/fedora/${family}/44/x86_64/latest` }));
      expect(param.Parameter).toMatchObject({ Value: out.amiId, DataType: 'aws:ec2:image' });
    } finally {
      lost.remove();
    }
  });

  it('fails a region that blocks public AMIs at once, with a final error, and writes no parameter there', async () => {
    const id = uid();
    const region = 'ap-northeast-1';
    const name = `copy-blocked-${id}`;
    const family = `Cloud-${id}`;
    await world.clients.ec2(region).send(new EnableImageBlockPublicAccessCommand({ ImageBlockPublicAccessState: 'block-new-sharing' }));
    const source = await sourceImage(name);
    const seq = proxy.calls.at(-1)?.seq ?? 0;
    const err = await run(inputFor(region, source, name, family), id).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = rootCause(err);
    expect(cause.type).toBe('Ec2PublicSharingBlocked');
    expect(cause.message).toContain(`aws ec2 disable-image-block-public-access --region ${region}`);
    // Final: asked once, not retried; never shared, no pointer at a private image.
    const mine = (c: { seq: number; region: string | undefined }) => c.seq > seq && c.region === region;
    expect(proxy.count('GetImageBlockPublicAccessState', mine).requests).toBe(1);
    expect(proxy.count('ModifyImageAttribute', mine).requests).toBe(0);
    expect(proxy.count('PutParameter', mine).requests).toBe(0);
  });
});
