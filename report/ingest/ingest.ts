// The catalogue's ingest: a durable queue bound to the project's topics, consumed with a bounded
// prefetch. Each delivery is verified, validated and applied in one transaction; only then is it
// acked, so a crash at any point leaves the message in the queue (redelivered, then recognised by
// its id if it had been committed). Refused messages are dropped (nack without requeue) and
// counted; a database failure requeues after a pause.
import { startQueueConsumer, type BusConnectionOptions, type HandlerOutcome, type QueueConsumer, type TrustedKeys } from '../../clients/bus';
import type { CatalogueMetrics } from '../metrics';
import type { CatalogueStore } from '../store/store';
import { bindingsFor, decodeMessage, type DecodeContext } from './decode';

export interface IngestOptions {
  connection: BusConnectionOptions;
  exchange: string;
  queue: string;
  topicPrefix: string;
  trustedKeys: TrustedKeys;
  glanceRegion: string;
  prefetch?: number;
  store: CatalogueStore;
  metrics: CatalogueMetrics;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** Pause before a message the store could not take is requeued. Default 5 s. */
  requeueDelayMs?: number;
}

export interface Ingest {
  readonly ready: Promise<void>;
  status(): { connected: boolean; queue: string };
  stop(): Promise<void>;
}

export function startIngest(opts: IngestOptions): Ingest {
  const log = opts.log ?? (() => undefined);
  const { store, metrics } = opts;
  let connected = false;
  const setConnected = (c: boolean) => {
    connected = c;
    metrics.busConnected.set(c ? 1 : 0);
  };
  const ctx: DecodeContext = {
    trustedKeys: opts.trustedKeys,
    topicPrefix: opts.topicPrefix,
    glanceRegion: opts.glanceRegion,
    findByCompose: (composeId, arch, subvariant) => store.findByCompose(composeId, arch, subvariant),
  };

  const consumer: QueueConsumer = startQueueConsumer({
    ...opts.connection,
    connectionName: `fedimg catalogue ${opts.queue}`,
    queue: opts.queue,
    exchange: opts.exchange,
    bindings: bindingsFor(opts.topicPrefix),
    prefetch: opts.prefetch ?? 16,
    requeueDelayMs: opts.requeueDelayMs ?? 5000,
    async handle(msg): Promise<HandlerOutcome> {
      const stopTimer = metrics.applySeconds.startTimer();
      try {
        const decoded = await decodeMessage(msg, ctx);
        if (!decoded.ok) {
          metrics.messages.inc({ outcome: decoded.outcome });
          log('warn', `refused ${String(msg.messageId)} on ${msg.routingKey}: ${decoded.outcome} (${decoded.detail})`);
          return 'drop';
        }
        const result = await store.apply(decoded.event);
        metrics.messages.inc({ outcome: result.outcome });
        return 'ack';
      } catch (err) {
        metrics.messages.inc({ outcome: 'failed' });
        log('error', `could not store ${String(msg.messageId)} on ${msg.routingKey}: ${(err as Error).message}; it goes back to the queue`);
        return 'requeue';
      } finally {
        stopTimer();
      }
    },
    onEvent(e) {
      if (e.level === 'info') setConnected(true);
      else if (/closed|failed|cannot|lost/i.test(e.message) && !/handler failed|settle/i.test(e.message)) setConnected(false);
      log(e.level, e.message);
    },
  });
  void consumer.ready.then(() => setConnected(true));

  return {
    ready: consumer.ready,
    status: () => ({ connected, queue: opts.queue }),
    async stop() {
      await consumer.stop();
      setConnected(false);
    },
  };
}
