// The catalogue's HTTP side (fastify): JSON API, simplestreams, the HTML page, health, metrics,
// the bearer-protected "release is official" action, and optionally the downloads directory.
// Built from injected parts so tests run it with inject() or on a port against any store.
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { ReleaseAnnouncer } from '../announce';
import type { CatalogueMetrics } from '../metrics';
import type { ImageFilter, CatalogueStore } from '../store/store';
import { CATALOGUE_CSS, CATALOGUE_JS, FAVICON_SVG } from '../page/assets';
import { renderPage } from '../page/render';
import { awsProducts, downloadProducts, productsPath, STREAMS, streamsIndex } from '../streams';
import { checkBearer } from './bearer';
import { registerDownloads } from './downloads';
import {
  historyQuery,
  imageFilterQuery,
  imageIdParams,
  officialBody,
  releaseParams,
  type HistoryQuery,
  type ImageFilterQuery,
  type OfficialBody,
} from './schemas';
import { installErrorHandler, zodValidatorCompiler } from './validation';

export interface IngestStatus {
  connected: boolean;
  queue: string;
}

export interface ServerDeps {
  store: CatalogueStore;
  metrics: CatalogueMetrics;
  /** Where the catalogue is reached from outside (simplestreams paths are relative to it). */
  publicUrl: string;
  /** Token for POST /api/v1/releases/:release/official; unset = the action is switched off (503). */
  adminToken?: string;
  announcer?: ReleaseAnnouncer;
  /** Serve this directory read-only under /downloads. */
  downloadsRoot?: string;
  ingestStatus?: () => IngestStatus;
  now?: () => Date;
  logger?: FastifyServerOptions['logger'];
}

const HTML_CSP =
  "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const { store, metrics } = deps;
  const now = deps.now ?? (() => new Date());
  // No per-request log lines (a proxy in front keeps access logs); errors are logged.
  const app = Fastify({
    logger: deps.logger ?? false,
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: 1000 },
  });
  app.setValidatorCompiler(zodValidatorCompiler);
  installErrorHandler(app);

  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('text/html')) {
      reply.header('content-security-policy', HTML_CSP).header('referrer-policy', 'no-referrer');
    }
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    metrics.http.inc({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
  });

  // ---- page and assets -------------------------------------------------------------------
  app.get('/', async (_req, reply) => {
    const [images, official] = await Promise.all([store.current(), store.officialReleases()]);
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(renderPage({ images, official, now: now() }));
  });
  app.get('/assets/catalogue.css', (_req, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(CATALOGUE_CSS),
  );
  app.get('/assets/catalogue.js', (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(CATALOGUE_JS),
  );
  for (const path of ['/favicon.svg', '/favicon.ico']) {
    app.get(path, (_req, reply) => reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(FAVICON_SVG));
  }

  // ---- JSON API --------------------------------------------------------------------------
  app.get<{ Querystring: ImageFilterQuery }>('/api/v1/images', { schema: { querystring: imageFilterQuery } }, async (req) => {
    const images = await store.current(toFilter(req.query));
    return { generatedAt: now().toISOString(), count: images.length, images };
  });

  app.get<{ Params: { id: string } }>('/api/v1/images/:id', { schema: { params: imageIdParams } }, async (req, reply) => {
    const image = await store.image(req.params.id);
    if (!image) return reply.code(404).send({ error: 'Not Found', message: `no image ${req.params.id}` });
    return image;
  });

  app.get<{ Params: { id: string } }>('/api/v1/images/:id/history', { schema: { params: imageIdParams } }, async (req, reply) => {
    const image = await store.image(req.params.id);
    if (!image) return reply.code(404).send({ error: 'Not Found', message: `no image ${req.params.id}` });
    return { image, events: await store.events(req.params.id) };
  });

  app.get<{ Querystring: HistoryQuery }>('/api/v1/history', { schema: { querystring: historyQuery } }, async (req) => {
    const q = req.query;
    const page = await store.history(toFilter(q), { limit: q.limit, before: q.before ? new Date(q.before).toISOString() : undefined, beforeId: q.before_id });
    const next = page.next ? nextLink(req.query, page.next) : undefined;
    return { count: page.images.length, images: page.images, ...(next ? { next } : {}) };
  });

  app.get('/api/v1/releases', async () => ({ releases: await store.officialReleases() }));

  app.post<{ Params: { release: string }; Body: OfficialBody }>(
    '/api/v1/releases/:release/official',
    { schema: { params: releaseParams, body: officialBody } },
    async (req, reply) => {
      if (!deps.adminToken) {
        return reply.code(503).send({ error: 'Service Unavailable', message: 'marking releases official is switched off: no catalogue.adminToken' });
      }
      const auth = checkBearer(req.headers.authorization, deps.adminToken);
      if (auth !== 'ok') {
        return reply
          .code(401)
          .header('www-authenticate', `Bearer realm="catalogue"${auth === 'invalid' ? ', error="invalid_token"' : ''}`)
          .send({ error: 'Unauthorized', message: auth === 'missing' ? 'send "Authorization: Bearer <token>"' : 'the bearer token is not valid' });
      }
      if (!deps.announcer) {
        return reply.code(503).send({ error: 'Service Unavailable', message: 'the catalogue has no bus publisher to announce with' });
      }
      const { release } = req.params;
      const { version, compose_id: composeId, family, by, note } = req.body;
      const builds = await store.builds(release, { version, composeId, family });
      if (builds.length === 0) {
        return reply.code(404).send({
          error: 'Not Found',
          message: `no ${family ?? ''}${family ? ' ' : ''}images of release ${release} with ${version ? `version ${version}` : `compose ${composeId ?? ''}`}`,
        });
      }
      const markedAt = now().toISOString();
      const announced: Array<{ family: string; version: string; messageId: string; topic: string }> = [];
      for (const b of builds) {
        // Announce first: if the bus refuses, the caller retries. The catalogue then records the
        // message under the same (deterministic) id, so its own copy from the bus is a duplicate.
        let sent: { messageId: string; topic: string };
        try {
          sent = await deps.announcer.announceOfficial({
            family: b.family,
            subvariant: b.subvariant ?? b.family.replace(/-/g, '_'),
            release: Number(release),
            version: b.version.slice(0, Math.max(b.version.lastIndexOf('-'), 0)) || release,
            compose_id: b.composeId ?? `Fedora-${b.version}`,
            build_kind: b.kind === 'release' ? 'rc' : b.kind,
            marked_by: by,
            ...(note ? { note } : {}),
          });
        } catch (err) {
          req.log.error({ err }, 'could not announce the official release');
          return reply.code(502).send({
            error: 'Bad Gateway',
            message: `the bus did not take the announcement for ${b.family}: ${(err as Error).message}`,
            announced,
          });
        }
        await store.apply({
          messageId: sent.messageId,
          topic: sent.topic,
          at: markedAt,
          changes: [{ type: 'official', release, family: b.family, version: b.version, markedBy: by, note }],
        });
        announced.push({ family: b.family, version: b.version, ...sent });
      }
      metrics.officialMarked.inc();
      const official = (await store.officialReleases()).find((o) => o.release === release);
      return { official, announced };
    },
  );

  // ---- simplestreams ---------------------------------------------------------------------
  const streamDocs = async () => {
    const updated = now();
    const [ec2, downloads] = await Promise.all([store.published({ destinationType: 'ec2' }), store.published({ destinationType: 'download' })]);
    return { aws: awsProducts(ec2, updated), downloads: downloadProducts(downloads, updated, deps.publicUrl), updated };
  };
  app.get('/streams/v1/index.json', async (_req, reply) => {
    const docs = await streamDocs();
    return reply.header('cache-control', 'public, max-age=60').send(streamsIndex({ aws: docs.aws, downloads: docs.downloads }, docs.updated));
  });
  app.get<{ Params: { file: string } }>('/streams/v1/:file', async (req, reply) => {
    const stream = (Object.keys(STREAMS) as Array<keyof typeof STREAMS>).find((s) => productsPath(s) === `streams/v1/${req.params.file}`);
    if (!stream) return reply.code(404).send({ error: 'Not Found', message: `no stream ${req.params.file}` });
    const docs = await streamDocs();
    return reply.header('cache-control', 'public, max-age=60').send(docs[stream]);
  });

  // ---- operations ------------------------------------------------------------------------
  app.get('/healthz', async (_req, reply) => {
    const ingest = deps.ingestStatus?.();
    try {
      const counts = await store.counts();
      return { status: 'ok', database: 'ok', ...counts, ...(ingest ? { ingest } : {}) };
    } catch (err) {
      return reply.code(503).send({ status: 'failing', database: (err as Error).message, ...(ingest ? { ingest } : {}) });
    }
  });
  app.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  if (deps.downloadsRoot) registerDownloads(app, { root: deps.downloadsRoot });
  return app;
}

function toFilter(q: ImageFilterQuery): ImageFilter {
  return { family: q.family, release: q.release, arch: q.arch, kind: q.kind, status: q.status, destinationType: q.destination };
}

function nextLink(q: HistoryQuery, next: { before: string; beforeId: string }): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && k !== 'before' && k !== 'before_id') params.set(k, String(v));
  params.set('before', next.before);
  params.set('before_id', next.beforeId);
  return `/api/v1/history?${params.toString()}`;
}
