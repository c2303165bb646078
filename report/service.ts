// Assembles one catalogue: database (migrated), store, metrics, HTTP server and, when given bus
// settings, the ingest consumer. main.ts calls it with the settings file; tests call it directly.
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { ReleaseAnnouncer } from './announce';
import { startIngest, type Ingest, type IngestOptions } from './ingest/ingest';
import { buildServer } from './http/server';
import { createMetrics, type CatalogueMetrics } from './metrics';
import { openDatabase, type DatabaseSpec, type OpenDatabase } from './store/db';
import { CatalogueStore } from './store/store';

export interface CatalogueOptions {
  database: DatabaseSpec;
  publicUrl: string;
  adminToken?: string;
  announcer?: ReleaseAnnouncer;
  downloadsRoot?: string;
  /** Bus settings; without them the catalogue only serves what its database holds. */
  ingest?: Omit<IngestOptions, 'store' | 'metrics' | 'log'>;
  now?: () => Date;
  logger?: FastifyServerOptions['logger'];
}

export interface Catalogue {
  app: FastifyInstance;
  store: CatalogueStore;
  metrics: CatalogueMetrics;
  database: OpenDatabase;
  ingest?: Ingest;
  /** Starts listening; resolves to the base URL. */
  listen(host: string, port: number): Promise<string>;
  /** Stops ingest first (messages in flight are committed and acked), then HTTP, then the database. */
  close(): Promise<void>;
}

export async function createCatalogue(opts: CatalogueOptions): Promise<Catalogue> {
  const database = await openDatabase(opts.database);
  const store = new CatalogueStore(database.db, database.dialect, opts.now);
  const metrics = createMetrics({ counts: () => store.counts() });
  let ingest: Ingest | undefined;
  const app = await buildServer({
    store,
    metrics,
    publicUrl: opts.publicUrl,
    adminToken: opts.adminToken,
    announcer: opts.announcer,
    downloadsRoot: opts.downloadsRoot,
    ingestStatus: () => ingest?.status() ?? { connected: false, queue: '(no ingest)' },
    now: opts.now,
    logger: opts.logger,
  });
  if (opts.ingest) {
    ingest = startIngest({
      ...opts.ingest,
      store,
      metrics,
      log: (level, message) => app.log[level]({ component: 'ingest' }, message),
    });
  }
  let closed = false;
  return {
    app,
    store,
    metrics,
    database,
    ingest,
    async listen(host, port) {
      return app.listen({ host, port });
    },
    async close() {
      if (closed) return;
      closed = true;
      await ingest?.stop();
      await app.close();
      await database.close();
    },
  };
}
