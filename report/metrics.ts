// The catalogue's Prometheus metrics, on a registry of its own (tests run several catalogues in
// one process). Refused messages are counted by reason so forged or malformed traffic shows up.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What happened to one delivered message. */
export const INGEST_OUTCOMES = ['applied', 'duplicate', 'unsigned', 'forged', 'malformed', 'unknown_topic', 'failed'] as const;
export type IngestOutcome = (typeof INGEST_OUTCOMES)[number];

export interface CatalogueMetrics {
  registry: Registry;
  messages: Counter<'outcome'>;
  applySeconds: Histogram;
  busConnected: Gauge;
  http: Counter<'method' | 'route' | 'status'>;
  officialMarked: Counter;
}

export function createMetrics(opts: { counts?: () => Promise<{ images: number; messages: number }> } = {}): CatalogueMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'catalogue_' });
  const messages = new Counter({
    name: 'catalogue_messages_total',
    help: 'Bus messages delivered to the catalogue, by outcome (applied, duplicate, unsigned, forged, malformed, unknown_topic, failed).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  // Every outcome appears from the start, so a dashboard shows 0 rather than nothing.
  for (const o of INGEST_OUTCOMES) messages.inc({ outcome: o }, 0);
  const counts = opts.counts;
  new Gauge({
    name: 'catalogue_images',
    help: 'Images the catalogue knows.',
    registers: [registry],
    async collect() {
      if (counts) this.set((await counts()).images);
    },
  });
  return {
    registry,
    messages,
    applySeconds: new Histogram({
      name: 'catalogue_message_apply_seconds',
      help: 'Time to verify, validate and commit one message.',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
    busConnected: new Gauge({ name: 'catalogue_bus_connected', help: '1 while the ingest consumer is attached to its queue.', registers: [registry] }),
    http: new Counter({
      name: 'catalogue_http_requests_total',
      help: 'HTTP requests answered, by route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    officialMarked: new Counter({ name: 'catalogue_releases_marked_official_total', help: 'Releases marked official through the API.', registers: [registry] }),
  };
}
