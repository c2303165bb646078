// ec2RetentionWorkflow with announcements, as its schedule runs it: every deprecation and every
// deregistration is a signed fedimg.retention.action.v1 on the stack's RabbitMQ (deprecated, then
// removed), built from the AMI's own tags; an AMI whose tags lack its build is still taken out,
// and the run's result says why it was not announced. moto stamps CreationDate "now": the fault
// proxy ages the images this test calls old, as in retention.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBusActivities } from '../../../activities/bus';
import { createEc2Activities } from '../../../activities/ec2';
import { createAwsClients, type AwsClients } from '../../../clients/aws/clients';
import { createBusPublisher, type BusPublisher } from '../../../clients/bus';
import { getConfig } from '../../../config';
import { readSecret } from '../../../config/secrets';
import type { FaultProxy } from '../../../sim/fault-proxy';
import { ec2RetentionWorkflow } from '../../../workflows/ec2';
import { bodyOf, startBusTap, type BusTap } from '../../helpers/bus-tap';
import { uniqueQueue } from '../../helpers/temporal';
import { uid, withEc2Workers } from './helpers';
import { registerTaggedImage, startRetentionProxy } from './retention-helpers';
import { busPublisherOptions } from '../../../workers/clients-from-config';

const region = 'us-west-2';
const config = getConfig();
let proxy: FaultProxy;
let clients: AwsClients;
let publisher: BusPublisher;
let tap: BusTap;
const old = new Set<string>();

beforeAll(async () => {
  proxy = await startRetentionProxy(old);
  clients = createAwsClients({ endpoint: proxy.url });
  publisher = createBusPublisher(busPublisherOptions(config.bus, readSecret(config.bus.signing.privateKey, 'bus signing key')));
  tap = await startBusTap(config.bus, `${config.bus.topicPrefix}.fedimg.retention.action.v1.#`);
});

afterAll(async () => {
  await tap?.stop();
  await publisher?.close();
  clients?.destroy();
  await proxy?.close();
});

async function oldImage(name: string, tags: Record<string, string>): Promise<string> {
  const id = await registerTaggedImage(region, name, tags);
  old.add(id);
  return id;
}

describe('ec2RetentionWorkflow announcements', () => {
  it('announces each deprecation and removal from the AMI tags; an AMI without its build tag goes unannounced, not kept', async () => {
    const id = uid();
    const family = `RetAnnounce-${id}`;
    const identity = { 'fedimg:managed': 'true', ImageKind: 'nightly', FedoraFamily: family, FedoraRelease: 'rawhide', Arch: 'x86_64' };
    const tagged = await oldImage(`ret-ann-${id}-tagged`, { ...identity, FedoraCompose: `Fedora-Rawhide-20261008.n.0` });
    const untagged = await oldImage(`ret-ann-${id}-no-compose`, identity);
    const queue = uniqueQueue('ec2-retention-announce');
    const activities = { ...createEc2Activities({ clients }), ...createBusActivities({ publisher }) };

    await withEc2Workers([{ taskQueue: queue, activities }], async (client) => {
      const result = await client.workflow.execute(ec2RetentionWorkflow, {
        taskQueue: queue,
        workflowId: `ec2-retention-announce-${id}`,
        args: [{ olderThanDays: 30, dryRun: false, regions: [region], announce: { subvariants: { [family]: 'Cloud_Base' }, rawhideRelease: 46 }, retry: { initialIntervalMs: 300 } }],
      });
      const byId = Object.fromEntries(result.actions.map((a) => [a.imageId, a]));
      expect(byId[tagged]).toMatchObject({ outcome: 'done', completed: ['deprecate', 'deregister'] });
      expect(byId[tagged]?.messageIds).toHaveLength(2);
      expect(byId[tagged]?.announceErrors).toBeUndefined();
      expect(byId[untagged]).toMatchObject({ outcome: 'done', completed: ['deprecate', 'deregister'] });
      expect(byId[untagged]?.messageIds).toBeUndefined();
      expect(byId[untagged]?.announceErrors).toEqual(['the image does not say its composeId', 'the image does not say its composeId']);
    });

    const deadline = Date.now() + 10_000;
    const ours = () => tap.select((b) => b.family === family);
    while (ours().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const messages = ours();
    expect(messages.map((m) => [m.routingKey, bodyOf(m).resource_id])).toEqual([
      [`${config.bus.topicPrefix}.fedimg.retention.action.v1.deprecated.ec2`, tagged],
      [`${config.bus.topicPrefix}.fedimg.retention.action.v1.removed.ec2`, tagged],
    ]);
    expect(bodyOf(messages[1]!)).toMatchObject({
      family,
      subvariant: 'Cloud_Base',
      release: 46,
      version: 'Rawhide',
      compose_id: 'Fedora-Rawhide-20261008.n.0',
      build_kind: 'nightly',
      action: 'removed',
      destination: 'ec2',
      architecture: 'x86_64',
      region,
      resource_name: `ret-ann-${id}-tagged`,
      // The workflow's clock is read before the listing the proxy ages: just under 45 days.
      reason: expect.stringMatching(/^nightly 4[45] days old \(limit 30\)$/),
      run_id: `ec2-retention-announce-${id}`,
    });
  });
});
