// publishDownloads through a real worker and the stack's Temporal server, against moto: an
// attempt that fails mid-upload is retried by Temporal, and the retry continues the multipart
// upload from the heartbeat details; a conflict fails the workflow at once, not after retries.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDownloadActivities,
  type DownloadActivities,
  type PublishDownloadsInput,
  type PublishDownloadsResult,
} from '../../../activities/downloads';
import { createDownloadsS3Client, createS3Target } from '../../../clients/downloads';
import { getConfig } from '../../../config';
import { temporalTarget } from '../../../config/temporal-connection';
import { publishDownloadsWorkflow } from '../../fixtures/workflows/downloads';
import { testClient, uniqueQueue } from '../../helpers/temporal';
import { MiB, randomContent, sha256Hex, stageChecksum, stageFile, stageSmallSet, tempDir } from '../../unit/downloads/staged-files';

process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';

const ENDPOINT = getConfig().aws.endpoint ?? 'http://127.0.0.1:14566';
const bucket = `downloads-wf-${randomUUID().slice(0, 8)}`;
let staging: Awaited<ReturnType<typeof tempDir>>;

const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };
let bundle: ReturnType<typeof bundleWorkflowCode> | undefined;
type RunWorkflow = (input: PublishDownloadsInput) => Promise<PublishDownloadsResult>;

/** Runs `fn` with a worker that has the fixture workflow and the given activities. */
async function withDownloadsWorker<T>(activities: DownloadActivities, fn: (run: RunWorkflow) => Promise<T>): Promise<T> {
  const target = temporalTarget(getConfig());
  bundle ??= bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('../../fixtures/workflows/downloads.ts', import.meta.url)), logger: quiet });
  const connection = await NativeConnection.connect({ address: target.connection.address });
  const taskQueue = uniqueQueue('downloads');
  const worker = await Worker.create({ connection, namespace: target.namespace, taskQueue, workflowBundle: await bundle, activities });
  const { client, close } = await testClient();
  const run: RunWorkflow = (input) =>
    client.workflow.execute(publishDownloadsWorkflow, { taskQueue, workflowId: `${taskQueue}-${randomUUID().slice(0, 6)}`, args: [input] });
  try {
    return await worker.runUntil(fn(run));
  } finally {
    await close();
    await connection.close();
  }
}

/** An S3 client counting calls per command (failed ones too), failing the n-th UploadPart once. */
function instrumentedClient(failUploadPartNumber?: number) {
  const client = createDownloadsS3Client({ region: 'us-east-1', endpoint: ENDPOINT });
  const counts = new Map<string, number>();
  let uploadPartAttempts = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? '?';
      counts.set(command, (counts.get(command) ?? 0) + 1);
      if (command === 'UploadPartCommand' && ++uploadPartAttempts === failUploadPartNumber) {
        throw new Error('connection reset (injected)');
      }
      return next(args);
    },
    { step: 'initialize', name: 'instrument' },
  );
  return { client, count: (command: string) => counts.get(`${command}Command`) ?? 0 };
}

beforeAll(async () => {
  staging = await tempDir('dl-wf');
  await createDownloadsS3Client({ region: 'us-east-1', endpoint: ENDPOINT }).send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  await staging.cleanup();
});

describe('publishDownloads on a real worker', () => {
  it('retries a failed attempt and resumes its multipart upload from the heartbeat details', async () => {
    const image = await stageFile(staging.dir, 'Fedora-Cloud-Base-Generic-44-1.7.x86_64.qcow2', randomContent(36 * MiB));
    const checksumFile = await stageChecksum(staging.dir, 'Fedora-Cloud-44-1.7-x86_64-CHECKSUM', [image]);
    // The third part fails on the first attempt; parts go one at a time, so 1 and 2 are done.
    const s3 = instrumentedClient(3);
    const activities = createDownloadActivities({
      target: createS3Target({ client: s3.client, bucket, layout: '{release}/{family}/{arch}/images/{file}', concurrency: 1 }),
    });

    const result = await withDownloadsWorker(activities, (run) => run({ release: '44', family: 'Cloud', arch: 'x86_64', files: [image], checksumFile }));

    expect(result.files.map((f) => [f.name, f.state])).toEqual([
      [image.name, 'uploaded'],
      [checksumFile.name, 'uploaded'],
    ]);
    expect(s3.count('CreateMultipartUpload')).toBe(1); // the retry continued the same upload
    expect(s3.count('ListParts')).toBe(1);
    // Attempt 1: parts 1 and 2, then 3 fails; attempt 2: only the missing 3, 4 and 5.
    expect(s3.count('UploadPart')).toBe(6);
    const got = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: result.files[0]!.key }));
    expect(sha256Hex(Buffer.from(await got.Body!.transformToByteArray()))).toBe(image.sha256);
  });

  it('fails the workflow at once with DownloadConflict when a name holds other content', async () => {
    const set = await stageSmallSet(staging.dir);
    const s3 = instrumentedClient();
    const activities = createDownloadActivities({
      target: createS3Target({ client: s3.client, bucket, layout: 'conflict/{release}/{family}/{arch}/{file}' }),
    });
    const respin = await stageSmallSet(staging.dir);
    const err = await withDownloadsWorker(activities, async (run) => {
      await run(set);
      return run(respin).catch((e: unknown) => e);
    });

    expect(err).toBeInstanceOf(WorkflowFailedError);
    const activityFailure = (err as WorkflowFailedError).cause;
    expect(activityFailure).toBeInstanceOf(ActivityFailure);
    const failure = (activityFailure as ActivityFailure).cause;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'DownloadConflict', nonRetryable: true });
    expect(failure?.message).toContain('not overwriting');
    // One attempt only: 3 HEADs for the first run, 3 for the refused one, no retry.
    expect(s3.count('HeadObject')).toBe(6);
  });
});
