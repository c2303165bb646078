// Shared pieces of the catalogue's integration tests: a throw-away database of either kind, a
// catalogue seeded through the real decode path, and small waiting helpers.
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { POSTGRES_URL } from '../../../scripts/stack/services/postgres';
import type { PublishMessageInput } from '../../../domain/messages';
import { decodeMessage, type DecodeContext } from '../../../report/ingest/decode';
import type { DatabaseSpec } from '../../../report/store/db';
import type { CatalogueStore } from '../../../report/store/store';
import { outgoing, PREFIX, received } from '../../unit/report/fixtures';

export type DbKind = 'sqlite' | 'postgres';

export interface TempDatabase {
  spec: DatabaseSpec;
  drop(): Promise<void>;
}

/** A fresh, empty database: a SQLite file in a temp folder, or a new PostgreSQL database. */
export async function tempDatabase(kind: DbKind): Promise<TempDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'catalogue-db-'));
    return { spec: { type: 'sqlite', path: join(dir, 'catalogue.sqlite') }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `catalogue_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    spec: { type: 'postgres', url: url.toString() },
    async drop() {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface TestKeys {
  keyId: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function testKeys(keyId = 'fedimg-test'): TestKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { keyId, privateKey, publicKey };
}

export function decodeContext(keys: TestKeys, store?: CatalogueStore): DecodeContext {
  return {
    trustedKeys: new Map([[keys.keyId, keys.publicKey]]),
    topicPrefix: PREFIX,
    glanceRegion: 'RegionOne',
    ...(store ? { findByCompose: (c: string, a: string, s: string) => store.findByCompose(c, a, s) } : {}),
  };
}

/** Applies messages as ingest would (signed, verified, validated, translated), sent at `at`. */
export async function seed(store: CatalogueStore, keys: TestKeys, messages: PublishMessageInput[], at: Date): Promise<void> {
  const ctx = decodeContext(keys, store);
  let t = at.getTime();
  for (const m of messages) {
    const d = await decodeMessage(received(outgoing(m), keys, PREFIX, new Date(t)), ctx);
    if (!d.ok) throw new Error(`fixture refused: ${d.outcome} ${d.detail}`);
    await store.apply(d.event);
    t += 60_000;
  }
}

export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}
