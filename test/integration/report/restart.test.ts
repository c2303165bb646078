// The catalogue process (report/main.ts, as the stack runs it) killed with SIGKILL in the middle of
// a backlog, then started again: every message ends up applied exactly once. Messages are acked
// only after their transaction commits, so the kill can lose an ack (the message comes back and
// is recognised by its id) but never a message.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, rmSync, writeFileSync, closeSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBusPublisher, type BusPublisher } from '../../../clients/bus';
import { getConfig } from '../../../config';
import { REPO_ROOT } from '../../../scripts/stack/paths';
import { bindingsFor } from '../../../report/ingest/decode';
import { bodies, message, outgoing, PREFIX, type BuildRef } from '../../unit/report/fixtures';
import { testKeys, waitFor } from './helpers';

const config = getConfig();
const IMAGES = 300;
const MESSAGES = IMAGES * 2; // build finished + files published per image
const queue = `catalogue-restart-${randomBytes(4).toString('hex')}`;
const keys = testKeys('fedimg-restart-test');

let dir: string;
let port: number;
let publisher: BusPublisher;
let child: ChildProcess | undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function startCatalogue(): ChildProcess {
  const log = openSync(join(dir, 'catalogue.log'), 'a');
  const p = spawn(process.execPath, ['--import', 'tsx', 'report/main.ts'], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      FEDIMG_CONFIG_FILE: '',
      FEDIMG_LOG_LEVEL: 'warn',
      FEDIMG__CATALOGUE__LISTEN: `127.0.0.1:${port}`,
      FEDIMG__CATALOGUE__PUBLIC_URL: `http://127.0.0.1:${port}`,
      FEDIMG__CATALOGUE__DATABASE: JSON.stringify({ type: 'sqlite', path: join(dir, 'catalogue.sqlite') }),
      FEDIMG__CATALOGUE__QUEUE: queue,
      FEDIMG__CATALOGUE__PREFETCH: '16',
      FEDIMG__CATALOGUE__ADMIN_TOKEN: JSON.stringify({ file: join(dir, 'token') }),
      FEDIMG__BUS__TOPIC_PREFIX: PREFIX,
      FEDIMG__BUS__SIGNING: JSON.stringify({ keyId: keys.keyId, privateKey: { file: join(dir, 'key.pem') } }),
      FEDIMG__BUS__TRUSTED_KEYS: JSON.stringify({ [keys.keyId]: join(dir, 'key.pub.pem') }),
    },
  });
  closeSync(log);
  return p;
}

async function appliedCount(): Promise<number | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) });
    return res.ok ? ((await res.json()) as { messages: number }).messages : undefined;
  } catch {
    return undefined;
  }
}

function kill(p: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!p?.pid || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  process.kill(-p.pid, signal);
  return exited;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'catalogue-restart-'));
  writeFileSync(join(dir, 'key.pem'), keys.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(join(dir, 'key.pub.pem'), keys.publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(join(dir, 'token'), 'restart-test-token-0123456789\n', { mode: 0o600 });
  port = await freePort();
  // The queue exists (as the catalogue declares it) before anything is published: the backlog.
  const conn = await amqp.connect(config.bus.url);
  const ch = await conn.createChannel();
  await ch.assertQueue(queue, { durable: true });
  for (const b of bindingsFor(PREFIX)) await ch.bindQueue(queue, config.bus.exchange, b);
  await conn.close();
  publisher = createBusPublisher({ url: config.bus.url, exchange: config.bus.exchange, topicPrefix: PREFIX, signing: { keyId: keys.keyId, privateKey: keys.privateKey } });
});

afterAll(async () => {
  await kill(child, 'SIGKILL');
  await publisher?.close();
  const conn = await amqp.connect(config.bus.url);
  await (await conn.createChannel()).deleteQueue(queue);
  await conn.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('catalogue restarted mid-ingest', () => {
  it('loses nothing and applies nothing twice', async () => {
    const builds: BuildRef[] = Array.from({ length: IMAGES }, (_, i) => ({
      family: 'Cloud-Base-Generic',
      subvariant: 'Cloud_Base',
      release: 'rawhide',
      label: `${20260101 + i}.n.0`,
      kind: 'nightly',
    }));
    const msgs = builds.flatMap((b, i) => [
      message('buildFinished', bodies.buildFinished(b, ['x86_64'], 500_000 + i)),
      message('filesPublished', bodies.filesPublished(b, 'x86_64')),
    ]);
    expect(msgs).toHaveLength(MESSAGES);
    const t0 = Date.now();
    for (let i = 0; i < msgs.length; i += 50) await Promise.all(msgs.slice(i, i + 50).map((m) => publisher.publish(outgoing(m))));
    console.info(`[restart] published ${MESSAGES} messages in ${Date.now() - t0} ms`);

    child = startCatalogue();
    const atKill = await waitFor('some of the backlog applied', async () => {
      const n = await appliedCount();
      return n !== undefined && n >= 40 ? n : undefined;
    }, 60_000, 20);
    await kill(child, 'SIGKILL');
    const db = new Database(join(dir, 'catalogue.sqlite'), { readonly: true });
    const committed = (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
    db.close();
    expect(atKill).toBeGreaterThanOrEqual(40);
    expect(committed).toBeLessThan(MESSAGES); // killed mid-way, not after the end

    child = startCatalogue();
    await waitFor('the whole backlog', async () => (await appliedCount()) === MESSAGES, 90_000, 200);
    const metrics = await waitFor('an empty queue', async () => {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      const text = await res.text();
      const conn = await amqp.connect(config.bus.url);
      const depth = (await (await conn.createChannel()).checkQueue(queue)).messageCount;
      await conn.close();
      return depth === 0 ? text : undefined;
    });
    const applied = Number(/catalogue_messages_total\{outcome="applied"\} (\d+)/.exec(metrics)?.[1]);
    const duplicate = Number(/catalogue_messages_total\{outcome="duplicate"\} (\d+)/.exec(metrics)?.[1]);
    // The second life applied exactly what the first had not committed; anything the first had
    // committed but not acked came back and was recognised.
    expect(applied).toBe(MESSAGES - committed);
    expect(duplicate).toBeGreaterThanOrEqual(0);
    console.info(`[restart] killed with ${committed}/${MESSAGES} committed; the restart applied ${applied} and recognised ${duplicate} redelivered`);

    const images = (await (await fetch(`http://127.0.0.1:${port}/api/v1/history?family=Cloud-Base-Generic&limit=500`)).json()) as {
      images: Array<{ kojiTaskId: number; destinations: unknown[] }>;
    };
    expect(images.images).toHaveLength(IMAGES);
    expect(images.images.every((i) => i.kojiTaskId >= 500_000 && i.destinations.length === 3)).toBe(true);
    const check = new Database(join(dir, 'catalogue.sqlite'), { readonly: true });
    const perImage = check.prepare('SELECT image_id, count(*) AS n FROM image_events GROUP BY image_id HAVING n <> 4').all();
    check.close();
    expect(perImage).toEqual([]); // 1 build + 3 files per image, none applied twice
    await kill(child, 'SIGTERM');
    expect(readFileSync(join(dir, 'catalogue.log'), 'utf8')).not.toMatch(/"level":50/);
  });
});
