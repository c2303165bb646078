// The JSON Schema files under schemas/ are generated from the zod schemas; they must not fall behind.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../scripts/stack/paths';
import { messageJsonSchemas, serialiseSchema } from '../../../scripts/messages/json-schemas';

describe('schemas/', () => {
  const wanted = messageJsonSchemas();

  it('holds exactly the generated files (run scripts/messages/export-schemas.ts)', () => {
    const have = readdirSync(join(REPO_ROOT, 'schemas')).filter((f) => f.endsWith('.json')).sort();
    expect(have).toEqual(Object.keys(wanted).sort());
    for (const [file, doc] of Object.entries(wanted)) expect(readFileSync(join(REPO_ROOT, 'schemas', file), 'utf8')).toBe(serialiseSchema(doc));
  });

  it("keeps Fedora's EC2 schema's required fields and integer release", () => {
    const aws = wanted['fedora_image_uploader.published.v1.aws.json'] as { required: string[]; properties: Record<string, { type: string }> };
    expect(aws.required.sort()).toEqual(['architecture', 'compose_id', 'image_name', 'regions', 'release', 'subvariant']);
    expect(aws.properties.release?.type).toBe('integer');
    expect(aws.properties.regions?.type).toBe('object');
    expect(aws).not.toHaveProperty('additionalProperties');
  });
});
