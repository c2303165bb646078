// Builds every activity with real clients from the settings. Each worker host registers all of
// them on all its queues; the workflows choose the queue (and so the host) for each call. The
// stages every release has are here; each destination's come from workers/destinations.ts.
import { resolve } from 'node:path';
import type { Config } from '../config';
import { createHealthActivities } from '../activities/health';
import { createKojiActivities } from '../activities/koji';
import { createFetchActivities } from '../activities/fetch';
import { createArtifactActivities } from '../activities/artifacts';
import { createBusActivities } from '../activities/bus';
import { createBusPublisher } from '../clients/bus';
import { readSecret } from '../config/secrets';
import { DESTINATION_IDS } from '../domain/destinations';
import { busPublisherOptions } from './clients-from-config';
import { DESTINATION_WORKERS } from './destinations';
import { healthTargets } from './health-targets';
import { kojiClientFromConfig } from './koji-client';

export function buildActivities(config: Config, where: { host: string; hostQueue: string; temporalAddress: string }) {
  const stagingDir = resolve(config.staging.dir);
  const publisher = createBusPublisher(busPublisherOptions(config.bus, readSecret(config.bus.signing.privateKey, 'bus.signing.privateKey')));
  const destinations = DESTINATION_IDS.map((id) => DESTINATION_WORKERS[id](config));
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
    ...createBusActivities({ publisher }),
    ...Object.assign({}, ...destinations.map((d) => d.activities)),
  };
  return {
    activities,
    close: async () => {
      await publisher.close();
      for (const d of destinations) await d.close?.();
    },
  };
}
