// One message as Fedora Messaging puts it on the wire (fedora_messaging.message.Message
// ._build_properties and api.publish, version 3.9): routing key "<prefix>.<topic>" on the
// configured exchange, properties content_type/content_encoding/delivery_mode 2/message_id
// (+ priority when configured), headers in the library's order, and the body as json.dumps writes
// it. Integer headers are sent as AMQP signed 32-bit ('I'), as pika does. Pure: no I/O.
import { ClientError } from '../client-error';
import type { KeyObject } from 'node:crypto';
import type { Options } from 'amqplib';
import { messageIdFor } from './message-id';
import { pythonJsonDumps } from './python-json';
import { KEY_ID_HEADER, SIGNATURE_HEADER, signFields } from './signing';

export type Severity = 10 | 20 | 30 | 40;
export const SEVERITIES: readonly Severity[] = [10, 20, 30, 40];

/** fedora_messaging_<kind>_<name> marker headers (Message._filter_headers), by kind. */
export interface MarkerHeaders {
  user?: string[];
  group?: string[];
  rpm?: string[];
  container?: string[];
  module?: string[];
  flatpak?: string[];
}

export interface OutgoingMessage {
  /** Without the environment prefix. */
  topic: string;
  body: Record<string, unknown>;
  /** fedora_messaging_schema. */
  schema: string;
  /** fedora_messaging_schema_package, for schemas that ship as a Python package. */
  schemaPackage?: string;
  /** The event's identity; the message id is UUIDv5 of it. */
  eventKey: string;
  severity?: Severity;
  markers?: MarkerHeaders;
}

export interface WireSettings {
  exchange: string;
  topicPrefix: string;
  /** fedora-messaging's publish_priority: unset (the default) sends no priority property. */
  priority?: number;
  signing?: { keyId: string; privateKey: KeyObject };
  messageIdNamespace?: string;
}

export interface WireMessage {
  exchange: string;
  routingKey: string;
  content: Buffer;
  options: Options.Publish;
  messageId: string;
  sentAt: string;
}

export class MessageFormatError extends ClientError {
  override name = 'MessageFormatError';
}

/** datetime.now(tz=utc).replace(microsecond=0).isoformat(): 2026-11-22T02:30:01+00:00. */
export function formatSentAt(d: Date): string {
  return `${d.toISOString().slice(0, 19)}+00:00`;
}

/** Python's `prefix.rstrip(".") + "." + topic`, or the bare topic without a prefix. */
export function routingKeyFor(topicPrefix: string, topic: string): string {
  const p = topicPrefix.replace(/\.+$/, '');
  return p ? `${p}.${topic}` : topic;
}

const int32 = (value: number) => ({ '!': 'int', value });

export function buildWireMessage(msg: OutgoingMessage, settings: WireSettings, now: Date): WireMessage {
  if (!/^[^\s.*#][^\s*#]*$/.test(msg.topic) || msg.topic.endsWith('.') || msg.topic.includes('..')) {
    throw new MessageFormatError(`"${msg.topic}" is not a topic (dot-separated words, no wildcards or spaces)`);
  }
  if (msg.body === null || typeof msg.body !== 'object' || Array.isArray(msg.body)) throw new MessageFormatError('the body must be a JSON object');
  const severity = msg.severity ?? 20;
  if (!SEVERITIES.includes(severity)) throw new MessageFormatError(`severity ${String(severity)} is not 10, 20, 30 or 40`);
  if (!msg.eventKey) throw new MessageFormatError('an empty eventKey');
  const routingKey = routingKeyFor(settings.topicPrefix, msg.topic);
  if (Buffer.byteLength(routingKey) > 255) throw new MessageFormatError(`routing key longer than 255 bytes: ${routingKey}`);

  let text: string;
  try {
    text = pythonJsonDumps(msg.body);
  } catch (err) {
    throw new MessageFormatError(`the body cannot be sent as JSON: ${(err as Error).message}`);
  }
  // What consumers will parse (and what the signature covers): the body as it travels.
  const body = JSON.parse(text) as Record<string, unknown>;
  const messageId = messageIdFor(routingKey, msg.eventKey, settings.messageIdNamespace);
  const sentAt = formatSentAt(now);
  const priority = settings.priority ?? 0;

  const headers: Record<string, unknown> = { fedora_messaging_schema: msg.schema };
  if (msg.schemaPackage) headers.fedora_messaging_schema_package = msg.schemaPackage;
  headers['sent-at'] = sentAt;
  headers.fedora_messaging_severity = int32(severity);
  headers.priority = int32(priority);
  for (const kind of ['user', 'group', 'rpm', 'container', 'module', 'flatpak'] as const) {
    for (const name of msg.markers?.[kind] ?? []) headers[`fedora_messaging_${kind}_${name}`] = true;
  }
  if (settings.signing) {
    const { keyId, privateKey } = settings.signing;
    headers[KEY_ID_HEADER] = keyId;
    headers[SIGNATURE_HEADER] = signFields({ routingKey, messageId, schema: msg.schema, sentAt, severity, keyId, body }, privateKey);
  }

  const options: Options.Publish = {
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    deliveryMode: 2,
    headers,
    messageId,
    ...(settings.priority !== undefined ? { priority: settings.priority } : {}),
  };
  return { exchange: settings.exchange, routingKey, content: Buffer.from(text, 'utf8'), options, messageId, sentAt };
}
