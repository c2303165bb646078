// The catalogue's HTTP API, the same suite on SQLite and on the stack's PostgreSQL: current images
// with every destination, filters, one image, its history, paged history, retention, simplestreams,
// the bearer-protected official marking (which announces on the bus), clear 400s, health, metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseAnnouncer } from '../../../report/announce';
import type { ReleaseOfficialV1 } from '../../../domain/messages';
import { createCatalogue, type Catalogue } from '../../../report/service';
import { bodies, imageIdOf, lifecycle, message, randomUUIDFrom, REGIONS, taskIdOf, type BuildRef } from '../../unit/report/fixtures';
import { seed, tempDatabase, testKeys, type DbKind, type TempDatabase } from './helpers';

const TOKEN = 'test-token-0123456789abcdef';
const NOW = new Date('2026-11-22T12:00:00Z');

const ec2Old: BuildRef = { family: 'Cloud-Base-AmazonEC2', subvariant: 'Cloud_Base', release: 'rawhide', label: '20261121.n.0', kind: 'nightly' };
const ec2New: BuildRef = { ...ec2Old, label: '20261122.n.0' };
const genericRc: BuildRef = { family: 'Cloud-Base-Generic', subvariant: 'Cloud_Base', release: 44, label: '1.7', kind: 'rc' };
const genericWeekly: BuildRef = { family: 'Cloud-Base-Generic', subvariant: 'Cloud_Base', release: 44, label: '20261123.weekly', kind: 'weekly' };
const ec2Rc: BuildRef = { family: 'Cloud-Base-AmazonEC2', subvariant: 'Cloud_Base', release: 44, label: '1.7', kind: 'rc' };
const failedBuild: BuildRef = { family: 'Cloud-Base-Generic', subvariant: 'Cloud_Base', release: 'rawhide', label: '20261122.n.0', kind: 'nightly' };

describe.each<DbKind>(['sqlite', 'postgres'])('catalogue API on %s', (kind) => {
  let db: TempDatabase;
  let cat: Catalogue;
  const announced: ReleaseOfficialV1[] = [];
  const announcer: ReleaseAnnouncer = {
    async announceOfficial(body) {
      announced.push(body);
      return { messageId: randomUUIDFrom(`${body.family}/${body.compose_id}`), topic: `fedimg.release.official.v1.${body.family}.${body.release}` };
    },
  };
  const keys = testKeys();
  const get = async (url: string) => {
    const res = await cat.app.inject({ url });
    return { status: res.statusCode, body: res.headers['content-type']?.toString().includes('json') ? res.json() : res.body, headers: res.headers };
  };

  beforeAll(async () => {
    db = await tempDatabase(kind);
    cat = await createCatalogue({ database: db.spec, publicUrl: 'http://127.0.0.1:18088', adminToken: TOKEN, announcer, now: () => NOW });
    await seed(cat.store, keys, lifecycle(ec2Old, ['x86_64', 'aarch64'], { downloads: true, ec2: true }), new Date('2026-11-21T05:00:00Z'));
    await seed(cat.store, keys, lifecycle(ec2New, ['x86_64'], { downloads: true, ec2: true }), new Date('2026-11-22T05:00:00Z'));
    await seed(cat.store, keys, lifecycle(genericRc, ['x86_64', 'aarch64'], { downloads: true, glance: true }), new Date('2026-11-20T10:00:00Z'));
    await seed(cat.store, keys, lifecycle(ec2Rc, ['x86_64'], { ec2: true }), new Date('2026-11-20T11:00:00Z'));
    await seed(cat.store, keys, lifecycle(genericWeekly, ['x86_64'], { downloads: true }), new Date('2026-11-22T06:00:00Z'));
    await seed(cat.store, keys, [message('buildFinished', bodies.buildFinished(failedBuild, ['x86_64'], 99, 'FAILED'))], new Date('2026-11-22T07:00:00Z'));
  });
  afterAll(async () => {
    await cat?.close();
    await db?.drop();
  });

  it('lists the current image per family, release, arch and kind, with every destination', async () => {
    const { status, body } = await get('/api/v1/images');
    expect(status).toBe(200);
    const ids = body.images.map((i: { id: string }) => i.id).sort();
    expect(ids).toEqual(
      [
        imageIdOf(ec2New, 'x86_64'), // newer nightly wins for x86_64
        imageIdOf(ec2Old, 'aarch64'), // the only aarch64 nightly
        imageIdOf(genericRc, 'x86_64'),
        imageIdOf(genericRc, 'aarch64'),
        imageIdOf(ec2Rc, 'x86_64'),
        imageIdOf(genericWeekly, 'x86_64'),
      ].sort(),
    );
    expect(ids).not.toContain(imageIdOf(failedBuild, 'x86_64'));
    const ec2 = body.images.find((i: { id: string }) => i.id === imageIdOf(ec2New, 'x86_64'));
    expect(ec2).toMatchObject({ family: 'Cloud-Base-AmazonEC2', release: 'rawhide', arch: 'x86_64', kind: 'nightly', status: 'complete', kojiTaskId: taskIdOf(ec2New) });
    expect(ec2.composeId).toBe('Fedora-Rawhide-20261122.n.0');
    const amis = ec2.destinations.filter((d: { type: string }) => d.type === 'ec2');
    expect(amis.map((d: { location: string }) => d.location).sort()).toEqual([...REGIONS].sort());
    expect(amis[0].launchUrl).toMatch(/^https:\/\/[a-z0-9-]+\.console\.aws\.amazon\.com\/ec2\/home\?region=[a-z0-9-]+#LaunchInstances:ami=ami-[0-9a-f]+$/);
    const files = ec2.destinations.filter((d: { type: string }) => d.type === 'download');
    expect(files.map((d: { ftype: string }) => d.ftype).sort()).toEqual(['CHECKSUM', 'qcow2', 'raw.tar.xz']);
    // Image complete listed only URLs: the sizes and checksums from "files published" are kept.
    expect(files.find((d: { ftype: string }) => d.ftype === 'qcow2')).toMatchObject({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), size: expect.any(Number) });
  });

  it('filters by family, release, arch, kind and destination', async () => {
    const rc = (await get('/api/v1/images?family=Cloud-Base-Generic&release=44&kind=rc')).body;
    expect(rc.images.map((i: { arch: string }) => i.arch).sort()).toEqual(['aarch64', 'x86_64']);
    const glance = (await get('/api/v1/images?destination=glance&arch=aarch64')).body;
    expect(glance.images.map((i: { id: string }) => i.id)).toEqual([imageIdOf(genericRc, 'aarch64')]);
    expect(glance.images[0].destinations.find((d: { type: string }) => d.type === 'glance')).toMatchObject({ location: 'RegionOne', state: 'published' });
    expect((await get('/api/v1/images?release=43')).body.count).toBe(0);
  });

  it('answers bad input with a clear 400 naming the field', async () => {
    const arch = await get('/api/v1/images?arch=x86');
    expect(arch.status).toBe(400);
    expect(arch.body.message).toBe('query parameter "arch": expected one of "x86_64", "aarch64", "ppc64le", "s390x", "riscv64", found "x86"');
    const typo = await get('/api/v1/images?arc=x86_64');
    expect(typo.status).toBe(400);
    expect(typo.body.message).toContain('query parameter "arc" is not known here');
    const release = await get('/api/v1/images?release=fourty');
    expect(release.body.message).toContain('query parameter "release": expected a release number or "rawhide"');
    const limit = await get('/api/v1/history?limit=5000');
    expect(limit.status).toBe(400);
    expect(limit.body.message).toContain('query parameter "limit": expected at most 500');
    const id = await get('/api/v1/images/not-an-id');
    expect(id.status).toBe(400);
    expect(id.body.message).toContain('path parameter "id"');
  });

  it('gives one image, 404 for an unknown one', async () => {
    const one = await get(`/api/v1/images/${encodeURIComponent(imageIdOf(genericRc, 'x86_64'))}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ family: 'Cloud-Base-Generic', release: '44', version: '44-1.7', kind: 'rc' });
    const missing = await get('/api/v1/images/Cloud-Base-Generic:44:x86_64:44-9.9');
    expect(missing.status).toBe(404);
    expect(missing.body.message).toContain('no image');
  });

  it("tells an image's history, message by message", async () => {
    const id = imageIdOf(ec2New, 'x86_64');
    const { status, body } = await get(`/api/v1/images/${id}/history`);
    expect(status).toBe(200);
    const summaries = body.events.map((e: { summary: string }) => e.summary);
    expect(summaries[0]).toBe(`Built in Koji (task ${taskIdOf(ec2New)})`);
    expect(summaries).toContain('Downloadable: Fedora-Cloud-Base-AmazonEC2-Rawhide-20261122.n.0.x86_64.qcow2');
    expect(summaries.filter((s: string) => s.startsWith('AMI in '))).toHaveLength(REGIONS.length);
    expect(summaries.at(-1)).toMatch(/^Complete: /);
    const times = body.events.map((e: { at: string }) => e.at);
    expect([...times].sort()).toEqual(times);
  });

  it('pages through all images of a family, failures included, newest first', async () => {
    const first = await get('/api/v1/history?family=Cloud-Base-Generic&limit=2');
    expect(first.status).toBe(200);
    expect(first.body.images.map((i: { id: string }) => i.id)).toEqual([imageIdOf(failedBuild, 'x86_64'), imageIdOf(genericWeekly, 'x86_64')]);
    expect(first.body.images[0].status).toBe('failed');
    expect(first.body.next).toMatch(/^\/api\/v1\/history\?/);
    const rest = await get(first.body.next);
    expect(rest.body.images.map((i: { id: string }) => i.id).sort()).toEqual([imageIdOf(genericRc, 'aarch64'), imageIdOf(genericRc, 'x86_64')].sort());
    expect(rest.body.next).toBeUndefined();
  });

  it('serves simplestreams: an index and products files for AMIs and downloads', async () => {
    const index = (await get('/streams/v1/index.json')).body;
    expect(index.format).toBe('index:1.0');
    expect(index.updated).toBe('Sun, 22 Nov 2026 12:00:00 +0000');
    const aws = index.index['org.fedoraproject.cloud:aws'];
    expect(aws).toMatchObject({ datatype: 'image-ids', format: 'products:1.0', path: 'streams/v1/org.fedoraproject.cloud:aws.json' });
    expect(aws.products).toEqual([
      'org.fedoraproject.cloud:cloud-base-amazonec2:44:x86_64',
      'org.fedoraproject.cloud:cloud-base-amazonec2:rawhide:aarch64',
      'org.fedoraproject.cloud:cloud-base-amazonec2:rawhide:x86_64',
    ]);
    const products = (await get(`/${aws.path}`)).body;
    expect(products).toMatchObject({ format: 'products:1.0', datatype: 'image-ids', content_id: 'org.fedoraproject.cloud:aws' });
    const p = products.products['org.fedoraproject.cloud:cloud-base-amazonec2:rawhide:x86_64'];
    expect(p).toMatchObject({ arch: 'x86_64', release: 'rawhide', os: 'fedora' });
    expect(Object.keys(p.versions)).toEqual(['Rawhide-20261121.n.0', 'Rawhide-20261122.n.0']);
    expect(p.versions['Rawhide-20261122.n.0'].label).toBe('nightly');
    expect(p.versions['Rawhide-20261122.n.0'].items.useast1).toMatchObject({ crsn: 'us-east-1', virt: 'hvm', root_store: 'ebs', id: expect.stringMatching(/^ami-/) });

    const dl = (await get('/streams/v1/org.fedoraproject.cloud:downloads.json')).body;
    const gp = dl.products['org.fedoraproject.cloud:cloud-base-generic:44:x86_64'];
    const item = gp.versions['44-1.7'].items.qcow2;
    expect(item).toMatchObject({ ftype: 'qcow2', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), size: expect.any(Number) });
    expect(item.path).toBe('downloads/44/Cloud-Base-Generic/x86_64/images/Fedora-Cloud-Base-Generic-44-1.7.x86_64.qcow2');
    expect(gp.versions['44-1.7'].items.CHECKSUM).toBeUndefined(); // no checksum of its own: not an immutable item
    expect((await get('/streams/v1/nope.json')).status).toBe(404);
  });

  it('applies retention: deprecated AMIs stay listed, removed images drop out of "current"', async () => {
    await seed(
      cat.store,
      keys,
      [
        message('retention', bodies.retention(ec2Old, 'x86_64', 'deprecated', 'ec2', 'us-east-1')),
        ...['ec2', 'downloads'].map((d) => message('retention', bodies.retention(ec2Old, 'aarch64', 'removed', d as 'ec2' | 'downloads'))),
      ],
      new Date('2026-11-22T08:00:00Z'),
    );
    const current = (await get('/api/v1/images?family=Cloud-Base-AmazonEC2&release=rawhide')).body;
    expect(current.images.map((i: { id: string }) => i.id)).toEqual([imageIdOf(ec2New, 'x86_64')]);
    const old = (await get(`/api/v1/images/${imageIdOf(ec2Old, 'x86_64')}`)).body;
    expect(old.destinations.find((d: { location: string }) => d.location === 'us-east-1').state).toBe('deprecated');
    const removed = (await get(`/api/v1/images/${imageIdOf(ec2Old, 'aarch64')}`)).body;
    expect(removed.destinations.every((d: { state: string }) => d.state === 'removed')).toBe(true);
    const aws = (await get('/streams/v1/org.fedoraproject.cloud:aws.json')).body;
    expect(aws.products['org.fedoraproject.cloud:cloud-base-amazonec2:rawhide:aarch64']).toBeUndefined();
  });

  it('requires the bearer token to mark a release official', async () => {
    const url = '/api/v1/releases/44/official';
    const payload = { version: '44-1.7', by: 'releng' };
    const none = await cat.app.inject({ method: 'POST', url, payload });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="catalogue"');
    const wrong = await cat.app.inject({ method: 'POST', url, payload, headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['www-authenticate']).toContain('invalid_token');
    expect(announced).toHaveLength(0);
  });

  it('validates the official request clearly', async () => {
    const post = (url: string, payload: unknown) => cat.app.inject({ method: 'POST', url, payload: payload as object, headers: { authorization: `Bearer ${TOKEN}` } });
    const noBy = await post('/api/v1/releases/44/official', { version: '44-1.7' });
    expect(noBy.statusCode).toBe(400);
    expect(noBy.json().message).toBe('body field "by": is required');
    const noVersion = await post('/api/v1/releases/44/official', { by: 'releng' });
    expect(noVersion.json().message).toContain('give "version" or "compose_id"');
    const extra = await post('/api/v1/releases/44/official', { by: 'releng', version: '44-1.7', force: true });
    expect(extra.json().message).toContain('body field "force" is not known here');
    const rawhide = await post('/api/v1/releases/rawhide/official', { by: 'releng', version: 'x' });
    expect(rawhide.statusCode).toBe(400);
    expect(rawhide.json().message).toContain('path parameter "release"');
    const unknown = await post('/api/v1/releases/44/official', { by: 'releng', version: '44-9.9' });
    expect(unknown.statusCode).toBe(404);
    expect(announced).toHaveLength(0);
  });

  it('marks a candidate official: announces per family, then shows it as the release', async () => {
    const res = await cat.app.inject({
      method: 'POST',
      url: '/api/v1/releases/44/official',
      payload: { compose_id: 'Fedora-44-1.7', by: 'releng', note: 'GA' },
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.statusCode).toBe(200);
    expect(announced.map((a) => a.family)).toEqual(['Cloud-Base-AmazonEC2', 'Cloud-Base-Generic']);
    expect(announced[0]).toEqual({
      family: 'Cloud-Base-AmazonEC2',
      subvariant: 'Cloud_Base',
      release: 44,
      version: '44',
      compose_id: 'Fedora-44-1.7',
      build_kind: 'rc',
      marked_by: 'releng',
      note: 'GA',
    });
    expect(res.json().official).toMatchObject({ release: '44', version: '44-1.7', markedBy: 'releng' });
    const img = (await get(`/api/v1/images/${imageIdOf(genericRc, 'aarch64')}`)).body;
    expect(img).toMatchObject({ kind: 'release', official: true });
    expect((await get('/api/v1/images?kind=release')).body.count).toBe(3);
    expect((await get('/api/v1/images?kind=rc')).body.count).toBe(0);
    expect((await get('/api/v1/releases')).body.releases).toEqual([expect.objectContaining({ release: '44', version: '44-1.7' })]);
    // The same marking again is the same messages (deterministic ids): nothing changes twice.
    const again = await cat.app.inject({
      method: 'POST',
      url: '/api/v1/releases/44/official',
      payload: { version: '44-1.7', by: 'releng' },
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(again.statusCode).toBe(200);
    const events = (await get(`/api/v1/images/${imageIdOf(genericRc, 'x86_64')}/history`)).body.events;
    expect(events.filter((e: { summary: string }) => e.summary.startsWith('Release 44 marked official'))).toHaveLength(1);
  });

  it('ignores a replayed message id', async () => {
    const before = await cat.store.counts();
    const event = { messageId: 'replayed-1', topic: 't', at: NOW.toISOString(), changes: [] };
    expect(await cat.store.apply(event)).toMatchObject({ outcome: 'applied' });
    expect(await cat.store.apply(event)).toEqual({ outcome: 'duplicate' });
    expect((await cat.store.counts()).messages).toBe(before.messages + 1);
  });

  it('reports health and metrics', async () => {
    const health = await get('/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', database: 'ok', images: 8 });
    const metrics = await get('/metrics');
    expect(metrics.body).toContain('catalogue_messages_total{outcome="forged"} 0');
    expect(metrics.body).toContain('catalogue_images 8');
    expect(metrics.body).toContain('catalogue_releases_marked_official_total 2');
    expect(metrics.body).toMatch(/catalogue_http_requests_total\{method="GET",route="\/api\/v1\/images",status="400"\} \d+/);
  });

  it('renders the page on the server with a strict content security policy', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('Fedora Rawhide');
    expect(page.body).toContain('Fedora 44');
    expect(page.body).toContain('data-copy="ami-');
    expect(page.body).not.toMatch(/<script>(?!<\/script>)/);
  });
});
