// A durable-queue consumer that keeps itself connected: declares the queue, binds it to the
// exchange for each routing-key pattern, and hands every message to `handle`, acking or dropping
// as the handler says. A lost connection is reopened with back-off until stop(). Messages stay in
// the durable queue while nobody consumes, so nothing published meanwhile is lost.
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { describe, openConnection, type BusConnectionOptions } from './connection';
import { fromAmqp, type ReceivedMessage } from './signing';

/** ack: done; drop: reject without requeue (unparseable, not ours); requeue: try again later. */
export type HandlerOutcome = 'ack' | 'drop' | 'requeue';

export interface ConsumerEvent {
  level: 'info' | 'warn' | 'error';
  message: string;
}

export interface QueueConsumerOptions extends BusConnectionOptions {
  queue: string;
  exchange: string;
  /** Routing-key patterns bound to the queue (topic exchange wildcards allowed). */
  bindings: string[];
  /** Messages handled at once. Default 8. */
  prefetch?: number;
  queueArguments?: Record<string, unknown>;
  /** Delay before a 'requeue' outcome is sent, so a failing dependency is not hammered. Default 5 s. */
  requeueDelayMs?: number;
  /** Reconnect back-off: from initial to max, doubling. Default 1 s to 30 s. */
  reconnectDelayMs?: { initial: number; max: number };
  handle(msg: ReceivedMessage & { redelivered: boolean }, signal: AbortSignal): Promise<HandlerOutcome>;
  onEvent?(e: ConsumerEvent): void;
}

export interface QueueConsumer {
  /** Resolves once the queue is declared, bound and consumed the first time. */
  readonly ready: Promise<void>;
  /** Stops consuming, lets handlers in flight finish (their outcome is still sent), disconnects. */
  stop(): Promise<void>;
}

export function startQueueConsumer(opts: QueueConsumerOptions): QueueConsumer {
  const stopping = new AbortController();
  const inflight = new Set<Promise<void>>();
  const emit = (level: ConsumerEvent['level'], message: string) => opts.onEvent?.({ level, message });
  let conn: ChannelModel | undefined;
  let consuming: { ch: Channel; tag: string } | undefined;
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));
  let wake: (() => void) | undefined;

  async function session(): Promise<void> {
    const c = await openConnection({ connectionName: `fedimg consumer ${opts.queue}`, ...opts });
    conn = c;
    const closed = new Promise<void>((resolve) => {
      c.on('close', () => resolve());
      wake = resolve;
    });
    let ch: Channel;
    try {
      ch = await c.createChannel();
      ch.on('error', (err: Error) => emit('warn', `channel error: ${err.message}`));
      await ch.assertQueue(opts.queue, { durable: true, ...(opts.queueArguments ? { arguments: opts.queueArguments } : {}) });
      for (const pattern of opts.bindings) await ch.bindQueue(opts.queue, opts.exchange, pattern);
      await ch.prefetch(opts.prefetch ?? 8);
      const { consumerTag } = await ch.consume(opts.queue, (m) => {
        if (m) track(deliver(ch, m));
      });
      consuming = { ch, tag: consumerTag };
    } catch (err) {
      await c.close().catch(() => undefined);
      throw err;
    }
    emit('info', `consuming ${opts.queue} (${opts.bindings.join(', ')})`);
    resolveReady();
    await closed;
  }

  function track(p: Promise<void>): void {
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  }

  async function deliver(ch: Channel, m: ConsumeMessage): Promise<void> {
    let outcome: HandlerOutcome;
    try {
      outcome = await opts.handle({ ...fromAmqp(m), redelivered: m.fields.redelivered }, stopping.signal);
    } catch (err) {
      emit('warn', `handler failed on ${m.fields.routingKey} (${String(m.properties.messageId)}): ${describe(err)}; requeueing`);
      outcome = 'requeue';
    }
    try {
      if (outcome === 'ack') ch.ack(m);
      else if (outcome === 'drop') ch.nack(m, false, false);
      else {
        if (!stopping.signal.aborted) await sleep(opts.requeueDelayMs ?? 5000, stopping.signal);
        ch.nack(m, false, true);
      }
    } catch (err) {
      // The channel went away: the broker redelivers the message to the next session.
      emit('warn', `could not settle a message (${describe(err)}); it will be redelivered`);
    }
  }

  const loop = (async () => {
    const { initial, max } = opts.reconnectDelayMs ?? { initial: 1000, max: 30_000 };
    let delay = initial;
    while (!stopping.signal.aborted) {
      const started = Date.now();
      try {
        await session();
        if (!stopping.signal.aborted) emit('warn', 'connection to the broker closed; reconnecting');
      } catch (err) {
        emit('warn', `consumer session failed: ${describe(err)}`);
      }
      conn = undefined;
      consuming = undefined;
      if (Date.now() - started > 60_000) delay = initial;
      if (!stopping.signal.aborted) await sleep(delay, stopping.signal);
      delay = Math.min(max, delay * 2);
    }
  })();

  return {
    ready,
    async stop() {
      stopping.abort();
      // No new deliveries; those in flight finish and are settled on the open channel.
      if (consuming) await consuming.ch.cancel(consuming.tag).catch(() => undefined);
      await Promise.allSettled([...inflight]);
      const c = conn;
      if (c) await c.close().catch(() => undefined);
      wake?.();
      await loop;
    },
  };
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects: callers check the signal). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
