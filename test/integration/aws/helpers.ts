// Shared pieces of the EC2 integration tests: test credentials in the environment (the SDK's
// default chain reads them, as it reads the real ones on a worker), a fault proxy in front of the
// stack's moto, sparse raw images with known data, read-back of a snapshot, and a worker that
// bundles the EC2 workflows from the test-only workflowsPath.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetSnapshotBlockCommand, ListSnapshotBlocksCommand, type EBSClient } from '@aws-sdk/client-ebs';
import { DescribeImagesCommand, DescribeSnapshotAttributeCommand, DescribeSnapshotsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';
import { getConfig } from '../../../config';
import { temporalTarget } from '../../../config/temporal-connection';
import { createAwsClients, type AwsClients } from '../../../clients/aws/clients';
import { EBS_BLOCK_SIZE } from '../../../domain/ec2';
import { startAwsFront, type AwsFront } from '../../../sim/aws-front/front';
import { testClient } from '../../helpers/temporal';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
// The SDK's Node 20 deprecation notice is noise in test output.
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE ??= '1';

export const MOTO = getConfig().aws.endpoint ?? 'http://127.0.0.1:14566';

/**
 * The stack's moto itself, one port above its AWS front (scripts/stack/services/moto.ts). Tests
 * that publish put a front of their own (this checkout's sim/aws-front) on it, so they exercise
 * the front they are checked out with, not whichever one the running stack was started with.
 */
export function stackMotoUrl(): string {
  const u = new URL(MOTO);
  u.port = String(Number(u.port) + 1);
  return u.origin;
}

/** This checkout's AWS front over the stack's moto (see stackMotoUrl). */
export function startTestFront(): Promise<AwsFront> {
  return startAwsFront({ target: stackMotoUrl() });
}
export const REGIONS = getConfig().aws.regions;
export const SOURCE_REGION = getConfig().aws.sourceRegion;

/** Clients straight to moto, for checking what exists (never through the fault proxy). */
export const direct: AwsClients = createAwsClients({ endpoint: MOTO });

export function uid(): string {
  return randomUUID().slice(0, 8);
}

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A sparse raw image of `size` bytes with random data in the given [offset, length) extents
 * (anywhere, not aligned); everything else is a hole. Returns the indexes of non-zero blocks.
 */
export async function makeSparseRaw(path: string, size: number, extents: Array<[number, number]>): Promise<{ dataBlocks: number[] }> {
  const fh = await open(path, 'w');
  const blocks = new Set<number>();
  try {
    await fh.truncate(size);
    for (const [offset, length] of extents) {
      for (let done = 0; done < length; ) {
        const n = Math.min(8 * 1024 * 1024, length - done);
        const data = randomBytes(n);
        data[0] = data[0] || 1; // never an all-zero chunk
        await fh.write(data, 0, n, offset + done);
        done += n;
      }
      for (let b = Math.floor(offset / EBS_BLOCK_SIZE); b <= Math.floor((offset + length - 1) / EBS_BLOCK_SIZE); b++) blocks.add(b);
    }
  } finally {
    await fh.close();
  }
  return { dataBlocks: [...blocks].sort((a, b) => a - b) };
}

/** Lists the snapshot's blocks and compares each with the raw file; holes must be absent. */
export async function compareSnapshot(ebs: EBSClient, snapshotId: string, rawPath: string): Promise<{ listed: number[]; mismatched: number[] }> {
  const listed: number[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: snapshotId, MaxResults: 10_000, NextToken }));
    for (const b of page.Blocks ?? []) if (b.BlockIndex !== undefined) listed.push(b.BlockIndex);
    NextToken = page.NextToken;
  } while (NextToken);
  const fh = await open(rawPath, 'r');
  const mismatched: number[] = [];
  try {
    const want = Buffer.alloc(EBS_BLOCK_SIZE);
    for (const index of listed.sort((a, b) => a - b)) {
      want.fill(0);
      await fh.read(want, 0, EBS_BLOCK_SIZE, index * EBS_BLOCK_SIZE);
      const got = await ebs.send(new GetSnapshotBlockCommand({ SnapshotId: snapshotId, BlockIndex: index, BlockToken: 'unused-by-moto' }));
      const bytes = Buffer.from((await got.BlockData?.transformToByteArray()) ?? []);
      if (!bytes.equals(want)) mismatched.push(index);
    }
  } finally {
    await fh.close();
  }
  return { listed, mismatched };
}

export async function imagesNamed(ec2: EC2Client, name: string) {
  const out = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [name] }] }));
  return out.Images ?? [];
}

export async function snapshotsTagged(ec2: EC2Client, key: string, value: string) {
  const out = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: `tag:${key}`, Values: [value] }] }));
  return out.Snapshots ?? [];
}

export async function snapshotIsPublic(ec2: EC2Client, snapshotId: string): Promise<boolean> {
  const out = await ec2.send(new DescribeSnapshotAttributeCommand({ SnapshotId: snapshotId, Attribute: 'createVolumePermission' }));
  return (out.CreateVolumePermissions ?? []).some((p) => p.Group === 'all');
}

export const tagsOf = (tags: Array<{ Key?: string; Value?: string }> | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

let bundle: ReturnType<typeof bundleWorkflowCode> | undefined;

/** The EC2 workflows alone (test/fixtures/workflows/ec2.ts), bundled once per test file. */
export function ec2WorkflowBundle() {
  bundle ??= bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../../fixtures/workflows/ec2.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
  });
  return bundle;
}

export type WorkerSpec = Omit<WorkerOptions, 'connection' | 'namespace' | 'workflowBundle' | 'workflowsPath'> & { workflows?: boolean };

/** Like test/helpers/temporal.ts withWorkers, with the EC2 bundle; workers can be added mid-test. */
export async function withEc2Workers<T>(
  specs: WorkerSpec[],
  fn: (client: Client, ctl: { addWorker(spec: WorkerSpec): Promise<void> }) => Promise<T>,
): Promise<T> {
  const target = temporalTarget(getConfig());
  const connection = await NativeConnection.connect({ address: target.connection.address });
  const wb = await ec2WorkflowBundle();
  const make = ({ workflows = true, ...opts }: WorkerSpec) =>
    Worker.create({ ...opts, connection, namespace: target.namespace, ...(workflows ? { workflowBundle: wb } : {}) });
  const workers = await Promise.all(specs.map(make));
  const running = workers.map((w) => w.run());
  const { client, close } = await testClient();
  try {
    return await fn(client, {
      async addWorker(spec) {
        const w = await make(spec);
        workers.push(w);
        running.push(w.run());
      },
    });
  } finally {
    workers.forEach((w) => w.shutdown());
    await Promise.allSettled(running);
    await close();
    await connection.close();
  }
}
