// What a health check reports: one probe per outside service, as seen from one task queue.
export interface ServiceProbe {
  service: string;
  target: string;
  ok: boolean;
  detail: string;
  latencyMs: number;
}

export interface QueueHealth {
  taskQueue: string;
  host: string;
  probes: ServiceProbe[];
}

export interface HealthReport {
  queues: QueueHealth[];
  healthy: boolean;
}

export function summariseHealth(queues: QueueHealth[]): HealthReport {
  return { queues, healthy: queues.every((q) => q.probes.every((p) => p.ok)) };
}
