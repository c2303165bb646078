// Bad input is refused before anything is created: no snapshot, no image, no copy anywhere,
// and the failure carries a stable, non-retryable type.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createAwsClients, type AwsClients } from '../../../clients/aws/clients';
import { clientTokenFor } from '../../../clients/aws/snapshot-upload';
import { createEc2Activities } from '../../../activities/ec2';
import { CLIENT_TOKEN_TAG } from '../../../domain/ec2';
import { startFaultProxy, type FaultProxy } from '../../../sim/fault-proxy';
import { publishAmiWorkflow, type PublishAmiInput } from '../../../workflows/ec2';
import { uniqueQueue } from '../../helpers/temporal';
import { MOTO, REGIONS, SOURCE_REGION, direct, imagesNamed, makeSparseRaw, snapshotsTagged, tempDir, uid, withEc2Workers } from './helpers';

const MiB = 1024 * 1024;
let proxy: FaultProxy;
let clients: AwsClients;
const tmp = tempDir('fedimg-bad-');
let small: string;
let huge: string;

beforeAll(async () => {
  proxy = await startFaultProxy({ target: MOTO });
  clients = createAwsClients({ endpoint: proxy.url });
  small = join(tmp.dir, 'small.raw');
  huge = join(tmp.dir, 'huge.raw');
  await makeSparseRaw(small, 8 * MiB, [[0, MiB]]);
  // 1.5 GiB, almost all hole: over the 1 GiB limit this worker is given.
  await makeSparseRaw(huge, 1536 * MiB, [[0, MiB]]);
});

afterAll(async () => {
  clients.destroy();
  await proxy.close();
  tmp.remove();
});

const CREATING = ['StartSnapshot', 'PutSnapshotBlock', 'CompleteSnapshot', 'RegisterImage', 'CopyImage', 'CreateTags', 'ModifyImageAttribute', 'ModifySnapshotAttribute'];

describe('publishAmiWorkflow refuses bad input before creating anything', () => {
  it.each([
    ['unsupported arch', { arch: 'ppc64le' }, 'Ec2UnsupportedArch', []],
    ['bad name characters', { name: 'Fedora:Cloud*44?' }, 'Ec2BadImageName', []],
    ['malformed region', { regions: [SOURCE_REGION, 'Mars'] }, 'Ec2UnknownRegion', []],
    ['unknown region', { regions: [SOURCE_REGION, 'xx-nowhere-9'] }, 'Ec2UnknownRegion', ['DescribeRegions']],
    ['region not enabled', { regions: [SOURCE_REGION, 'ap-east-1'] }, 'Ec2UnknownRegion', ['DescribeRegions']],
    ['snapshot over the size limit', { rawPath: 'huge' }, 'Ec2SnapshotTooLarge', []],
    ['raw file missing', { rawPath: 'missing' }, 'Ec2SourceMissing', []],
  ] as Array<[string, Partial<PublishAmiInput>, string, string[]]>)('%s', async (_what, over, type, allowedCalls) => {
    const id = uid();
    const main = uniqueQueue('ec2-bad');
    const rawPath = over.rawPath === 'huge' ? huge : over.rawPath === 'missing' ? join(tmp.dir, 'nope.raw') : small;
    const input: PublishAmiInput = {
      imageKey: `fedimg-test/bad/${id}`,
      rawPath,
      hostTaskQueue: main,
      arch: 'x86_64',
      release: '44',
      family: 'Cloud-Base-AmazonEC2',
      kind: 'nightly',
      buildId: `Fedora-44-20261122.n.${id}`,
      kojiTaskId: 1,
      name: `Fedora-Cloud-Base-AmazonEC2.x86_64-44-Bad${id}`,
      sourceRegion: SOURCE_REGION,
      regions: REGIONS,
      maxConcurrentRegions: 2,
      retry: { initialIntervalMs: 200 },
      ...over,
      ...(over.rawPath ? { rawPath } : {}),
    };
    const start = proxy.calls.at(-1)?.seq ?? 0;
    const activities = createEc2Activities({ clients, snapshot: { maxVolumeGiB: 1 } });
    const err = await withEc2Workers([{ taskQueue: main, activities }], (client) =>
      client.workflow.execute(publishAmiWorkflow, { taskQueue: main, workflowId: `ec2-bad-${id}`, args: [input] }).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    let cause: unknown = (err as WorkflowFailedError).cause;
    while (cause && !(cause instanceof ApplicationFailure)) cause = (cause as { cause?: unknown }).cause;
    expect((cause as ApplicationFailure).type).toBe(type);
    expect((cause as ApplicationFailure).nonRetryable).toBe(true);

    const calls = proxy.calls.filter((c) => c.seq > start);
    expect(calls.filter((c) => CREATING.includes(c.action))).toEqual([]);
    expect([...new Set(calls.map((c) => c.action))]).toEqual(allowedCalls);
    expect(await snapshotsTagged(direct.ec2(SOURCE_REGION), CLIENT_TOKEN_TAG, clientTokenFor('ebs-snapshot', input.imageKey))).toEqual([]);
    for (const r of REGIONS) expect(await imagesNamed(direct.ec2(r), input.name)).toEqual([]);
  });
});
