// JSON Schema documents of every message body, generated from the zod schemas in
// domain/messages with zod 4's z.toJSONSchema. Written to schemas/<schema name>.json by
// export-schemas.ts; a unit test fails when the committed files fall behind the code.
//
// The documents describe the *input* side (what a consumer may receive): objects stay open to
// properties added later, as Fedora's own message schemas are, so a v1 consumer keeps accepting
// v1 messages that gained a field.
import { z } from 'zod';
import { MESSAGE_TYPES } from '../../domain/messages/registry';

export const SCHEMA_ID_BASE = 'urn:fedimg:message-schema:';

export function messageJsonSchemas(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const t of MESSAGE_TYPES) {
    const generated = z.toJSONSchema(t.body, { io: 'input', target: 'draft-2020-12', unrepresentable: 'throw' }) as Record<string, unknown>;
    const { $schema, ...rest } = generated;
    out[`${t.schemaName}.json`] = {
      $schema,
      $id: `${SCHEMA_ID_BASE}${t.schemaName}`,
      title: t.title,
      'x-fedora-messaging-schema': t.schemaName,
      ...(t.schemaPackage ? { 'x-fedora-messaging-schema-package': t.schemaPackage } : {}),
      'x-topic': t.topicPattern,
      ...rest,
      description: rest.description ?? t.description,
    };
  }
  return out;
}

export function serialiseSchema(doc: Record<string, unknown>): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
