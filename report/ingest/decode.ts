// One delivered message -> a catalogue event, or the reason it is refused. Order of checks:
// the signature (trusted keys only), a schema the catalogue knows, a body that schema accepts,
// a routing key that belongs to that body, then the translation into catalogue changes.
import { routingKeyFor, verifyMessage, type ReceivedMessage, type TrustedKeys } from '../../clients/bus';
import {
  buildFinishedV1,
  imageCompleteV1,
  messageType,
  releaseOfficialV1,
  retentionActionV1,
  type BuildFinishedV1,
  type ImageCompleteV1,
  type MessageType,
  type ReleaseOfficialV1,
  type RetentionActionV1,
} from '../../domain/messages';
import { DESTINATION_IDS, DESTINATIONS } from '../../domain/destinations';
import type { CatalogueChange, CatalogueEvent } from '../model';
import { destinationTranslator } from './destinations/registry';
import { fromBuildFinished, fromImageComplete, fromReleaseOfficial, fromRetention, UntranslatableError, type TranslateContext } from './translate';

export type Refusal = 'unsigned' | 'forged' | 'malformed' | 'unknown_topic';
export type Decoded = { ok: true; event: CatalogueEvent; schema: string } | { ok: false; outcome: Refusal; detail: string };

export interface DecodeContext extends TranslateContext {
  trustedKeys: TrustedKeys;
  /** bus.topicPrefix: a message must sit on the routing key its body belongs to under this prefix. */
  topicPrefix: string;
  now?: () => Date;
}

/** The message types the catalogue consumes, in binding order. */
export const CONSUMED_TYPES: readonly MessageType[] = [
  buildFinishedV1 as unknown as MessageType,
  // Each destination's own messages (domain/destinations.ts).
  ...DESTINATION_IDS.flatMap((id) => DESTINATIONS[id].messages.map((name) => messageType(name)).filter((t) => t !== undefined)),
  ...([imageCompleteV1, retentionActionV1, releaseOfficialV1] as unknown as MessageType[]),
];

/** Routing-key patterns to bind the catalogue's queue with: every consumed schema, any suffix. */
export function bindingsFor(topicPrefix: string): string[] {
  return CONSUMED_TYPES.map((t) => `${routingKeyFor(topicPrefix, t.schemaName)}.#`);
}

export async function decodeMessage(msg: ReceivedMessage, ctx: DecodeContext): Promise<Decoded> {
  const verified = verifyMessage(msg, ctx.trustedKeys);
  if (!verified.ok) {
    const outcome: Refusal = verified.reason === 'unsigned' ? 'unsigned' : verified.reason === 'malformed' ? 'malformed' : 'forged';
    return { ok: false, outcome, detail: `${verified.reason}: ${verified.detail}` };
  }
  const schema = String(msg.headers.fedora_messaging_schema);
  const type = messageType(schema);
  if (!type || !CONSUMED_TYPES.includes(type)) return { ok: false, outcome: 'unknown_topic', detail: `schema "${schema}" is not one the catalogue reads` };
  const parsed = type.body.safeParse(verified.body);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`).join('; ');
    return { ok: false, outcome: 'malformed', detail: `${schema}: ${problems}` };
  }
  const topic = type.topic(parsed.data);
  const expected = routingKeyFor(ctx.topicPrefix, topic);
  if (msg.routingKey !== expected) {
    return { ok: false, outcome: 'malformed', detail: `routing key ${msg.routingKey} does not belong to this ${schema} body (expected ${expected})` };
  }
  let changes: CatalogueChange[];
  try {
    changes = await translate(type, parsed.data, ctx);
  } catch (err) {
    if (err instanceof UntranslatableError) return { ok: false, outcome: 'malformed', detail: err.message };
    throw err;
  }
  const sent = Date.parse(String(msg.headers['sent-at']));
  const at = Number.isFinite(sent) ? new Date(sent).toISOString() : (ctx.now ?? (() => new Date()))().toISOString();
  return { ok: true, schema, event: { messageId: String(msg.messageId), topic, at, changes } };
}

async function translate(type: MessageType, body: unknown, ctx: TranslateContext): Promise<CatalogueChange[]> {
  switch (type.schemaName) {
    case buildFinishedV1.schemaName:
      return fromBuildFinished(body as BuildFinishedV1);
    case imageCompleteV1.schemaName:
      return fromImageComplete(body as ImageCompleteV1, ctx);
    case retentionActionV1.schemaName:
      return fromRetention(body as RetentionActionV1);
    case releaseOfficialV1.schemaName:
      return fromReleaseOfficial(body as ReleaseOfficialV1);
    default: {
      const own = destinationTranslator(type.schemaName);
      if (!own) throw new UntranslatableError(`no translation for ${type.schemaName}`);
      return own(body, ctx);
    }
  }
}
