// The S3 backend against the local stack's real moto server: single PUTs and multipart uploads,
// the sha256 metadata, idempotent re-runs, conflicts, and resuming a multipart upload from the
// details an interrupted attempt reported. Calls are counted with SDK middleware.
import { randomUUID } from 'node:crypto';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getConfig } from '../../../config';
import {
  DownloadConflictError,
  SourceMismatchError,
  TargetMisconfiguredError,
  createDownloadsS3Client,
  createS3Target,
  publishImageSet,
  type PublishResume,
  type S3TargetOptions,
} from '../../../clients/downloads';
import { MiB, randomContent, sha256Hex, stageChecksum, stageFile, stageSmallSet, tempDir } from '../../unit/downloads/staged-files';

// moto takes any credentials; the target itself only ever uses the SDK's default chain.
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';

const ENDPOINT = getConfig().aws.endpoint ?? 'http://127.0.0.1:14566';
const LAYOUT = 'pub/{release}/{family}/{arch}/images/{file}';
const bucket = `downloads-test-${randomUUID().slice(0, 8)}`;
let staging: Awaited<ReturnType<typeof tempDir>>;

/** A client that records each successful call as "Command key". */
function countingClient() {
  const client = createDownloadsS3Client({ region: 'us-east-1', endpoint: ENDPOINT });
  const calls: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      calls.push(`${(context.commandName ?? '?').replace(/Command$/, '')} ${(args.input as { Key?: string }).Key ?? ''}`.trim());
      return result;
    },
    { step: 'initialize', name: 'countCalls' },
  );
  const count = (command: string) => calls.filter((c) => c.split(' ')[0] === command).length;
  return { client, calls, count };
}

function target(client: S3Client, more: Partial<S3TargetOptions> = {}) {
  return createS3Target({ client, bucket, layout: LAYOUT, publicUrl: `${ENDPOINT}/${bucket}`, ...more });
}

async function readBack(client: S3Client, key: string): Promise<{ sha256: string; metadata: Record<string, string> | undefined; etag: string | undefined }> {
  const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const bytes = await got.Body!.transformToByteArray();
  return { sha256: sha256Hex(Buffer.from(bytes)), metadata: got.Metadata, etag: got.ETag };
}

async function exists(client: S3Client, key: string): Promise<boolean> {
  return client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
    () => true,
    () => false,
  );
}

async function stageBigSet(release: string, imageBytes: number) {
  const image = await stageFile(staging.dir, `Fedora-Cloud-Base-Generic-${release}.x86_64.qcow2`, randomContent(imageBytes));
  const checksumFile = await stageChecksum(staging.dir, `Fedora-Cloud-${release}-x86_64-CHECKSUM`, [image]);
  return { release, family: 'Cloud', arch: 'x86_64', files: [image], checksumFile };
}

beforeAll(async () => {
  staging = await tempDir('dl-s3');
  await createDownloadsS3Client({ region: 'us-east-1', endpoint: ENDPOINT }).send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  await staging.cleanup();
});

describe('S3 download target (moto)', () => {
  it('puts small files in one request each, CHECKSUM last, with sha256 metadata and URLs', async () => {
    const { client, calls, count } = countingClient();
    const set = await stageSmallSet(staging.dir);
    const set41 = { ...set, release: '41' };
    const result = await publishImageSet(target(client), set41);

    const keys = [...set.files, set.checksumFile].map((f) => `pub/41/Cloud/x86_64/images/${f.name}`);
    expect(result.map((f) => [f.key, f.state])).toEqual(keys.map((k) => [k, 'uploaded']));
    expect(result[2]?.url).toBe(`${ENDPOINT}/${bucket}/${keys[2]}`);
    expect(calls.filter((c) => c.startsWith('PutObject'))).toEqual(keys.map((k) => `PutObject ${k}`));
    expect(count('CreateMultipartUpload')).toBe(0);
    for (const [i, f] of [...set.files, set.checksumFile].entries()) {
      const back = await readBack(client, keys[i]!);
      expect(back.sha256).toBe(f.sha256);
      expect(back.metadata).toEqual({ sha256: f.sha256 });
    }
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: keys[2] }));
    expect(head.ContentType).toBe('text/plain; charset=utf-8');
  });

  it('sends a 21 MiB image as a multipart upload that reads back identical; a re-run sends nothing', async () => {
    const set = await stageBigSet('42', 21 * MiB);
    const first = countingClient();
    const result = await publishImageSet(target(first.client), set);
    const [imageKey, checksumKey] = result.map((f) => f.key) as [string, string];

    expect(first.count('CreateMultipartUpload')).toBe(1);
    expect(first.count('UploadPart')).toBe(3); // 8 + 8 + 5 MiB
    expect(first.count('CompleteMultipartUpload')).toBe(1);
    // The CHECKSUM file goes up only after the image's upload is complete.
    expect(first.calls.filter((c) => /^(CompleteMultipartUpload|PutObject)/.test(c))).toEqual([
      `CompleteMultipartUpload ${imageKey}`,
      `PutObject ${checksumKey}`,
    ]);
    const back = await readBack(first.client, imageKey);
    expect(back.sha256).toBe(set.files[0]!.sha256);
    expect(back.metadata).toEqual({ sha256: set.files[0]!.sha256 });

    const again = countingClient();
    const rerun = await publishImageSet(target(again.client), set);
    expect(rerun.map((f) => f.state)).toEqual(['unchanged', 'unchanged']);
    expect(again.calls).toEqual([`HeadObject ${imageKey}`, `HeadObject ${checksumKey}`]);
  });

  it('refuses different content under a published name and writes nothing of the set', async () => {
    const { client, count } = countingClient();
    const published = await stageSmallSet(staging.dir);
    const set = { ...published, release: '43' };
    const result = await publishImageSet(target(client), set);
    const etag = (await readBack(client, result[1]!.key)).etag;

    // A respin that reuses the names: new qcow2 (first, absent elsewhere) and a new raw.tar.xz.
    const respin = await stageSmallSet(staging.dir);
    const other = { ...respin, release: '43', files: [{ ...respin.files[0]!, name: 'Fedora-new-name.qcow2' }, respin.files[1]!] };
    const before = count('PutObject');
    const err = await publishImageSet(target(client), other).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadConflictError);
    expect((err as DownloadConflictError).conflicts.map((c) => c.key)).toEqual([result[1]!.key, result[2]!.key]);
    expect(count('PutObject')).toBe(before);
    expect(await exists(client, 'pub/43/Cloud/x86_64/images/Fedora-new-name.qcow2')).toBe(false);
    expect((await readBack(client, result[1]!.key)).etag).toBe(etag);
  });

  it('treats an object without sha256 metadata as different content', async () => {
    const { client } = countingClient();
    const set = await stageSmallSet(staging.dir);
    const key = `pub/44/Cloud/x86_64/images/${set.checksumFile.name}`;
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x'.repeat(set.checksumFile.size) }));
    await expect(publishImageSet(target(client), set)).rejects.toThrow(/no x-amz-meta-sha256/);
  });

  it('never replaces an object that appeared after the check (conditional writes)', async () => {
    const { client } = countingClient();
    const small = await stageFile(staging.dir, 'race.qcow2', randomContent(1000));
    const big = await stageFile(staging.dir, 'race-big.qcow2', randomContent(17 * MiB));
    const t = target(client);
    for (const f of [small, big]) {
      const key = `pub/race/${f.name}`;
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'first writer wins' }));
      expect(await t.put(key, f)).toBe('exists');
      expect((await readBack(client, key)).sha256).toBe(sha256Hex('first writer wins'));
    }
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'pub/race/' }));
    expect(uploads.Uploads ?? []).toEqual([]);
  });

  it('resumes an interrupted multipart upload, sending only the parts S3 does not hold', async () => {
    const set = await stageBigSet('45', 36 * MiB); // 5 parts: 4 x 8 MiB + 4 MiB
    const imageKey = `pub/45/Cloud/x86_64/images/${set.files[0]!.name}`;

    // Attempt 1: stopped once two parts are reported done (one part in flight at a time).
    const first = countingClient();
    const controller = new AbortController();
    let last: PublishResume | undefined;
    const interrupted = publishImageSet(target(first.client, { concurrency: 1 }), set, {
      signal: controller.signal,
      onProgress: (p) => {
        last = p.resume;
        if ((p.resume.multipart?.partsDone.length ?? 0) >= 2) controller.abort(new Error('worker lost'));
      },
    });
    await expect(interrupted).rejects.toThrow('worker lost');
    expect(first.count('UploadPart')).toBe(2);
    expect(last?.multipart).toMatchObject({ key: imageKey, partSize: 8 * MiB, size: 36 * MiB, partsDone: [1, 2] });
    expect(last?.multipart?.uploadId).toEqual(expect.any(String));
    expect(await exists(first.client, imageKey)).toBe(false);
    expect(await exists(first.client, `pub/45/Cloud/x86_64/images/${set.checksumFile.name}`)).toBe(false);

    // Attempt 2, as another process would run it from the heartbeat details.
    const second = countingClient();
    const result = await publishImageSet(target(second.client), set, { resume: JSON.parse(JSON.stringify(last)) as PublishResume });
    expect(result.map((f) => f.state)).toEqual(['uploaded', 'uploaded']);
    expect(second.count('CreateMultipartUpload')).toBe(0);
    expect(second.count('ListParts')).toBe(1);
    expect(second.count('UploadPart')).toBe(3);
    expect((await readBack(second.client, imageKey)).sha256).toBe(set.files[0]!.sha256);
  });

  it('starts afresh when the upload to resume is gone', async () => {
    const set = await stageBigSet('46', 17 * MiB);
    const { client, count } = countingClient();
    const key = `pub/46/Cloud/x86_64/images/${set.files[0]!.name}`;
    const resume: PublishResume = {
      uploaded: [],
      multipart: { key, uploadId: 'no-such-upload', partSize: 8 * MiB, size: set.files[0]!.size, sha256: set.files[0]!.sha256, partsDone: [1] },
    };
    await publishImageSet(target(client), set, { resume });
    expect(count('CreateMultipartUpload')).toBe(1);
    expect(count('UploadPart')).toBe(3);
    expect((await readBack(client, key)).sha256).toBe(set.files[0]!.sha256);
  });

  it('completes nothing when the staged file does not hash to its facts', async () => {
    const set = await stageBigSet('47', 17 * MiB);
    const wrong = { ...set, files: [{ ...set.files[0]!, sha256: sha256Hex('other') }] };
    const { client, count } = countingClient();
    await expect(publishImageSet(target(client), wrong)).rejects.toThrow(SourceMismatchError);
    expect(count('CompleteMultipartUpload')).toBe(0);
    expect(await exists(client, `pub/47/Cloud/x86_64/images/${set.files[0]!.name}`)).toBe(false);
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'pub/47/' }));
    expect(uploads.Uploads ?? []).toEqual([]);
  });

  it('reports a missing bucket as a misconfiguration', async () => {
    const set = await stageSmallSet(staging.dir);
    const { client } = countingClient();
    const t = createS3Target({ client, bucket: `no-such-bucket-${randomUUID().slice(0, 8)}`, layout: LAYOUT });
    await expect(publishImageSet(t, set)).rejects.toThrow(TargetMisconfiguredError);
  });
});
