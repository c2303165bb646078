// Turns a built wire message into what a consumer receives (amqplib decodes the 'I' integers to
// plain numbers), so signature checks can be unit-tested without a broker.
import type { ReceivedMessage } from '../../../clients/bus/signing';
import type { WireMessage } from '../../../clients/bus/wire';

export function received(w: WireMessage): ReceivedMessage {
  const headers: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(w.options.headers as Record<string, unknown>)) {
    headers[k] = v !== null && typeof v === 'object' && '!' in v ? (v as unknown as { value: unknown }).value : v;
  }
  return { routingKey: w.routingKey, messageId: w.options.messageId, headers, body: w.content, contentEncoding: w.options.contentEncoding };
}
