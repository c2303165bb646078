// The catalogue's store: applies events (one transaction per message, deduplicated by message id)
// and answers the read side. Every statement goes through Kysely's builder, so values are always
// bound parameters; the same code runs on SQLite and PostgreSQL.
import type { ExpressionBuilder, Kysely, Selectable, Transaction } from 'kysely';
import {
  ec2LaunchUrl,
  imageId,
  inferKind,
  USABLE_STATES,
  type CatalogueChange,
  type CatalogueEvent,
  type DestinationType,
  type DestinationView,
  type ImageEventView,
  type ImageFacts,
  type ImageKey,
  type ImageKind,
  type ImageStatus,
  type ImageView,
  type OfficialRelease,
} from '../model';
import type { CatalogueDatabase, DestinationsTable, ImagesTable } from './tables';
import { DESTINATIONS, destinationOfCatalogueType } from '../../domain/destinations';

export type ApplyResult = { outcome: 'applied'; images: string[] } | { outcome: 'duplicate' };

export interface ImageFilter {
  family?: string;
  release?: string;
  arch?: string;
  kind?: ImageKind;
  status?: ImageStatus;
  /** Only images with a usable destination of this type. */
  destinationType?: DestinationType;
}

export interface HistoryPage {
  images: ImageView[];
  /** Pass as `before` to get the next (older) page; absent on the last page. */
  next?: { before: string; beforeId: string };
}

type Db = Kysely<CatalogueDatabase>;
type Trx = Transaction<CatalogueDatabase>;
type ImageRow = Selectable<ImagesTable>;

/** A later status never goes back to an earlier stage; among verdicts the newest message wins. */
const STATUS_RANK: Record<ImageStatus, number> = { built: 0, publishing: 1, complete: 2, partial: 2, failed: 2 };

/** SQLite binds at most 32766 variables (PostgreSQL 65535): look images up in slices. */
const IN_CHUNK = 500;

export class CatalogueStore {
  constructor(
    private readonly db: Db,
    private readonly dialect: 'sqlite' | 'postgres',
    private readonly now: () => Date = () => new Date(),
  ) {}

  // ---- write side -------------------------------------------------------------------------

  /** Applies one message's changes in one transaction; a message id already seen changes nothing. */
  async apply(event: CatalogueEvent): Promise<ApplyResult> {
    const receivedAt = this.now().toISOString();
    return this.db.transaction().execute(async (trx) => {
      const seen = await trx
        .insertInto('messages')
        .values({ message_id: event.messageId, topic: event.topic, sent_at: event.at, received_at: receivedAt })
        .onConflict((oc) => oc.column('message_id').doNothing())
        .executeTakeFirst();
      if (Number(seen.numInsertedOrUpdatedRows ?? 0n) === 0) return { outcome: 'duplicate' as const };

      const touched = new Set<string>();
      let seq = 0;
      for (const change of event.changes) {
        for (const [id, summary] of await this.applyChange(trx, change, event.at)) {
          touched.add(id);
          await trx
            .insertInto('image_events')
            .values({ image_id: id, message_id: event.messageId, seq: seq++, at: event.at, topic: event.topic, summary })
            .execute();
        }
      }
      return { outcome: 'applied' as const, images: [...touched] };
    });
  }

  /** Returns [image id, summary] for every image the change touched. */
  private async applyChange(trx: Trx, change: CatalogueChange, at: string): Promise<Array<[string, string]>> {
    switch (change.type) {
      case 'image': {
        const id = await this.upsertImage(trx, change.image, change.facts, at);
        return [[id, change.note ?? describeImageChange(change.facts)]];
      }
      case 'destination': {
        const id = await this.upsertImage(trx, change.image, { ...change.facts, status: change.facts?.status ?? 'publishing' }, at);
        const d = change.destination;
        await trx
          .insertInto('destinations')
          .values({
            image_id: id,
            type: d.type,
            location: d.location,
            ref: d.ref,
            url: d.url ?? null,
            sha256: d.sha256 ?? null,
            size: d.size ?? null,
            ftype: d.ftype ?? null,
            state: d.state,
            detail: d.detail ?? null,
            created_at: at,
            updated_at: at,
          })
          // A later, terser message (image complete lists URLs only) keeps what an earlier one told.
          .onConflict((oc) =>
            oc.columns(['image_id', 'type', 'location']).doUpdateSet((eb) => ({
              ref: eb.ref('excluded.ref'),
              url: eb.fn.coalesce('excluded.url', 'destinations.url'),
              sha256: eb.fn.coalesce('excluded.sha256', 'destinations.sha256'),
              size: eb.fn.coalesce('excluded.size', 'destinations.size'),
              ftype: eb.fn.coalesce('excluded.ftype', 'destinations.ftype'),
              state: eb.ref('excluded.state'),
              detail: eb.ref('excluded.detail'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .execute();
        return [[id, change.note ?? describeDestination(d.type, d.location, d.ref, d.state, d.detail)]];
      }
      case 'destination-state': {
        const id = imageId(change.image);
        const res = await trx
          .updateTable('destinations')
          .set({ state: change.state, detail: change.detail ?? null, updated_at: at })
          .where('image_id', '=', id)
          .$if(change.destinationType !== undefined, (q) => q.where('type', '=', change.destinationType as DestinationType))
          .$if(change.location !== undefined, (q) => q.where('location', '=', change.location as string))
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) === 0) return [];
        await trx.updateTable('images').set({ updated_at: at }).where('id', '=', id).where('updated_at', '<', at).execute();
        const what = change.destinationType ?? 'every destination';
        return [[id, change.note ?? `${capitalise(change.state)}: ${what}${change.location ? ` ${change.location}` : ''}${change.detail ? ` (${change.detail})` : ''}`]];
      }
      case 'official': {
        const values = {
          version: change.version ?? null,
          marked_at: at,
          marked_by: change.markedBy ?? null,
          note: change.note ?? null,
        };
        await trx
          .insertInto('official_releases')
          .values({ release: change.release, message_id: null, ...values })
          .onConflict((oc) => oc.column('release').doUpdateSet(values))
          .execute();
        if (change.version === undefined) return [];
        // The named candidate is the release now.
        const ids = await trx
          .selectFrom('images')
          .select('id')
          .where('release', '=', change.release)
          .where('version', '=', change.version)
          .$if(change.family !== undefined, (q) => q.where('family', '=', change.family as string))
          .execute();
        if (ids.length === 0) return [];
        await trx
          .updateTable('images')
          .set({ kind: 'release', updated_at: at })
          .where(
            'id',
            'in',
            ids.map((r) => r.id),
          )
          .execute();
        return ids.map((r) => [r.id, `Release ${change.release} marked official${change.markedBy ? ` by ${change.markedBy}` : ''}`]);
      }
    }
  }

  private async upsertImage(trx: Trx, key: ImageKey, facts: ImageFacts, at: string): Promise<string> {
    const id = imageId(key);
    const inserted = await trx
      .insertInto('images')
      .values({
        id,
        ...key,
        kind: facts.kind ?? inferKind(key.version),
        compose_id: facts.composeId ?? null,
        build_id: facts.buildId ?? null,
        koji_task_id: facts.kojiTaskId ?? null,
        subvariant: facts.subvariant ?? null,
        name: facts.name ?? null,
        status: facts.status ?? 'built',
        created_at: at,
        updated_at: at,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0) return id;

    // Known image: merge what this message adds. PostgreSQL locks the row against a second
    // catalogue process; SQLite already serialises writers.
    const existing = await trx
      .selectFrom('images')
      .selectAll()
      .where('id', '=', id)
      .$if(this.dialect === 'postgres', (q) => q.forUpdate())
      .executeTakeFirstOrThrow();
    await trx
      .updateTable('images')
      .set({
        // A release stays a release: official marking outranks what a late message infers.
        kind: existing.kind === 'release' ? 'release' : (facts.kind ?? existing.kind),
        compose_id: facts.composeId ?? existing.compose_id,
        build_id: facts.buildId ?? existing.build_id,
        koji_task_id: facts.kojiTaskId ?? existing.koji_task_id,
        subvariant: facts.subvariant ?? existing.subvariant,
        name: facts.name ?? existing.name,
        status: mergeStatus(existing.status, facts.status),
        created_at: at < existing.created_at ? at : existing.created_at,
        updated_at: at > existing.updated_at ? at : existing.updated_at,
      })
      .where('id', '=', id)
      .execute();
    return id;
  }

  // ---- read side --------------------------------------------------------------------------

  /** The newest image with a usable destination per (family, release, arch, kind). */
  async current(filter: ImageFilter = {}): Promise<ImageView[]> {
    const ranked = this.db
      .selectFrom('images as i')
      .selectAll('i')
      .select((eb) =>
        eb.fn
          .agg<number>('row_number')
          .over((ob) => ob.partitionBy(['i.family', 'i.release', 'i.arch', 'i.kind']).orderBy('i.created_at', 'desc').orderBy('i.id', 'desc'))
          .as('rn'),
      )
      .where((eb) => usable(eb, filter.destinationType))
      .where((eb) => matches(eb, filter));
    const rows = await this.db
      .selectFrom(ranked.as('r'))
      .selectAll()
      .where('r.rn', '=', 1)
      .orderBy('r.release')
      .orderBy('r.family')
      .orderBy('r.arch')
      .orderBy('r.kind')
      .execute();
    return this.views(rows);
  }

  /** Every image matching the filter, newest first, with destinations: for simplestreams. */
  async published(filter: ImageFilter): Promise<ImageView[]> {
    const rows = await this.db
      .selectFrom('images as i')
      .selectAll('i')
      .where((eb) => usable(eb, filter.destinationType))
      .where((eb) => matches(eb, filter))
      .orderBy('i.created_at', 'desc')
      .orderBy('i.id', 'desc')
      .execute();
    return this.views(rows);
  }

  /** All images matching the filter, newest first, a page at a time (keyset on created_at, id). */
  async history(filter: ImageFilter, page: { limit: number; before?: string; beforeId?: string }): Promise<HistoryPage> {
    const rows = await this.db
      .selectFrom('images as i')
      .selectAll('i')
      .where((eb) => matches(eb, filter))
      .$if(filter.destinationType !== undefined, (q) => q.where((eb) => usable(eb, filter.destinationType)))
      .$if(page.before !== undefined, (q) =>
        q.where((eb) =>
          eb.or([
            eb('i.created_at', '<', page.before as string),
            eb.and([eb('i.created_at', '=', page.before as string), eb('i.id', '<', page.beforeId ?? '\u{10FFFF}')]),
          ]),
        ),
      )
      .orderBy('i.created_at', 'desc')
      .orderBy('i.id', 'desc')
      .limit(page.limit + 1)
      .execute();
    const more = rows.length > page.limit;
    const images = await this.views(rows.slice(0, page.limit));
    const last = images.at(-1);
    return more && last ? { images, next: { before: last.createdAt, beforeId: last.id } } : { images };
  }

  async image(id: string): Promise<ImageView | undefined> {
    const row = await this.db.selectFrom('images').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? (await this.views([row]))[0] : undefined;
  }

  async events(id: string): Promise<ImageEventView[]> {
    const rows = await this.db
      .selectFrom('image_events')
      .select(['at', 'message_id', 'topic', 'summary'])
      .where('image_id', '=', id)
      .orderBy('at')
      .orderBy('message_id')
      .orderBy('seq')
      .execute();
    return rows.map((r) => ({ at: r.at, messageId: r.message_id, topic: r.topic, summary: r.summary }));
  }

  async officialReleases(): Promise<OfficialRelease[]> {
    const rows = await this.db.selectFrom('official_releases').selectAll().orderBy('release').execute();
    return rows.map((r) => ({ release: r.release, version: r.version, markedAt: r.marked_at, markedBy: r.marked_by, note: r.note }));
  }

  /** The builds (one per family) of a release with this version or compose id, for marking official. */
  async builds(
    release: string,
    which: { version?: string; composeId?: string; family?: string },
  ): Promise<Array<{ family: string; subvariant: string | null; version: string; composeId: string | null; kind: ImageKind }>> {
    const rows = await this.db
      .selectFrom('images')
      .select(['family', 'subvariant', 'version', 'compose_id', 'kind'])
      .distinct()
      .where('release', '=', release)
      .$if(which.version !== undefined, (q) => q.where('version', '=', which.version as string))
      .$if(which.composeId !== undefined, (q) => q.where('compose_id', '=', which.composeId as string))
      .$if(which.family !== undefined, (q) => q.where('family', '=', which.family as string))
      .orderBy('family')
      .execute();
    return rows.map((r) => ({ family: r.family, subvariant: r.subvariant, version: r.version, composeId: r.compose_id, kind: r.kind }));
  }

  /** The one image of a compose, arch and subvariant, if exactly one is known (EC2 messages name no family). */
  async findByCompose(composeId: string, arch: string, subvariant: string): Promise<ImageKey | undefined> {
    const rows = await this.db
      .selectFrom('images')
      .select(['family', 'release', 'arch', 'version'])
      .where('compose_id', '=', composeId)
      .where('arch', '=', arch)
      .where('subvariant', '=', subvariant)
      .limit(2)
      .execute();
    return rows.length === 1 ? rows[0] : undefined;
  }

  async hasMessage(messageId: string): Promise<boolean> {
    return (await this.db.selectFrom('messages').select('message_id').where('message_id', '=', messageId).executeTakeFirst()) !== undefined;
  }

  /** Counts for /metrics and /healthz; also proves the database answers. */
  async counts(): Promise<{ images: number; messages: number }> {
    const [images, messages] = await Promise.all([
      this.db.selectFrom('images').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
      this.db.selectFrom('messages').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { images: Number(images.n), messages: Number(messages.n) };
  }

  private async views(rows: ImageRow[]): Promise<ImageView[]> {
    if (rows.length === 0) return [];
    const dests = new Map<string, DestinationView[]>();
    for (let i = 0; i < rows.length; i += IN_CHUNK) {
      const ids = rows.slice(i, i + IN_CHUNK).map((r) => r.id);
      const found = await this.db
        .selectFrom('destinations')
        .selectAll()
        .where('image_id', 'in', ids)
        .orderBy('image_id')
        .orderBy('type')
        .orderBy('location')
        .execute();
      for (const d of found) {
        const list = dests.get(d.image_id) ?? [];
        list.push(destinationView(d));
        dests.set(d.image_id, list);
      }
    }
    const official = new Map((await this.officialReleases()).map((o) => [o.release, o]));
    return rows.map((r) => {
      const o = official.get(r.release);
      return {
        id: r.id,
        family: r.family,
        release: r.release,
        arch: r.arch,
        kind: r.kind,
        version: r.version,
        composeId: r.compose_id,
        buildId: r.build_id,
        kojiTaskId: r.koji_task_id === null ? null : Number(r.koji_task_id),
        subvariant: r.subvariant,
        name: r.name,
        status: r.status,
        official: o !== undefined && (r.kind === 'release' || (r.kind === 'rc' && (o.version === null || o.version === r.version))),
        createdAt: r.created_at,
        updatedAt: r.updated_at,
        destinations: dests.get(r.id) ?? [],
      };
    });
  }
}

type ImagesEb = ExpressionBuilder<CatalogueDatabase & { i: ImagesTable }, 'i'>;

function matches(eb: ImagesEb, f: ImageFilter) {
  const conditions = [];
  if (f.family !== undefined) conditions.push(eb('i.family', '=', f.family));
  if (f.release !== undefined) conditions.push(eb('i.release', '=', f.release));
  if (f.arch !== undefined) conditions.push(eb('i.arch', '=', f.arch));
  if (f.kind !== undefined) conditions.push(eb('i.kind', '=', f.kind));
  if (f.status !== undefined) conditions.push(eb('i.status', '=', f.status));
  return eb.and(conditions);
}

/** The image has a destination people can use (of the given type, if any). */
function usable(eb: ImagesEb, type: DestinationType | undefined) {
  return eb.exists(
    eb
      .selectFrom('destinations as d')
      .select('d.image_id')
      .whereRef('d.image_id', '=', 'i.id')
      .where('d.state', 'in', USABLE_STATES)
      .$if(type !== undefined, (q) => q.where('d.type', '=', type as DestinationType)),
  );
}

function destinationView(d: Selectable<DestinationsTable>): DestinationView {
  const view: DestinationView = {
    type: d.type,
    location: d.location,
    ref: d.ref,
    url: d.url,
    sha256: d.sha256,
    size: d.size === null ? null : Number(d.size),
    ftype: d.ftype,
    state: d.state,
    detail: d.detail,
    updatedAt: d.updated_at,
  };
  if (d.type === 'ec2') view.launchUrl = ec2LaunchUrl(d.location, d.ref);
  return view;
}

function mergeStatus(old: ImageStatus, next: ImageStatus | undefined): ImageStatus {
  if (next === undefined) return old;
  return STATUS_RANK[next] >= STATUS_RANK[old] ? next : old;
}

function describeImageChange(f: ImageFacts): string {
  const task = f.kojiTaskId !== undefined ? ` (Koji task ${f.kojiTaskId})` : '';
  switch (f.status) {
    case 'failed':
      return `Failed${task}`;
    case 'complete':
      return 'Published everywhere';
    case 'partial':
      return 'Published, with some destinations failing';
    default:
      return `Built${task}`;
  }
}


function destinationLabel(type: DestinationType): string {
  const id = destinationOfCatalogueType(type);
  return id ? DESTINATIONS[id].label : type;
}

function describeDestination(type: DestinationType, location: string, ref: string, state: string, detail?: string): string {
  const where = type === 'download' ? ref : `${location}: ${ref}`;
  const label = destinationLabel(type);
  if (state === 'failed') return `${label} ${location} failed${detail ? `: ${detail}` : ''}`;
  return `${label} ${state} — ${where}`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
