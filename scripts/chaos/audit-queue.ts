// A durable queue bound to everything the pipeline publishes, declared before the first release
// starts: it outlives the RabbitMQ restart, and at the end it holds every message the broker
// accepted, to be compared with the messages the releases must have sent.
import amqp from 'amqplib';

export interface AuditedMessage {
  id: string;
  routingKey: string;
}

export const AUDIT_QUEUE = 'chaos.audit';

export async function declareAuditQueue(url: string, exchange: string, topicPrefix: string): Promise<void> {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createChannel();
    await ch.assertQueue(AUDIT_QUEUE, { durable: true });
    await ch.bindQueue(AUDIT_QUEUE, exchange, `${topicPrefix}.#`);
    await ch.close();
  } finally {
    await conn.close();
  }
}

/** Takes every message out of the audit queue. */
export async function drainAuditQueue(url: string): Promise<AuditedMessage[]> {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createChannel();
    const out: AuditedMessage[] = [];
    for (;;) {
      const m = await ch.get(AUDIT_QUEUE, { noAck: true });
      if (m === false) break;
      out.push({ id: String(m.properties.messageId ?? ''), routingKey: m.fields.routingKey });
    }
    await ch.close();
    return out;
  } finally {
    await conn.close();
  }
}
