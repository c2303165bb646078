// Health probes as an activity, so a health workflow proves each task queue has a live worker
// that can reach the outside services from where it runs.
import { hostname } from 'node:os';
import { activityInfo } from '@temporalio/activity';
import type { QueueHealth, ServiceProbe } from '../domain/health';
import { probeHttp, probeTcp, splitHostPort } from '../clients/net/probe';

export interface ProbeTarget {
  service: string;
  /** host:port for TCP, or an http(s) URL. */
  target: string;
}

export function createHealthActivities(targets: ProbeTarget[]) {
  return {
    async probeServices(): Promise<QueueHealth> {
      const probes: ServiceProbe[] = await Promise.all(
        targets.map(async ({ service, target }) => {
          const r = /^https?:/.test(target)
            ? await probeHttp(target)
            : await probeTcp(splitHostPort(target).host, splitHostPort(target).port);
          return { service, target, ...r };
        }),
      );
      return { taskQueue: activityInfo().taskQueue, host: hostname(), probes };
    },
  };
}

export type HealthActivities = ReturnType<typeof createHealthActivities>;
