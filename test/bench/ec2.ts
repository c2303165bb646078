// EC2 publishing benchmarks, against a moto server of their own (started here on a free port and
// stopped at the end, so gigabytes of test data never land in the shared stack's moto):
//   1. snapshot: a BENCH_EC2_IMAGE_GIB (default 4) GiB sparse raw image holding
//      BENCH_EC2_DATA_MIB (default 600) MiB of random data, scattered in unaligned extents,
//      sent with the EBS direct APIs (non-zero blocks only) vs the classic first step of
//      ImportSnapshot: an S3 multipart upload of the whole raw file (lib-storage).
//      Targets: bytes sent <= 1.05 x the data; time <= 0.3 x the S3 upload.
//   2. fan-out: publishAmiWorkflow of a small image to 20 regions (source + 19 copies) vs to the
//      source + 1 copy (moto has 19 usable regions besides us-east-1), on the
//      stack's Temporal dev server with a real worker. moto's copies are ready at once; the fault
//      proxy keeps each copy "pending" for BENCH_EC2_COPY_S (default 20) seconds, as a real
//      CopyImage (minutes) would, and the workflow polls on timers. Target: <= 1.5 x.
//      Also reported: the same runs without copy latency (orchestration round trips only).
// Other knobs: BENCH_DIR (scratch, default $TMPDIR/fedimg-bench-ec2), BENCH_EC2_PARALLELISM
// (default: config aws.snapshot.parallelism), BENCH_EC2_ONLY=snapshot|fanout, BENCH_KEEP=1.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { getConfig } from '../../config';
import { temporalTarget } from '../../config/temporal-connection';
import { createAwsClients } from '../../clients/aws/clients';
import { clientTokenFor, uploadSnapshot } from '../../clients/aws/snapshot-upload';
import { listRegions } from '../../clients/aws/images';
import { createEc2Activities } from '../../activities/ec2';
import { imagesPendingForMs, startFaultProxy } from '../../sim/fault-proxy';
import type { PublishAmiInput } from '../../workflows/ec2';
import { startPrivateMoto } from '../helpers/private-moto';
import { testClient, uniqueQueue } from '../helpers/temporal';
import type { BenchContext } from './run';

const MiB = 1 << 20;
const GiB = 1 << 30;

function env(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}=${v} is not a positive number`);
  return n;
}

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';

export interface Ec2BenchResult {
  snapshot: {
    imageBytes: number;
    dataBytes: number;
    snapshotBytesSent: number;
    snapshotBlocks: number;
    snapshotMs: number;
    s3BytesSent: number;
    s3Ms: number;
    bytesRatio: number;
    timeRatio: number;
    parallelism: number;
  };
  fanout: {
    /** How long each emulated CopyImage stays pending. */
    copyLatencyMs: number;
    /** Source + 1 copied region vs source + (manyRegions - 1) copied regions. */
    oneRegionMs: number;
    manyRegions: number;
    manyRegionsMs: number;
    ratio: number;
    /** The same without copy latency: orchestration round trips only (dev server bound). */
    bare: { oneRegionMs: number; manyRegionsMs: number; ratio: number };
  };
  targets: { bytesRatio: boolean; timeRatio: boolean; fanoutRatio: boolean };
}

/** Entry point for test/bench/run.ts: prints a table and writes bench-results/ec2.json. */
export async function benchEc2(ctx?: BenchContext): Promise<void> {
  const r = await runEc2Bench();
  const s = r.snapshot;
  const f = r.fanout;
  const mark = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  console.log(
    [
      `image ${(s.imageBytes / GiB).toFixed(1)} GiB, data ${(s.dataBytes / MiB).toFixed(0)} MiB, ${s.snapshotBlocks} blocks of 512 KiB, parallelism ${s.parallelism}`,
      `EBS direct snapshot: ${(s.snapshotBytesSent / MiB).toFixed(0)} MiB sent in ${(s.snapshotMs / 1000).toFixed(1)} s`,
      `S3 upload (whole raw): ${(s.s3BytesSent / MiB).toFixed(0)} MiB sent in ${(s.s3Ms / 1000).toFixed(1)} s`,
      `bytes sent / data      ${s.bytesRatio.toFixed(3)}  (target <= 1.05: ${mark(r.targets.bytesRatio)})`,
      `snapshot time / S3     ${s.timeRatio.toFixed(3)}  (target <= 0.30: ${mark(r.targets.timeRatio)})`,
      `copies taking ${(f.copyLatencyMs / 1000).toFixed(0)} s: source + 1 copy ${(f.oneRegionMs / 1000).toFixed(1)} s, source + ${f.manyRegions - 1} copies ${(f.manyRegionsMs / 1000).toFixed(1)} s`,
      `fan-out ratio          ${f.ratio.toFixed(3)}  (target <= 1.50: ${mark(r.targets.fanoutRatio)})`,
      `without copy latency (orchestration only): 1 copy ${(f.bare.oneRegionMs / 1000).toFixed(1)} s, ${f.manyRegions - 1} copies ${(f.bare.manyRegionsMs / 1000).toFixed(1)} s, ratio ${f.bare.ratio.toFixed(2)}`,
    ].join('\n'),
  );
  const dir = ctx?.resultsDir ?? fileURLToPath(new URL('../../bench-results/', import.meta.url));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'ec2.json'), JSON.stringify({ at: new Date().toISOString(), ...r }, null, 2));
}

/** test/bench/run.ts calls a section's `run`. */
export const run = benchEc2;

export async function runEc2Bench(): Promise<Ec2BenchResult> {
  const moto = await startPrivateMoto();
  const scratch = process.env.BENCH_DIR ?? join(tmpdir(), 'fedimg-bench-ec2');
  await mkdir(scratch, { recursive: true });
  try {
    const only = process.env.BENCH_EC2_ONLY;
    const skipped = { imageBytes: 0, dataBytes: 0, snapshotBytesSent: 0, snapshotBlocks: 0, snapshotMs: 0, s3BytesSent: 0, s3Ms: 1, bytesRatio: 0, timeRatio: 0, parallelism: 0 };
    const snapshot = only === 'fanout' ? skipped : await benchSnapshot(moto.url, scratch);
    const fanout =
      only === 'snapshot'
        ? { copyLatencyMs: 0, oneRegionMs: 1, manyRegions: 0, manyRegionsMs: 0, ratio: 0, bare: { oneRegionMs: 1, manyRegionsMs: 0, ratio: 0 } }
        : await benchFanout(moto.url, scratch);
    return {
      snapshot,
      fanout,
      targets: { bytesRatio: snapshot.bytesRatio <= 1.05, timeRatio: snapshot.timeRatio <= 0.3, fanoutRatio: fanout.ratio <= 1.5 },
    };
  } finally {
    moto.stop();
    if (process.env.BENCH_KEEP !== '1') await rm(scratch, { recursive: true, force: true });
  }
}

async function benchSnapshot(endpoint: string, scratch: string): Promise<Ec2BenchResult['snapshot']> {
  const imageBytes = env('BENCH_EC2_IMAGE_GIB', 4) * GiB;
  const dataBytes = env('BENCH_EC2_DATA_MIB', 600) * MiB;
  const parallelism = env('BENCH_EC2_PARALLELISM', getConfig().aws.snapshot.parallelism);
  const raw = join(scratch, 'Fedora-Cloud-Base-AmazonEC2-Bench.x86_64.raw');
  await writeSparseImage(raw, imageBytes, dataBytes);
  // Warm the page cache for both contenders alike: each reads the file once before its run.
  await readThrough(raw);

  const region = 'us-east-1';
  const clients = createAwsClients({ endpoint, maxSockets: 64 });
  const t0 = performance.now();
  const out = await uploadSnapshot({
    ebs: clients.ebs(region),
    ebsOnce: clients.ebsOnce(region),
    ec2: clients.ec2(region),
    rawPath: raw,
    clientToken: clientTokenFor('bench', Date.now()),
    tags: { Name: 'bench' },
    description: 'fedimg bench',
    parallelism,
  });
  const snapshotMs = performance.now() - t0;
  clients.destroy();

  await readThrough(raw);
  const s3 = new S3Client({ region, endpoint, forcePathStyle: true });
  const bucket = `fedimg-bench-${Date.now()}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const t1 = performance.now();
  let s3Bytes = 0;
  const up = new Upload({ client: s3, params: { Bucket: bucket, Key: 'image.raw', Body: createReadStream(raw, { highWaterMark: 8 * MiB }) }, partSize: 8 * MiB, queueSize: parallelism });
  up.on('httpUploadProgress', (p) => (s3Bytes = p.loaded ?? s3Bytes));
  await up.done();
  const s3Ms = performance.now() - t1;
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'image.raw' }));
  s3.destroy();
  if (process.env.BENCH_KEEP !== '1') await rm(raw, { force: true });

  return {
    imageBytes,
    dataBytes,
    snapshotBytesSent: out.bytesSent,
    snapshotBlocks: out.blocksSent,
    snapshotMs,
    s3BytesSent: s3Bytes,
    s3Ms,
    bytesRatio: out.bytesSent / dataBytes,
    timeRatio: snapshotMs / s3Ms,
    parallelism,
  };
}

async function benchFanout(motoUrl: string, scratch: string): Promise<Ec2BenchResult['fanout']> {
  const source = 'us-east-1';
  const copyMs = env('BENCH_EC2_COPY_S', 20) * 1000;
  const proxy = await startFaultProxy({ target: motoUrl });
  const clients = createAwsClients({ endpoint: proxy.url });
  const usable = (await listRegions(clients.ec2(source))).filter((r) => r.optIn !== 'not-opted-in' && !/^(us-gov|cn)-/.test(r.name) && r.name !== source);
  // 20 regions: the source (register, no copy) and 19 copies; against the source and 1 copy.
  const copies = usable.map((r) => r.name).slice(0, 19);
  if (copies.length < 19) throw new Error(`moto offers only ${copies.length} usable regions besides ${source}`);
  const many = [source, ...copies];
  const one = [source, copies.includes('eu-west-1') ? 'eu-west-1' : (copies[0] as string)];

  const raw = join(scratch, 'fanout.raw');
  const fh = await open(raw, 'w');
  await fh.truncate(64 * MiB);
  await fh.write(randomBytes(4 * MiB), 0, 4 * MiB, 0);
  await fh.close();

  const target = temporalTarget(getConfig());
  const connection = await NativeConnection.connect({ address: target.connection.address });
  const queue = uniqueQueue('bench-ec2');
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../fixtures/workflows/ec2.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
  });
  const worker = await Worker.create({
    connection,
    namespace: target.namespace,
    taskQueue: queue,
    workflowBundle,
    activities: createEc2Activities({ clients }),
  });
  const running = worker.run();
  const { client, close } = await testClient();
  const publish = async (regions: string[], tag: string): Promise<number> => {
    const id = `${tag}-${Date.now()}`;
    const input: PublishAmiInput = {
      imageKey: `bench/${id}`,
      rawPath: raw,
      hostTaskQueue: queue,
      arch: 'x86_64',
      release: '44',
      family: 'Cloud-Base-AmazonEC2',
      kind: 'release',
      buildId: id,
      kojiTaskId: 1,
      name: `Fedora-Cloud-Base-AmazonEC2.x86_64-44-Bench-${id}`,
      sourceRegion: source,
      regions,
      maxConcurrentRegions: 32,
      retryWindowMs: 0,
      poll: { snapshot: { initialMs: 1000, maxMs: 4000 }, image: { initialMs: 2000, maxMs: 5000 } },
    };
    const t = performance.now();
    const out = await client.workflow.execute('publishAmiWorkflow', { taskQueue: queue, workflowId: `bench-ec2-${id}`, args: [input] });
    const ms = performance.now() - t;
    const failed = (out as { failedRegions: string[] }).failedRegions;
    if (failed.length > 0) throw new Error(`bench publish failed in ${failed.join(', ')}`);
    return ms;
  };
  try {
    await publish(one, 'warmup');
    // Orchestration alone: copies "available" at once, so only round trips are timed.
    const bareOne = await publish(one, 'bare-one');
    const bareMany = await publish(many, 'bare-many');
    // Copies that take copyMs (a real CopyImage takes minutes), polled on workflow timers.
    const slow = proxy.addRewrite(imagesPendingForMs(copyMs, { region: (r) => r !== source }));
    const oneRegionMs = await publish(one, 'one');
    const manyRegionsMs = await publish(many, 'many');
    slow.remove();
    return {
      copyLatencyMs: copyMs,
      oneRegionMs,
      manyRegions: many.length,
      manyRegionsMs,
      ratio: manyRegionsMs / oneRegionMs,
      bare: { oneRegionMs: bareOne, manyRegionsMs: bareMany, ratio: bareMany / bareOne },
    };
  } finally {
    worker.shutdown();
    await running;
    await close();
    await connection.close();
    clients.destroy();
    await proxy.close();
  }
}

/**
 * A sparse image: GPT-like bits at both ends, a 200 MiB boot/EFI region near the start, the rest
 * of the data in ~10 MiB extents spread over the disk at unaligned offsets.
 */
async function writeSparseImage(path: string, size: number, data: number): Promise<void> {
  await rm(path, { force: true });
  const fh = await open(path, 'w');
  try {
    await fh.truncate(size);
    const extents: Array<[number, number]> = [
      [0, 1 * MiB],
      [2 * MiB, Math.min(200 * MiB, data / 3)],
      [size - 32 * 1024, 32 * 1024],
    ];
    let left = data - extents.reduce((n, [, l]) => n + l, 0);
    const count = Math.max(1, Math.round(left / (10 * MiB)));
    const span = size - 300 * MiB;
    for (let i = 0; i < count && left > 0; i++) {
      const len = i === count - 1 ? left : Math.min(left, 10 * MiB);
      const offset = 260 * MiB + Math.floor((span / count) * i) + 4096 * (i % 7) + 512;
      extents.push([offset, len]);
      left -= len;
    }
    for (const [offset, len] of extents) {
      for (let done = 0; done < len; done += 8 * MiB) {
        const n = Math.min(8 * MiB, len - done);
        await fh.write(randomBytes(n), 0, n, offset + done);
      }
    }
  } finally {
    await fh.close();
  }
  const st = await stat(path);
  if (st.size !== size) throw new Error(`bench image is ${st.size} bytes, wanted ${size}`);
}

async function readThrough(path: string): Promise<void> {
  const fh = await open(path, 'r');
  const buf = Buffer.allocUnsafe(16 * MiB);
  try {
    for (let pos = 0; ; pos += buf.length) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
    }
  } finally {
    await fh.close();
  }
}

// Allow `tsx test/bench/ec2.ts` on its own.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  benchEc2().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}

