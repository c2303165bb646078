// The catalogue service process: `node --import tsx report/main.ts`. Reads the settings file
// (config/index.ts), opens the database, consumes the bus, serves HTTP on catalogue.listen.
// SIGTERM / SIGINT stop it cleanly: ingest first (in-flight messages are committed and acked),
// then HTTP. A crash loses nothing either: unacked messages go back to the queue.
import { resolve } from 'node:path';
import { createBusPublisher, loadTrustedKeys, privateSigningKey, type BusPublisher } from '../clients/bus';
import { getConfig, CONFIG_EXIT_CODE } from '../config';
import { readSecret } from '../config/secrets';
import { splitHostPort } from '../clients/net/probe';
import { busReleaseAnnouncer, type ReleaseAnnouncer } from './announce';
import type { DatabaseSpec } from './store/db';
import { createCatalogue } from './service';

const config = getConfig();
const cat = config.catalogue;

function fatal(message: string): never {
  process.stderr.write(`catalogue: ${message}\n`);
  process.exit(CONFIG_EXIT_CODE);
}

let database: DatabaseSpec;
if (cat.database.type === 'sqlite') {
  database = { type: 'sqlite', path: resolve(cat.database.path) };
} else {
  try {
    database = { type: 'postgres', url: readSecret(cat.database.url, 'catalogue.database.url') };
  } catch (err) {
    fatal((err as Error).message);
  }
}

// Without the trusted keys every message would be refused and dropped: refuse to start instead.
let trustedKeys: ReturnType<typeof loadTrustedKeys>;
try {
  trustedKeys = loadTrustedKeys(config.bus.trustedKeys);
} catch (err) {
  fatal(`${(err as Error).message} (bus.trustedKeys)`);
}
if (trustedKeys.size === 0) fatal('bus.trustedKeys is empty: the catalogue would refuse every message');

let adminToken: string | undefined;
try {
  adminToken = readSecret(cat.adminToken, 'catalogue.adminToken');
  if (adminToken.length < 16) fatal('catalogue.adminToken is shorter than 16 characters');
} catch (err) {
  process.stderr.write(`catalogue: ${(err as Error).message}; marking releases official is switched off\n`);
}

// The announcer signs with the pipeline's bus key, like every fedimg message.
let publisher: BusPublisher | undefined;
let announcer: ReleaseAnnouncer | undefined;
try {
  const privateKey = privateSigningKey(readSecret(config.bus.signing.privateKey, 'bus.signing.privateKey'));
  publisher = createBusPublisher({
    url: config.bus.url,
    tls: config.bus.tls,
    exchange: config.bus.exchange,
    topicPrefix: config.bus.topicPrefix,
    signing: { keyId: config.bus.signing.keyId, privateKey },
    priority: config.bus.publishPriority,
    confirmTimeoutMs: config.bus.confirmTimeoutSeconds * 1000,
  });
  announcer = busReleaseAnnouncer(publisher);
} catch (err) {
  process.stderr.write(`catalogue: ${(err as Error).message}; marking releases official is switched off\n`);
}

const catalogue = await createCatalogue({
  database,
  publicUrl: cat.publicUrl,
  adminToken,
  announcer,
  downloadsRoot: config.downloads.type === 'directory' ? resolve(config.downloads.root) : undefined,
  logger: { level: process.env.FEDIMG_LOG_LEVEL ?? 'info' },
  ingest: {
    connection: { url: config.bus.url, tls: config.bus.tls },
    exchange: config.bus.exchange,
    queue: cat.queue,
    topicPrefix: config.bus.topicPrefix,
    trustedKeys,
    glanceRegion: config.openstack.region,
    prefetch: cat.prefetch,
  },
});

const { host, port } = splitHostPort(cat.listen);
const url = await catalogue.listen(host, port);
catalogue.app.log.info(`catalogue on ${url} (public ${cat.publicUrl}), database ${catalogue.database.where}, queue ${cat.queue}`);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    catalogue.app.log.info(`${signal}: stopping`);
    void (async () => {
      await catalogue.close();
      await publisher?.close();
      process.exit(0);
    })();
  });
}
