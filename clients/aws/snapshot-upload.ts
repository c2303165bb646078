// An EBS snapshot straight from a sparse raw image with the EBS direct APIs (what coldsnap does):
// StartSnapshot, PutSnapshotBlock for every block that is not all zeros (SHA-256 checksum,
// bounded parallelism), CompleteSnapshot with the count of blocks written. Only data crosses the
// network: a 5 GiB image holding 1 GiB sends about 1 GiB.
//
// Idempotent and resumable:
//  - the snapshot is found again, in this order, from the resume state (the activity's heartbeat
//    details), from our client-token tag (DescribeSnapshots), or made with StartSnapshot and a
//    ClientToken derived from the image identity (AWS returns the same snapshot for the same
//    token; moto ignores tokens, hence the tag look-up first);
//  - a resumed upload skips every block the state marks done and, where the service allows it,
//    every block ListSnapshotBlocks reports. AWS lists only *completed* snapshots (EBS direct
//    APIs FAQ), so there the heartbeat state is what saves work; moto lists pending ones too.
//  - a completed snapshot with our token and our upload-complete tag is returned as it is.
// Block size: always 524288. moto answers BlockSize 512 (a known difference); we report what the
// service said and use the documented size.
import { createHash } from 'node:crypto';
import {
  CompleteSnapshotCommand,
  ListSnapshotBlocksCommand,
  PutSnapshotBlockCommand,
  StartSnapshotCommand,
  type EBSClient,
} from '@aws-sdk/client-ebs';
import { CreateTagsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { CLIENT_TOKEN_TAG, EBS_BLOCK_SIZE, volumeGiBFor } from '../../domain/ec2';

/** Set on the snapshot once CompleteSnapshot was accepted: the upload needs nothing more. */
export const UPLOAD_DONE_TAG = 'fedimg:upload-complete';
import { BlockProgress, type BlockProgressState } from './block-progress';
import { classifyAwsError, isAbortError } from './errors';
import { fileSize, readBlocks } from './raw-blocks';
import { describeSnapshot, findSnapshotsByTag } from './snapshots';

/** What a later attempt needs to carry on: small enough for a heartbeat. */
export interface SnapshotUploadState {
  snapshotId: string;
  phase: 'uploading' | 'completing';
  blocks: BlockProgressState;
  /** Totals over all attempts. */
  blocksSent: number;
  bytesSent: number;
  /** Set once CompleteSnapshot has been asked for. */
  changedBlocks?: number;
}

export interface UploadSnapshotOptions {
  /** Retrying client for PutSnapshotBlock / ListSnapshotBlocks. */
  ebs: EBSClient;
  /** Single-shot client for StartSnapshot / CompleteSnapshot (see clients.ts). */
  ebsOnce: EBSClient;
  ec2: EC2Client;
  rawPath: string;
  /** Deterministic from the image identity: the same image always maps to the same snapshot. */
  clientToken: string;
  tags: Record<string, string>;
  description: string;
  /** PutSnapshotBlock calls in flight at once. */
  parallelism: number;
  /** Minutes after which AWS gives up on a snapshot left pending (10-4320). */
  timeoutMinutes?: number;
  resume?: SnapshotUploadState;
  signal?: AbortSignal;
  onProgress?: (state: SnapshotUploadState) => void;
  /** Minimum time between onProgress calls (default 250 ms); the last state is always reported. */
  progressIntervalMs?: number;
}

export interface UploadSnapshotResult {
  snapshotId: string;
  sizeBytes: number;
  volumeGiB: number;
  totalBlocks: number;
  /** Non-zero blocks of the image (= ChangedBlocksCount). */
  dataBlocks: number;
  /** Uploaded by this attempt. */
  blocksSent: number;
  bytesSent: number;
  /** Uploaded over all attempts. */
  blocksSentTotal: number;
  bytesSentTotal: number;
  /** Non-zero blocks not sent because the service already had them. */
  skippedAcknowledged: number;
  resumedFrom: 'none' | 'state' | 'tag-lookup';
  listedBlocks: number | 'unavailable' | 'not-needed';
  alreadyCompleted: boolean;
  /** BlockSize the service reported at StartSnapshot (moto: 512), for the record. */
  reportedBlockSize?: number;
}

/** sha256 of the identity, as EBS accepts for ClientToken (and EC2 for CopyImage's). */
export function clientTokenFor(...parts: Array<string | number>): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

export async function uploadSnapshot(opts: UploadSnapshotOptions): Promise<UploadSnapshotResult> {
  const { ebs, ebsOnce, ec2, signal } = opts;
  const { size } = await fileSize(opts.rawPath);
  const volumeGiB = volumeGiBFor(size);
  const totalBlocks = Math.ceil(size / EBS_BLOCK_SIZE);

  let snapshotId: string | undefined;
  let state: SnapshotUploadState | undefined;
  let resumedFrom: UploadSnapshotResult['resumedFrom'] = 'none';
  let reportedBlockSize: number | undefined;

  const done = (id: string, s?: SnapshotUploadState): UploadSnapshotResult => ({
    snapshotId: id,
    sizeBytes: size,
    volumeGiB,
    totalBlocks,
    dataBlocks: s?.changedBlocks ?? s?.blocks.dataBelow ?? 0,
    blocksSent: 0,
    bytesSent: 0,
    blocksSentTotal: s?.blocksSent ?? 0,
    bytesSentTotal: s?.bytesSent ?? 0,
    skippedAcknowledged: 0,
    resumedFrom,
    listedBlocks: 'not-needed',
    alreadyCompleted: true,
  });

  if (opts.resume) {
    const info = await describeSnapshot(ec2, opts.resume.snapshotId, signal);
    if (info?.state === 'completed' && opts.resume.phase === 'completing') {
      resumedFrom = 'state';
      await markDone(ec2, info.snapshotId, signal);
      return done(info.snapshotId, opts.resume);
    }
    // 'completed' while our own state says we were still uploading: moto reports EBS-direct
    // snapshots completed at once (a known difference); AWS says pending. Our state wins.
    if (info?.state === 'pending' || info?.state === 'completed') {
      snapshotId = info.snapshotId;
      state = opts.resume;
      resumedFrom = 'state';
    }
  }
  if (!snapshotId) {
    const mine = (await findSnapshotsByTag(ec2, CLIENT_TOKEN_TAG, opts.clientToken, signal)).filter((s) => s.state === 'pending' || s.state === 'completed');
    // Finished means completed *and* marked by us after CompleteSnapshot; anything else is
    // carried on from what the service lists (which AWS allows for completed snapshots).
    const finished = mine.find((s) => s.state === 'completed' && s.tags[UPLOAD_DONE_TAG] === 'true');
    if (finished) {
      resumedFrom = 'tag-lookup';
      return done(finished.snapshotId);
    }
    if (mine[0]) {
      snapshotId = mine[0].snapshotId;
      resumedFrom = 'tag-lookup';
    }
  }
  if (!snapshotId) {
    const out = await ebsOnce.send(
      new StartSnapshotCommand({
        VolumeSize: volumeGiB,
        ClientToken: opts.clientToken,
        Description: opts.description.slice(0, 255),
        Timeout: opts.timeoutMinutes ?? 1440,
        Tags: Object.entries({ ...opts.tags, [CLIENT_TOKEN_TAG]: opts.clientToken }).map(([Key, Value]) => ({ Key, Value })),
      }),
      { abortSignal: signal },
    );
    if (!out.SnapshotId) throw new Error('StartSnapshot returned no SnapshotId');
    snapshotId = out.SnapshotId;
    reportedBlockSize = out.BlockSize;
  }
  const id = snapshotId;

  const progress = new BlockProgress(state?.blocks);
  let blocksSentTotal = state?.blocksSent ?? 0;
  let bytesSentTotal = state?.bytesSent ?? 0;
  let blocksSent = 0;
  let skippedAcknowledged = 0;
  const snapshotState = (phase: SnapshotUploadState['phase'], changedBlocks?: number): SnapshotUploadState => ({
    snapshotId: id,
    phase,
    blocks: progress.state,
    blocksSent: blocksSentTotal,
    bytesSent: bytesSentTotal,
    ...(changedBlocks !== undefined ? { changedBlocks } : {}),
  });
  let lastReport = 0;
  const interval = opts.progressIntervalMs ?? 250;
  const report = (force = false) => {
    const now = Date.now();
    if (!opts.onProgress || (!force && now - lastReport < interval)) return;
    lastReport = now;
    opts.onProgress(snapshotState('uploading'));
  };
  report(true);

  let changedBlocks = state?.phase === 'completing' ? state.changedBlocks : undefined;
  let listedBlocks: UploadSnapshotResult['listedBlocks'] = 'not-needed';
  if (changedBlocks === undefined) {
    const listed = resumedFrom === 'none' ? new Set<number>() : await listBlocks(ebs, id, signal);
    listedBlocks = listed === undefined ? 'unavailable' : resumedFrom === 'none' ? 'not-needed' : listed.size;

    const inflight = new Set<Promise<void>>();
    let failure: unknown;
    try {
      for await (const block of readBlocks(opts.rawPath, { blockSize: EBS_BLOCK_SIZE, from: progress.low, signal })) {
        if (failure !== undefined) break;
        if (progress.isDone(block.index)) continue;
        if (!block.data) {
          progress.mark(block.index, false);
          report();
          continue;
        }
        if (listed?.has(block.index)) {
          progress.mark(block.index, true);
          skippedAcknowledged += 1;
          report();
          continue;
        }
        while (inflight.size >= opts.parallelism) await Promise.race(inflight);
        if (failure !== undefined) break;
        const { index, data } = block;
        const p: Promise<void> = putBlock(ebs, { snapshotId: id, index, data }, signal)
          .then(() => {
            progress.mark(index, true);
            blocksSent += 1;
            blocksSentTotal += 1;
            bytesSentTotal += data.length;
            report();
          })
          .catch((err: unknown) => {
            failure ??= err;
          })
          .finally(() => inflight.delete(p));
        inflight.add(p);
      }
    } catch (err) {
      failure ??= err;
    }
    await Promise.all(inflight);
    report(true);
    if (failure !== undefined) throw failure;
    if (progress.low !== totalBlocks) throw new Error(`upload ended at block ${progress.low} of ${totalBlocks}`);
    changedBlocks = progress.state.dataBelow;
    opts.onProgress?.(snapshotState('completing', changedBlocks));
    await completeSnapshot({ ebsOnce, ec2 }, { snapshotId: id, changedBlocks, repeated: resumedFrom !== 'none' }, signal);
  } else {
    // An earlier attempt asked for completion; its answer may have been lost.
    await completeSnapshot({ ebsOnce, ec2 }, { snapshotId: id, changedBlocks, repeated: true }, signal);
  }
  await markDone(ec2, id, signal);

  return {
    snapshotId: id,
    sizeBytes: size,
    volumeGiB,
    totalBlocks,
    dataBlocks: changedBlocks,
    blocksSent,
    bytesSent: blocksSent * EBS_BLOCK_SIZE,
    blocksSentTotal,
    bytesSentTotal,
    skippedAcknowledged,
    resumedFrom,
    listedBlocks,
    alreadyCompleted: false,
    ...(reportedBlockSize !== undefined ? { reportedBlockSize } : {}),
  };
}

async function markDone(ec2: EC2Client, snapshotId: string, signal?: AbortSignal): Promise<void> {
  await ec2.send(new CreateTagsCommand({ Resources: [snapshotId], Tags: [{ Key: UPLOAD_DONE_TAG, Value: 'true' }] }), { abortSignal: signal });
}

async function putBlock(ebs: EBSClient, { snapshotId, index, data }: { snapshotId: string; index: number; data: Buffer }, signal?: AbortSignal): Promise<void> {
  const checksum = createHash('sha256').update(data).digest('base64');
  await ebs.send(
    new PutSnapshotBlockCommand({
      SnapshotId: snapshotId,
      BlockIndex: index,
      BlockData: data,
      DataLength: data.length,
      Checksum: checksum,
      ChecksumAlgorithm: 'SHA256',
    }),
    { abortSignal: signal },
  );
}

/** Every block index the service holds, or undefined where it will not say (AWS: pending). */
async function listBlocks(ebs: EBSClient, snapshotId: string, signal?: AbortSignal): Promise<Set<number> | undefined> {
  const out = new Set<number>();
  let NextToken: string | undefined;
  try {
    do {
      const page = await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: snapshotId, MaxResults: 10_000, NextToken }), { abortSignal: signal });
      for (const b of page.Blocks ?? []) if (b.BlockIndex !== undefined) out.add(b.BlockIndex);
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  } catch (err) {
    if (isAbortError(err) || signal?.aborted) throw err;
    return undefined;
  }
}

/** `repeated`: CompleteSnapshot may have been sent before (a resumed upload, a lost answer). */
async function completeSnapshot(
  { ebsOnce, ec2 }: { ebsOnce: EBSClient; ec2: EC2Client },
  { snapshotId, changedBlocks, repeated }: { snapshotId: string; changedBlocks: number; repeated: boolean },
  signal?: AbortSignal,
): Promise<void> {
  try {
    await ebsOnce.send(new CompleteSnapshotCommand({ SnapshotId: snapshotId, ChangedBlocksCount: changedBlocks }), { abortSignal: signal });
  } catch (err) {
    if (!repeated || classifyAwsError(err) === 'transient') throw err;
    // Asked before: a refusal now means the snapshot is no longer open for writing. The
    // workflow's wait on DescribeSnapshots decides whether it completed or failed.
    const info = await describeSnapshot(ec2, snapshotId, signal);
    if (!info) throw err;
  }
}
