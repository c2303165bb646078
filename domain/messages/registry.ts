// Every message the pipeline publishes, by schema name, and the two functions around a publish:
// buildMessage (in workflows: body -> topic, event key, severity) and checkOutgoingMessage (in the
// publish activity: the input must be exactly what buildMessage would make of its body).
import type { z } from 'zod';
import { awsPublishedV1 } from './aws';
import type { Severity } from './common';
import {
  buildFinishedV1,
  filesPublishedV1,
  glancePublishedV1,
  imageCompleteV1,
  releaseOfficialV1,
  retentionActionV1,
} from './fedimg';
import type { MessageType } from './message-type';

const BUILT_IN: readonly MessageType[] = [
  awsPublishedV1,
  buildFinishedV1,
  filesPublishedV1,
  glancePublishedV1,
  imageCompleteV1,
  retentionActionV1,
  releaseOfficialV1,
] as unknown as readonly MessageType[];

const added: MessageType[] = [];

/** The pipeline's own message types (schemas/ is made from these). */
export const MESSAGE_TYPES: readonly MessageType[] = BUILT_IN;

/** Adds a message type from outside domain/messages (a destination that lives in a test tree). */
export function registerMessageType<S extends z.ZodType<Record<string, unknown>>>(type: MessageType<S>): void {
  if (messageType(type.schemaName)) throw new Error(`message type ${type.schemaName} is already registered`);
  added.push(type as unknown as MessageType);
}

export function messageType(schemaName: string): MessageType | undefined {
  return BUILT_IN.find((t) => t.schemaName === schemaName) ?? added.find((t) => t.schemaName === schemaName);
}

/** What a workflow hands the publish activity. Plain data: it goes through Temporal's history. */
export interface PublishMessageInput {
  /** Topic without the environment prefix, e.g. fedora_image_uploader.published.v1.aws.Cloud_Base.46.x86_64. */
  topic: string;
  body: Record<string, unknown>;
  /** Schema name (fedora_messaging_schema header). */
  schema: string;
  /** The event's identity; the message id is derived from it (UUIDv5). */
  eventKey: string;
  severity?: Severity;
  /** fedora_messaging_user_<name> markers. */
  users?: string[];
}

export interface PublishedMessage {
  messageId: string;
  routingKey: string;
  sentAt: string;
}

/** Validates `body` against the type and derives everything else a publish needs. Throws on a bad body. */
export function buildMessage<S extends z.ZodType<Record<string, unknown>>>(
  type: MessageType<S>,
  body: z.input<S>,
  overrides: { eventKey?: string; severity?: Severity } = {},
): PublishMessageInput {
  const parsed = type.body.safeParse(body);
  if (!parsed.success) throw new MessageBodyError(type.schemaName, describeIssues(parsed.error));
  const b = parsed.data;
  const users = type.users?.(b);
  return {
    topic: type.topic(b),
    body: b,
    schema: type.schemaName,
    eventKey: overrides.eventKey ?? type.eventKey(b),
    severity: overrides.severity ?? type.severity(b),
    ...(users && users.length > 0 ? { users } : {}),
  };
}

export type CheckedMessage =
  | { ok: true; type: MessageType; body: Record<string, unknown>; severity: Severity; users: string[] }
  | { ok: false; problem: string };

/** The activity's guard: a known schema, a valid body, and the topic that body belongs on. */
export function checkOutgoingMessage(input: PublishMessageInput): CheckedMessage {
  const type = messageType(input.schema);
  if (!type) return { ok: false, problem: `unknown message schema "${input.schema}"` };
  const parsed = type.body.safeParse(input.body);
  if (!parsed.success) return { ok: false, problem: `${input.schema}: ${describeIssues(parsed.error)}` };
  const topic = type.topic(parsed.data);
  if (topic !== input.topic) return { ok: false, problem: `${input.schema}: topic "${input.topic}" does not match the body (expected "${topic}")` };
  if (typeof input.eventKey !== 'string' || input.eventKey.length === 0) return { ok: false, problem: 'an empty eventKey' };
  return {
    ok: true,
    type,
    body: parsed.data,
    severity: input.severity ?? type.severity(parsed.data),
    users: input.users ?? type.users?.(parsed.data) ?? [],
  };
}

export class MessageBodyError extends Error {
  override name = 'MessageBodyError';
  constructor(
    readonly schema: string,
    readonly problems: string,
  ) {
    super(`${schema}: ${problems}`);
  }
}

function describeIssues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`).join('; ');
}
