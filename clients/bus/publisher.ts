// Publishes Fedora Messaging messages on a confirm channel: publish() resolves only when the
// broker has confirmed the message (it is then on disk for durable queues: delivery_mode 2). One
// connection is opened on first use and reused; when it breaks, the next publish opens another.
// Retrying is the caller's business (Temporal's retry policy): every broker trouble is a
// BusUnavailableError, a message that can never be sent is a MessageFormatError.
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { describe, openConnection, type BusConnectionOptions } from './connection';
import { BusUnavailableError } from './errors';
import { buildWireMessage, type OutgoingMessage, type WireSettings } from './wire';

export interface BusPublisherOptions extends BusConnectionOptions, WireSettings {
  /** How long to wait for the broker's confirm; fedora-messaging's publish timeout is 30 s. */
  confirmTimeoutMs?: number;
  now?: () => Date;
}

export interface PublishResult {
  messageId: string;
  routingKey: string;
  sentAt: string;
}

export interface BusPublisher {
  publish(msg: OutgoingMessage, opts?: { signal?: AbortSignal }): Promise<PublishResult>;
  close(): Promise<void>;
}

interface Link {
  conn: ChannelModel;
  ch: ConfirmChannel;
  /** Why the broker closed the channel, when it said (e.g. "NOT_FOUND - no exchange 'x'"). */
  closeReason?: BusUnavailableError;
}

export function createBusPublisher(opts: BusPublisherOptions): BusPublisher {
  return new ConfirmPublisher(opts);
}

class ConfirmPublisher implements BusPublisher {
  private current: Promise<Link> | undefined;
  private currentLink: Link | undefined;
  private closed = false;

  constructor(private readonly opts: BusPublisherOptions) {}

  async publish(msg: OutgoingMessage, { signal }: { signal?: AbortSignal } = {}): Promise<PublishResult> {
    signal?.throwIfAborted();
    if (this.closed) throw new Error('the publisher is closed');
    const wire = buildWireMessage(msg, this.opts, (this.opts.now ?? (() => new Date()))());
    const link = await abortable(this.link(), signal);
    const timeoutMs = this.opts.confirmTimeoutMs ?? 30_000;
    await new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = (err?: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err === undefined) resolve();
        else reject(err);
      };
      const timer = setTimeout(() => {
        finish(new BusUnavailableError(`the broker did not confirm message ${wire.messageId} within ${timeoutMs} ms`));
        this.drop(link);
      }, timeoutMs);
      const onAbort = () => finish(signal?.reason ?? new Error('aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        link.ch.publish(wire.exchange, wire.routingKey, wire.content, wire.options, (err: unknown) => {
          if (err === null || err === undefined) return finish();
          finish(
            link.closeReason ??
              new BusUnavailableError(`the broker did not take message ${wire.messageId} on ${wire.routingKey}: ${describe(err)}`, { cause: err }),
          );
        });
      } catch (err) {
        this.drop(link);
        finish(link.closeReason ?? new BusUnavailableError(`cannot publish: ${describe(err)}`, { cause: err }));
      }
    });
    return { messageId: wire.messageId, routingKey: wire.routingKey, sentAt: wire.sentAt };
  }

  async close(): Promise<void> {
    this.closed = true;
    const cur = this.current;
    this.current = undefined;
    if (!cur) return;
    try {
      await (await cur).conn.close();
    } catch {
      /* never opened, or already closed */
    }
  }

  private link(): Promise<Link> {
    if (!this.current) {
      const p = this.open();
      this.current = p;
      p.catch(() => {
        if (this.current === p) this.current = undefined;
      });
    }
    return this.current;
  }

  private async open(): Promise<Link> {
    const conn = await openConnection({ connectionName: 'fedimg publisher', ...this.opts });
    let ch: ConfirmChannel;
    try {
      ch = await conn.createConfirmChannel();
    } catch (err) {
      await conn.close().catch(() => undefined);
      throw new BusUnavailableError(`cannot open a confirm channel: ${describe(err)}`, { cause: err });
    }
    const link: Link = { conn, ch };
    this.currentLink = link;
    const forget = () => this.forget(link);
    ch.on('error', (err: Error & { code?: number }) => {
      link.closeReason = new BusUnavailableError(`the broker closed the channel: ${err.message}`, { cause: err, code: err.code });
    });
    ch.on('close', forget);
    conn.on('close', forget);
    return link;
  }

  /** The next publish opens a new connection instead of using this one. */
  private forget(link: Link): void {
    if (this.currentLink !== link) return;
    this.currentLink = undefined;
    this.current = undefined;
  }

  private drop(link: Link): void {
    this.forget(link);
    link.conn.close().catch(() => undefined);
  }
}

function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error('aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
