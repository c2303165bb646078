// Message ids are UUIDv5 of the routing key and the event key: same event, same id.
import { describe, expect, it } from 'vitest';
import { MESSAGE_ID_NAMESPACE, messageIdFor, uuidv5 } from '../../../clients/bus/message-id';

describe('message ids', () => {
  it('computes RFC 9562 UUIDv5 (Python uuid.uuid5 vector)', () => {
    // uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org')
    expect(uuidv5('python.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
  });

  it('is deterministic per (routing key, event) and differs otherwise', () => {
    const a = messageIdFor('org.fedoraproject.prod.fedimg.build.finished.v1.X.46', 'build-finished/123');
    expect(messageIdFor('org.fedoraproject.prod.fedimg.build.finished.v1.X.46', 'build-finished/123')).toBe(a);
    expect(messageIdFor('org.fedoraproject.prod.fedimg.build.finished.v1.X.46', 'build-finished/124')).not.toBe(a);
    expect(messageIdFor('org.fedoraproject.stg.fedimg.build.finished.v1.X.46', 'build-finished/123')).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(MESSAGE_ID_NAMESPACE).toMatch(/^[0-9a-f-]{36}$/);
  });
});
