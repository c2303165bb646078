// Writes schemas/<schema name>.json for every message the pipeline publishes (see
// json-schemas.ts). Run after changing a schema in domain/messages, and commit the result:
//   npx tsx scripts/messages/export-schemas.ts [--check]
// --check changes nothing and exits 1 when a file is missing or out of date.
import { mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../stack/paths';
import { messageJsonSchemas, serialiseSchema } from './json-schemas';

export const SCHEMAS_DIR = join(REPO_ROOT, 'schemas');

function main(): void {
  const check = process.argv.includes('--check');
  const wanted = Object.entries(messageJsonSchemas()).map(([file, doc]) => [file, serialiseSchema(doc)] as const);
  mkdirSync(SCHEMAS_DIR, { recursive: true });
  const stale: string[] = [];
  for (const [file, text] of wanted) {
    let have: string | undefined;
    try {
      have = readFileSync(join(SCHEMAS_DIR, file), 'utf8');
    } catch {
      have = undefined;
    }
    if (have === text) continue;
    stale.push(file);
    if (!check) writeFileSync(join(SCHEMAS_DIR, file), text);
  }
  const extra = readdirSync(SCHEMAS_DIR).filter((f) => f.endsWith('.json') && !wanted.some(([w]) => w === f));
  for (const f of extra) {
    stale.push(`${f} (no longer generated)`);
    if (!check) unlinkSync(join(SCHEMAS_DIR, f));
  }
  if (check && stale.length > 0) {
    console.error(`schemas/ is out of date: ${stale.join(', ')}\nrun: npx tsx scripts/messages/export-schemas.ts`);
    process.exit(1);
  }
  console.log(stale.length ? `updated ${stale.join(', ')}` : `schemas/ is up to date (${wanted.length} files)`);
}

main();
