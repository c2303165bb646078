// Schema migrations, kept in code (no files looked up at run time) and applied at start by
// Kysely's Migrator, which locks so two catalogue processes never migrate at once. Add a new
// entry for every change; never edit one that has shipped.
import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';

const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('images')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('family', 'text', (c) => c.notNull())
        .addColumn('release', 'text', (c) => c.notNull())
        .addColumn('arch', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('compose_id', 'text')
        .addColumn('build_id', 'text')
        .addColumn('koji_task_id', 'bigint')
        .addColumn('subvariant', 'text')
        .addColumn('name', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('images_natural_key', ['family', 'release', 'arch', 'version'])
        .execute();
      await db.schema
        .createIndex('images_by_group')
        .on('images')
        .columns(['family', 'release', 'arch', 'kind', 'created_at'])
        .execute();
      await db.schema.createIndex('images_by_compose').on('images').columns(['compose_id', 'arch']).execute();

      await db.schema
        .createTable('destinations')
        .addColumn('image_id', 'text', (c) => c.notNull().references('images.id').onDelete('cascade'))
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('location', 'text', (c) => c.notNull())
        .addColumn('ref', 'text', (c) => c.notNull())
        .addColumn('url', 'text')
        .addColumn('sha256', 'text')
        .addColumn('size', 'bigint')
        .addColumn('ftype', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('destinations_pk', ['image_id', 'type', 'location'])
        .execute();

      await db.schema
        .createTable('messages')
        .addColumn('message_id', 'text', (c) => c.primaryKey())
        .addColumn('topic', 'text', (c) => c.notNull())
        .addColumn('sent_at', 'text', (c) => c.notNull())
        .addColumn('received_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('image_events')
        .addColumn('image_id', 'text', (c) => c.notNull().references('images.id').onDelete('cascade'))
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('topic', 'text', (c) => c.notNull())
        .addColumn('summary', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('image_events_pk', ['message_id', 'image_id', 'seq'])
        .execute();
      await db.schema.createIndex('image_events_by_image').on('image_events').columns(['image_id', 'at']).execute();

      await db.schema
        .createTable('official_releases')
        .addColumn('release', 'text', (c) => c.primaryKey())
        .addColumn('version', 'text')
        .addColumn('marked_at', 'text', (c) => c.notNull())
        .addColumn('marked_by', 'text')
        .addColumn('note', 'text')
        .addColumn('message_id', 'text')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['official_releases', 'image_events', 'messages', 'destinations', 'images']) {
        await db.schema.dropTable(t).ifExists().execute();
      }
    },
  },
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`catalogue: migration ${failed?.migrationName ?? '(unknown)'} failed: ${(error as Error).message ?? String(error)}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
