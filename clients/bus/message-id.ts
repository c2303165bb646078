// Deterministic message ids: UUIDv5 (RFC 9562 §5.5, SHA-1) of the routing key and the event's
// identity under the project's namespace. Publishing the same event again (an activity retry, a
// replayed workflow) gives the same message_id, so consumers that deduplicate by id (the catalogue,
// datagrepper's unique msg_id) keep one copy.
import { createHash } from 'node:crypto';

/** Namespace of fedimg's message ids (a random UUIDv4 chosen once; never change it). */
export const MESSAGE_ID_NAMESPACE = '3b0c6f0e-5c1f-4d0a-9f43-8d2e7a61c5b9';

export function uuidv5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new Error(`namespace ${namespace} is not a UUID`);
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  const b = hash.subarray(0, 16);
  b[6] = ((b[6] as number) & 0x0f) | 0x50;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The message id for an event published on a routing key (environment prefix included). */
export function messageIdFor(routingKey: string, eventKey: string, namespace: string = MESSAGE_ID_NAMESPACE): string {
  return uuidv5(`${routingKey}\n${eventKey}`, namespace);
}
