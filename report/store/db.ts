// Opens the catalogue's database: a SQLite file (better-sqlite3) by default, PostgreSQL (pg pool)
// when configured. Both run the same Kysely queries; migrations run before anything else.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from './migrations';
import type { CatalogueDatabase } from './tables';

export type DatabaseSpec = { type: 'sqlite'; path: string } | { type: 'postgres'; url: string; maxConnections?: number };

export interface OpenDatabase {
  db: Kysely<CatalogueDatabase>;
  dialect: DatabaseSpec['type'];
  /** Where it is, without credentials, for logs and /healthz. */
  where: string;
  close(): Promise<void>;
}

const PG_INT8 = 20;

export async function openDatabase(spec: DatabaseSpec): Promise<OpenDatabase> {
  let db: Kysely<CatalogueDatabase>;
  let where: string;
  if (spec.type === 'sqlite') {
    if (spec.path !== ':memory:') mkdirSync(dirname(spec.path), { recursive: true });
    const sqlite = new Database(spec.path);
    // WAL lets the HTTP side read while ingest writes; FULL makes a commit durable before the ack.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    db = new Kysely<CatalogueDatabase>({ dialect: new SqliteDialect({ database: sqlite }) });
    where = `sqlite:${spec.path}`;
  } else {
    const pool = new pg.Pool({
      connectionString: spec.url,
      max: spec.maxConnections ?? 5,
      // Sizes and task ids are BIGINT: read them as numbers (image sizes stay far below 2^53).
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === PG_INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    // An idle client's error (server restart) must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    db = new Kysely<CatalogueDatabase>({ dialect: new PostgresDialect({ pool }) });
    const u = new URL(spec.url);
    where = `postgres://${u.host}${u.pathname}`;
  }
  try {
    await migrateToLatest(db as unknown as Kysely<unknown>);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return { db, dialect: spec.type, where, close: () => db.destroy() };
}
