// The worker side of every destination: its activities, built with real clients from its config
// section (domain/destinations.ts `configSection`). Keyed by domain/destinations.ts, so a
// destination added there without its worker part does not compile.
import type { Config } from '../config';
import { createDownloadActivities } from '../activities/downloads';
import { createEc2Activities } from '../activities/ec2';
import { createGlanceActivities } from '../activities/glance';
import { createGlanceRetentionActivities } from '../activities/glance-retention';
import { createAwsClients } from '../clients/aws/clients';
import { readSecret } from '../config/secrets';
import type { DestinationId } from '../domain/destinations';
import { downloadTargetFromConfig, openstackClientsFromConfig } from './clients-from-config';

/** What a worker host registers for one destination, and how it lets go of its clients. */
export interface DestinationWorkerPart {
  activities: object;
  close?(): void | Promise<void>;
}

export type DestinationWorkerFactory = (config: Config) => DestinationWorkerPart;

export const DESTINATION_WORKERS: Record<DestinationId, DestinationWorkerFactory> = {
  downloads: (config) => ({ activities: createDownloadActivities({ target: downloadTargetFromConfig(config.downloads) }) }),
  glance: (config) => {
    const { glance } = openstackClientsFromConfig(config.openstack, readSecret);
    const o = config.openstack;
    return {
      activities: {
        ...createGlanceActivities({ client: glance, tag: o.tag, x86Firmware: o.x86Firmware, upload: o.upload }),
        ...createGlanceRetentionActivities({ client: glance, tag: o.tag }),
      },
    };
  },
  ec2: (config) => {
    // AWS credentials come from the SDK's default chain on this host, never from workflow inputs.
    const aws = createAwsClients({
      ...(config.aws.endpoint ? { endpoint: config.aws.endpoint } : {}),
      maxAttempts: config.aws.sdkMaxAttempts,
      maxSockets: Math.max(64, 2 * config.aws.snapshot.parallelism),
    });
    return { activities: createEc2Activities({ clients: aws, images: config.aws.images, snapshot: config.aws.snapshot, latestParameters: config.aws.latestParameters }), close: () => aws.destroy() };
  },
};
