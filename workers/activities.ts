// Builds every activity with real clients from the settings. Each worker host registers all of
// them on all its queues; the workflows choose the queue (and so the host) for each call.
import { resolve } from 'node:path';
import type { Config } from '../config';
import { createHealthActivities } from '../activities/health';
import { createKojiActivities } from '../activities/koji';
import { createFetchActivities } from '../activities/fetch';
import { createDownloadActivities } from '../activities/downloads';
import { createArtifactActivities } from '../activities/artifacts';
import { downloadTargetFromConfig } from '../clients/downloads';
import { createBusActivities } from '../activities/bus';
import { createGlanceActivities } from '../activities/glance';
import { createGlanceRetentionActivities } from '../activities/glance-retention';
import { busPublisherOptions, createBusPublisher } from '../clients/bus';
import { openstackClientsFromConfig } from '../clients/openstack';
import { readSecret } from '../config/secrets';
import { createAwsClients } from '../clients/aws/clients';
import { createEc2Activities } from '../activities/ec2';
import { healthTargets } from './health-targets';
import { kojiClientFromConfig } from './koji-client';

export function buildActivities(config: Config, where: { host: string; hostQueue: string; temporalAddress: string }) {
  const stagingDir = resolve(config.staging.dir);
  const publisher = createBusPublisher(busPublisherOptions(config.bus, readSecret(config.bus.signing.privateKey, 'bus.signing.privateKey')));
  const { glance } = openstackClientsFromConfig(config.openstack, readSecret);
  // AWS credentials come from the SDK's default chain on this host, never from workflow inputs.
  const aws = createAwsClients({
    ...(config.aws.endpoint ? { endpoint: config.aws.endpoint } : {}),
    maxAttempts: config.aws.sdkMaxAttempts,
    maxSockets: Math.max(64, 2 * config.aws.snapshot.parallelism),
  });
  const activities = {
    ...createHealthActivities(healthTargets(config, where.temporalAddress)),
    ...createKojiActivities({ koji: kojiClientFromConfig(config) }),
    ...createFetchActivities({
      topUrl: config.koji.topUrl,
      stagingDir,
      maxImageBytes: config.staging.maxImageBytes,
      hostTaskQueue: where.hostQueue,
      hostId: where.host,
    }),
    ...createArtifactActivities({ stagingDir, maxImageBytes: config.staging.maxImageBytes, qemuParallelism: 8, xzThreads: 0 }),
    ...createDownloadActivities({ target: downloadTargetFromConfig(config.downloads) }),
    ...createGlanceActivities({ client: glance, tag: config.openstack.tag, x86Firmware: config.openstack.x86Firmware, upload: config.openstack.upload }),
    ...createGlanceRetentionActivities({ client: glance, tag: config.openstack.tag }),
    ...createBusActivities({ publisher }),
    ...createEc2Activities({ clients: aws, images: config.aws.images, snapshot: config.aws.snapshot, latestParameters: config.aws.latestParameters }),
  };
  return {
    activities,
    close: async () => {
      await publisher.close();
      aws.destroy();
    },
  };
}
