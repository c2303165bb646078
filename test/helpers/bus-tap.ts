// A tap on the broker, as a release engineer would watch it: an exclusive, auto-deleted queue of
// our own bound to a routing-key pattern before anything is published, collecting every message
// as received (headers and raw body, so signatures can be checked afterwards).
import type { ChannelModel } from 'amqplib';
import { openConnection, type ReceivedMessage } from '../../clients/bus';
import type { Config } from '../../config';
import { busConnectionOptions } from '../../workers/clients-from-config';

export interface BusTap {
  readonly messages: ReceivedMessage[];
  /** Messages whose JSON body satisfies `pick` (e.g. this release's family). */
  select(pick: (body: Record<string, unknown>, routingKey: string) => boolean): ReceivedMessage[];
  stop(): Promise<void>;
}

export function bodyOf(m: ReceivedMessage): Record<string, unknown> {
  return JSON.parse(typeof m.body === 'string' ? m.body : Buffer.from(m.body).toString('utf8')) as Record<string, unknown>;
}

export async function startBusTap(bus: Config['bus'], pattern: string): Promise<BusTap> {
  const conn: ChannelModel = await openConnection(busConnectionOptions(bus));
  const ch = await conn.createChannel();
  const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
  await ch.bindQueue(queue, bus.exchange, pattern);
  const messages: ReceivedMessage[] = [];
  await ch.consume(
    queue,
    (msg) => {
      if (!msg) return;
      messages.push({
        routingKey: msg.fields.routingKey,
        messageId: msg.properties.messageId,
        headers: { ...(msg.properties.headers ?? {}) },
        body: Buffer.from(msg.content),
        contentEncoding: msg.properties.contentEncoding,
      });
    },
    { noAck: true },
  );
  return {
    messages,
    select(pick) {
      return messages.filter((m) => {
        try {
          return pick(bodyOf(m), m.routingKey);
        } catch {
          return false;
        }
      });
    },
    async stop() {
      await conn.close().catch(() => undefined);
    },
  };
}

/** Removes a queue a test declared (a catalogue's own, say), with whatever it still holds. */
export async function deleteQueue(bus: Config['bus'], queue: string): Promise<void> {
  const conn: ChannelModel = await openConnection(busConnectionOptions(bus));
  try {
    await (await conn.createChannel()).deleteQueue(queue);
  } finally {
    await conn.close().catch(() => undefined);
  }
}
