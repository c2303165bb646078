// The EBS direct upload client against moto, through the fault proxy: what is sent, what is
// stored, faults, and resumption (from the listing, as moto allows, and from the resume state
// alone, as AWS requires for pending snapshots).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createAwsClients, type AwsClients } from '../../../clients/aws/clients';
import { clientTokenFor, uploadSnapshot, type SnapshotUploadState } from '../../../clients/aws/snapshot-upload';
import { ebsBlockSize, ebsError, ebsInternal, ebsThrottled, startFaultProxy, type FaultProxy } from '../../../sim/fault-proxy';
import { CLIENT_TOKEN_TAG, EBS_BLOCK_SIZE } from '../../../domain/ec2';
import { MOTO, SOURCE_REGION, compareSnapshot, direct, makeSparseRaw, snapshotsTagged, tagsOf, tempDir, uid } from './helpers';

const MiB = 1024 * 1024;
const region = SOURCE_REGION;
let proxy: FaultProxy;
let clients: AwsClients;
const tmp = tempDir('fedimg-snap-');
let raw: string;
let dataBlocks: number[];

beforeAll(async () => {
  proxy = await startFaultProxy({ target: MOTO, rewrites: [ebsBlockSize()] });
  clients = createAwsClients({ endpoint: proxy.url, maxAttempts: 6 });
  raw = join(tmp.dir, 'image.raw');
  // 64 MiB with data at the start, straddling a block boundary, a 3 MiB run, and the last bytes.
  ({ dataBlocks } = await makeSparseRaw(raw, 64 * MiB, [
    [0, 600 * 1024],
    [10 * MiB - 1000, 3000],
    [40 * MiB + 4096, 3 * MiB],
    [64 * MiB - 100, 100],
  ]));
});

afterAll(async () => {
  clients.destroy();
  await proxy.close();
  tmp.remove();
});

function upload(token: string, extra: Partial<Parameters<typeof uploadSnapshot>[0]> = {}) {
  return uploadSnapshot({
    ebs: clients.ebs(region),
    ebsOnce: clients.ebsOnce(region),
    ec2: clients.ec2(region),
    rawPath: raw,
    clientToken: token,
    tags: { Name: `snapshot-test-${token.slice(0, 8)}`, 'fedimg:managed': 'true', ImageKind: 'nightly' },
    description: 'fedimg snapshot test',
    parallelism: 4,
    ...extra,
  });
}

const putsFor = (snapshotId: string) => proxy.calls.filter((c) => c.action === 'PutSnapshotBlock' && c.path.includes(`/${snapshotId}/`));

describe('EBS direct snapshot upload', () => {
  it('sends only the non-zero blocks, and the snapshot reads back equal to the raw file', async () => {
    expect(dataBlocks).toEqual([0, 1, 19, 20, 80, 81, 82, 83, 84, 85, 86, 127]);
    const token = clientTokenFor('t', uid());
    const out = await upload(token);
    expect(out).toMatchObject({ volumeGiB: 1, totalBlocks: 128, dataBlocks: dataBlocks.length, blocksSent: dataBlocks.length, resumedFrom: 'none', alreadyCompleted: false });
    expect(out.bytesSent).toBe(dataBlocks.length * EBS_BLOCK_SIZE);
    // The proxy makes moto say what AWS says; the client uses 524288 either way.
    expect(out.reportedBlockSize).toBe(524288);
    const puts = putsFor(out.snapshotId);
    expect(puts.map((c) => Number(c.path.split('/').pop())).sort((a, b) => a - b)).toEqual(dataBlocks);
    expect(puts.every((c) => c.bytesIn === EBS_BLOCK_SIZE)).toBe(true);

    const back = await compareSnapshot(direct.ebs(region), out.snapshotId, raw);
    expect(back.listed.sort((a, b) => a - b)).toEqual(dataBlocks);
    expect(back.mismatched).toEqual([]);
    const [snap] = await snapshotsTagged(direct.ec2(region), CLIENT_TOKEN_TAG, token);
    expect(snap?.SnapshotId).toBe(out.snapshotId);
    expect(tagsOf(snap?.Tags)).toMatchObject({ 'fedimg:managed': 'true', ImageKind: 'nightly' });

    // The same token again: the completed snapshot is found, nothing is sent.
    const before = proxy.count('PutSnapshotBlock').requests;
    const again = await upload(token);
    expect(again).toMatchObject({ snapshotId: out.snapshotId, alreadyCompleted: true, resumedFrom: 'tag-lookup' });
    expect(proxy.count('PutSnapshotBlock').requests).toBe(before);
  });

  it('gets through throttling, 5xx and dropped connections on a fifth of the block calls', async () => {
    const rules = [
      proxy.addRule({ name: 'throttle', match: { action: 'PutSnapshotBlock' }, fault: ebsThrottled(), probability: 0.07 }),
      proxy.addRule({ name: '500', match: { action: 'PutSnapshotBlock' }, fault: ebsInternal(), probability: 0.07 }),
      proxy.addRule({ name: 'reset', match: { action: 'PutSnapshotBlock' }, fault: { kind: 'reset' }, probability: 0.04 }),
      proxy.addRule({ name: 'lost answer', match: { action: 'PutSnapshotBlock' }, fault: { ...ebsInternal(), after: true }, probability: 0.04 }),
      // At least one fault whatever the seed: with this image's few data blocks the random ones
      // above all stay quiet in about one run in twelve.
      proxy.addRule({ name: 'throttle the third', match: { action: 'PutSnapshotBlock' }, fault: ebsThrottled(), skip: 2, times: 1 }),
    ];
    try {
      const out = await upload(clientTokenFor('t', uid()));
      expect(rules.reduce((n, r) => n + r.fired, 0), `seed ${proxy.seed}`).toBeGreaterThan(0);
      const back = await compareSnapshot(direct.ebs(region), out.snapshotId, raw);
      expect(back.listed.sort((a, b) => a - b)).toEqual(dataBlocks);
      expect(back.mismatched).toEqual([]);
    } finally {
      rules.forEach((r) => r.remove());
    }
  });

  it('resumes an interrupted upload without resending acknowledged blocks', async () => {
    const token = clientTokenFor('t', uid());
    const slow = proxy.addRule({ match: { action: 'PutSnapshotBlock' }, fault: { kind: 'delay', ms: 60 } });
    const ac = new AbortController();
    let last: SnapshotUploadState | undefined;
    try {
      await expect(
        upload(token, {
          signal: ac.signal,
          onProgress: (s) => {
            last = s;
            if (s.blocksSent >= 4) ac.abort();
          },
        }),
      ).rejects.toThrow();
    } finally {
      slow.remove();
    }
    expect(last?.blocksSent).toBeGreaterThanOrEqual(4);
    const out = await upload(token, { resume: last as SnapshotUploadState });
    expect(out.snapshotId).toBe(last?.snapshotId);
    expect(out.resumedFrom).toBe('state');
    const puts = putsFor(out.snapshotId);
    const stored = puts.filter((c) => (c.upstreamStatus ?? 999) < 300);
    const resent = stored.length - new Set(stored.map((c) => c.path)).size;
    expect(resent).toBeLessThanOrEqual(4);
    expect(out.blocksSentTotal).toBeLessThanOrEqual(dataBlocks.length + 4);
    const back = await compareSnapshot(direct.ebs(region), out.snapshotId, raw);
    expect(back.listed.sort((a, b) => a - b)).toEqual(dataBlocks);
    expect(back.mismatched).toEqual([]);
    expect((await snapshotsTagged(direct.ec2(region), CLIENT_TOKEN_TAG, token)).map((s) => s.SnapshotId)).toEqual([out.snapshotId]);
  });

  it('carries on a snapshot found by its token tag when no resume state survived', async () => {
    const token = clientTokenFor('t', uid());
    const slow = proxy.addRule({ match: { action: 'PutSnapshotBlock' }, fault: { kind: 'delay', ms: 60 } });
    const ac = new AbortController();
    try {
      await expect(upload(token, { signal: ac.signal, onProgress: (s) => s.blocksSent >= 4 && ac.abort() })).rejects.toThrow();
    } finally {
      slow.remove();
    }
    const out = await upload(token);
    expect(out).toMatchObject({ resumedFrom: 'tag-lookup', dataBlocks: dataBlocks.length });
    expect(out.listedBlocks).toBeGreaterThanOrEqual(4);
    expect(out.skippedAcknowledged).toBeGreaterThanOrEqual(4);
    expect(out.blocksSent + out.skippedAcknowledged).toBe(dataBlocks.length);
    const back = await compareSnapshot(direct.ebs(region), out.snapshotId, raw);
    expect(back.listed.sort((a, b) => a - b)).toEqual(dataBlocks);
    expect(back.mismatched).toEqual([]);
    expect(await snapshotsTagged(direct.ec2(region), CLIENT_TOKEN_TAG, token)).toHaveLength(1);
  });

  it('resumes from the state alone where the service will not list a pending snapshot (AWS)', async () => {
    const token = clientTokenFor('t', uid());
    // AWS: "the snapshot can be accessed only if it has a completed status".
    const noList = proxy.addRule({ match: { action: 'ListSnapshotBlocks' }, fault: ebsError('ValidationException', 400, { Reason: 'SNAPSHOT_NOT_COMPLETED' }) });
    const slow = proxy.addRule({ match: { action: 'PutSnapshotBlock' }, fault: { kind: 'delay', ms: 60 } });
    const ac = new AbortController();
    let last: SnapshotUploadState | undefined;
    try {
      await expect(
        upload(token, {
          signal: ac.signal,
          onProgress: (s) => {
            // The resume state is what was reported before the abort (a killed worker's last
            // heartbeat): blocks still in flight may land later, and must not make it complete.
            if (ac.signal.aborted) return;
            last = s;
            if (s.blocksSent >= 5) ac.abort();
          },
        }),
      ).rejects.toThrow();
      slow.remove();
      const out = await upload(token, { resume: last as SnapshotUploadState });
      expect(out).toMatchObject({ snapshotId: last?.snapshotId, resumedFrom: 'state', listedBlocks: 'unavailable' });
      // Blocks in flight at the abort may go again; nothing acknowledged does.
      expect(out.blocksSent).toBeLessThanOrEqual(dataBlocks.length - (last?.blocksSent ?? 0) + 4);
      expect(out.blocksSentTotal - dataBlocks.length).toBeLessThanOrEqual(4);
      expect(out.dataBlocks).toBe(dataBlocks.length);
      const back = await compareSnapshot(direct.ebs(region), out.snapshotId, raw);
      expect(back.listed.sort((a, b) => a - b)).toEqual(dataBlocks);
      expect(back.mismatched).toEqual([]);
    } finally {
      noList.remove();
      slow.remove();
    }
  });
});
