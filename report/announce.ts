// Announcing "release marked official" on the bus through the bus client's publisher: the body is
// built and checked by the domain's message type, so it is the same message the pipeline's own
// publish activity would send (same schema, topic and deterministic message id).
import type { BusPublisher } from '../clients/bus';
import { buildMessage, releaseOfficialV1, type ReleaseOfficialV1 } from '../domain/messages';

/** What the HTTP side needs: publish one fedimg.release.official.v1 message, say its id and topic. */
export interface ReleaseAnnouncer {
  announceOfficial(body: ReleaseOfficialV1): Promise<{ messageId: string; topic: string }>;
}

export function busReleaseAnnouncer(publisher: BusPublisher): ReleaseAnnouncer {
  return {
    async announceOfficial(body) {
      const m = buildMessage(releaseOfficialV1, body);
      const r = await publisher.publish({
        topic: m.topic,
        body: m.body,
        schema: m.schema,
        eventKey: m.eventKey,
        ...(m.severity !== undefined ? { severity: m.severity } : {}),
        ...(m.users ? { markers: { user: m.users } } : {}),
      });
      return { messageId: r.messageId, topic: m.topic };
    },
  };
}
