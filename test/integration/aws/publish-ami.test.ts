// publishAmiWorkflow end to end: a real worker on the stack's Temporal dev server, moto behind
// the fault proxy, a sparse raw image made here. Proves: one public, tagged AMI per configured
// region; a re-run makes nothing new; 20 % faults on every call still end with exactly one AMI
// per region; a failed region is isolated and retryRegions re-runs only it; a host worker killed
// mid-upload is resumed by another without resending acknowledged blocks.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { createAwsClients, type AwsClients } from '../../../clients/aws/clients';
import { clientTokenFor } from '../../../clients/aws/snapshot-upload';
import { createEc2Activities } from '../../../activities/ec2';
import { CLIENT_TOKEN_TAG, amiTags, type ImageKind } from '../../../domain/ec2';
import {
  ebsBlockSize,
  ebsInternal,
  ebsThrottled,
  ec2Error,
  ec2Ok,
  imagesPendingFor,
  snapshotsPendingFor,
  startFaultProxy,
  type FaultProxy,
  type RuleHandle,
} from '../../../sim/fault-proxy';
import { publishAmiWorkflow, type PublishAmiInput } from '../../../workflows/ec2';
import { ec2ProgressQuery, retryRegionsUpdate } from '../../../workflows/ec2/definitions';
import { uniqueQueue } from '../../helpers/temporal';
import {
  REGIONS,
  SOURCE_REGION,
  compareSnapshot,
  direct,
  imagesNamed,
  makeSparseRaw,
  snapshotIsPublic,
  snapshotsTagged,
  startTestFront,
  tagsOf,
  tempDir,
  uid,
  withEc2Workers,
} from './helpers';
import type { AwsFront } from '../../../sim/aws-front/front';

const MiB = 1024 * 1024;
let front: AwsFront;
let proxy: FaultProxy;
let clients: AwsClients;
const tmp = tempDir('fedimg-ami-');
let raw: string;
let dataBlocks: number[];

beforeAll(async () => {
  front = await startTestFront();
  proxy = await startFaultProxy({
    target: front.url,
    // moto has no EnableImageDeprecation: answer it as EC2 does, and count the calls.
    rules: [{ name: 'stub EnableImageDeprecation', match: { action: 'EnableImageDeprecation' }, fault: ec2Ok('EnableImageDeprecation') }],
    // moto's images and snapshots are ready at once; make the workflow's timers do some waiting.
    rewrites: [ebsBlockSize(), imagesPendingFor(2), snapshotsPendingFor(1)],
  });
  clients = createAwsClients({ endpoint: proxy.url, maxAttempts: 5 });
  raw = join(tmp.dir, 'Fedora-Cloud-Base-AmazonEC2.raw');
  ({ dataBlocks } = await makeSparseRaw(raw, 64 * MiB, [
    [0, 2 * MiB],
    [20 * MiB + 123, 5000],
    [48 * MiB, 4 * MiB],
  ]));
});

afterAll(async () => {
  clients.destroy();
  await proxy.close();
  await front.close();
  tmp.remove();
});

function inputFor(id: string, hostTaskQueue: string, over: Partial<PublishAmiInput> = {}): PublishAmiInput {
  return {
    imageKey: `fedimg-test/Cloud-Base-AmazonEC2/44/${id}/x86_64`,
    rawPath: raw,
    hostTaskQueue,
    arch: 'x86_64',
    release: '44',
    family: 'Cloud-Base-AmazonEC2',
    kind: 'nightly' as ImageKind,
    buildId: `Fedora-44-20261122.n.${id}`,
    kojiTaskId: 4242,
    name: `Fedora-Cloud-Base-AmazonEC2.x86_64-44-T${id}`,
    sourceRegion: SOURCE_REGION,
    regions: REGIONS,
    maxConcurrentRegions: 3,
    retryWindowMs: 0,
    snapshotParallelism: 4,
    poll: { snapshot: { initialMs: 200, maxMs: 500 }, image: { initialMs: 200, maxMs: 1000 } },
    retry: { initialIntervalMs: 300, maximumIntervalMs: 2000, maximumAttempts: 12 },
    upload: { heartbeatTimeoutMs: 20_000 },
    ...over,
  };
}

function workers(main: string, host: string) {
  const activities = createEc2Activities({ clients, snapshot: { parallelism: 4 } });
  return [
    { taskQueue: main, activities },
    { taskQueue: host, activities, workflows: false },
  ];
}

/** Every region holds exactly one image with the name: public, tagged, snapshots public and tagged. */
async function expectOnePublicTaggedImagePerRegion(input: PublishAmiInput, published: Record<string, string>) {
  const want = amiTags(input);
  for (const region of input.regions) {
    const ec2 = direct.ec2(region);
    const images = await imagesNamed(ec2, input.name);
    expect(images.map((i) => i.ImageId), region).toEqual([published[region]]);
    const img = images[0];
    expect(img?.Public, region).toBe(true);
    expect(tagsOf(img?.Tags), region).toMatchObject(want);
    const snaps = (img?.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : []));
    expect(snaps.length, region).toBeGreaterThan(0);
    for (const s of snaps) {
      expect(await snapshotIsPublic(ec2, s), `${region} ${s}`).toBe(true);
      const [snap] = (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [s] }))).Snapshots ?? [];
      expect(tagsOf(snap?.Tags), `${region} ${s}`).toMatchObject(want);
    }
  }
}

const since = (seq: number) => (c: { seq: number }) => c.seq > seq;
const lastSeq = () => proxy.calls.at(-1)?.seq ?? 0;

describe('publishAmiWorkflow', () => {
  it('publishes one public, tagged AMI in every configured region, and a re-run creates nothing', async () => {
    expect(REGIONS.length).toBe(5);
    const id = uid();
    const main = uniqueQueue('ec2-main');
    const host = uniqueQueue('ec2-host');
    const input = inputFor(id, host);
    const start = lastSeq();
    const first = await withEc2Workers(workers(main, host), (client) =>
      client.workflow.execute(publishAmiWorkflow, { taskQueue: main, workflowId: `ec2-publish-${id}`, args: [input] }),
    );
    expect(first.failedRegions).toEqual([]);
    expect(Object.keys(first.published).sort()).toEqual([...REGIONS].sort());
    expect(first.published[SOURCE_REGION]).toBe(first.sourceImageId);
    expect(first.upload).toMatchObject({ dataBlocks: dataBlocks.length, blocksSent: dataBlocks.length, volumeGiB: 1 });
    await expectOnePublicTaggedImagePerRegion(input, first.published);

    // Only the non-zero blocks went out, and the snapshot holds the image.
    const puts = proxy.calls.filter((c) => c.seq > start && c.action === 'PutSnapshotBlock' && c.path.includes(`/${first.snapshotId}/`));
    expect(puts.length).toBe(dataBlocks.length);
    const back = await compareSnapshot(direct.ebs(SOURCE_REGION), first.snapshotId, raw);
    expect(back.listed.sort((a, b) => a - b)).toEqual(dataBlocks);
    expect(back.mismatched).toEqual([]);
    // One register, one copy per other region, one deprecation per region (nightly).
    const mine = (c: { form: URLSearchParams | undefined }) => c.form?.get('Name') === input.name;
    expect(proxy.count('RegisterImage', (c) => since(start)(c) && mine(c)).succeeded).toBe(1);
    expect(proxy.count('CopyImage', (c) => since(start)(c) && mine(c)).succeeded).toBe(REGIONS.length - 1);
    const amis = new Set(Object.values(first.published));
    const deprecations = proxy.calls.filter((c) => c.seq > start && c.action === 'EnableImageDeprecation' && amis.has(c.form?.get('ImageId') ?? ''));
    expect(new Set(deprecations.map((c) => c.form?.get('ImageId'))).size).toBe(REGIONS.length);
    const at = Date.parse(deprecations[0]?.form?.get('DeprecateAt') ?? '');
    expect(Math.abs(at - (Date.now() + 30 * 86_400_000))).toBeLessThan(3_600_000);
    // The timers did wait: images were reported pending before available.
    expect(proxy.calls.some((c) => c.seq > start && c.action === 'DescribeImages' && c.rewritten)).toBe(true);

    // A re-run (new workflow id, same image) finds everything and creates nothing.
    const again = lastSeq();
    const second = await withEc2Workers(workers(main, host), (client) =>
      client.workflow.execute(publishAmiWorkflow, { taskQueue: main, workflowId: `ec2-publish-${id}-again`, args: [input] }),
    );
    expect(second.published).toEqual(first.published);
    expect(second.snapshotId).toBe(first.snapshotId);
    const created = proxy.calls.filter((c) => c.seq > again && ['StartSnapshot', 'PutSnapshotBlock', 'RegisterImage', 'CopyImage'].includes(c.action));
    expect(created).toEqual([]);
    await expectOnePublicTaggedImagePerRegion(input, first.published);
    expect(await snapshotsTagged(direct.ec2(SOURCE_REGION), CLIENT_TOKEN_TAG, clientTokenFor('ebs-snapshot', input.imageKey))).toHaveLength(1);
  });

  it('ends with exactly one AMI per region when a fifth of all calls fail', async () => {
    const id = uid();
    const main = uniqueQueue('ec2-main');
    const host = uniqueQueue('ec2-host');
    const input = inputFor(id, host, { kind: 'release' });
    const p = 0.036; // six rules: 1 - (1 - p)^6 ≈ 0.2 of the calls they match
    const ec2 = { service: 'ec2' };
    const ebs = { service: 'ebs' };
    const rules: RuleHandle[] = [
      proxy.addRule({ name: 'ec2 503 RequestLimitExceeded', match: ec2, fault: ec2Error('RequestLimitExceeded', 503), probability: p }),
      proxy.addRule({ name: 'ec2 400 Throttling', match: ec2, fault: ec2Error('Throttling', 400), probability: p }),
      proxy.addRule({ name: 'ebs throttled', match: ebs, fault: ebsThrottled(), probability: 2 * p }),
      proxy.addRule({ name: 'ec2 500', match: ec2, fault: ec2Error('InternalError', 500), probability: p }),
      proxy.addRule({ name: 'ebs 500', match: ebs, fault: ebsInternal(), probability: p }),
      proxy.addRule({ name: 'reset', fault: { kind: 'reset' }, probability: p }),
      proxy.addRule({ name: 'reset after acting', fault: { kind: 'reset', after: true }, probability: p }),
      proxy.addRule({ name: 'answer lost after acting', fault: { kind: 'status', status: 500, body: 'lost', after: true }, probability: p }),
    ];
    const start = lastSeq();
    try {
      const out = await withEc2Workers(workers(main, host), (client) =>
        client.workflow.execute(publishAmiWorkflow, { taskQueue: main, workflowId: `ec2-faults-${id}`, args: [input] }),
      );
      const calls = proxy.calls.filter(since(start));
      const injected = calls.filter((c) => c.faultKind && c.fault !== 'stub EnableImageDeprecation').length;
      const why = `seed ${proxy.seed}: ${injected} faults in ${calls.length} calls`;
      expect(injected / calls.length, why).toBeGreaterThan(0.1);
      expect(out.failedRegions, why).toEqual([]);
      await expectOnePublicTaggedImagePerRegion(input, out.published);
      const mine = (c: { seq: number; form: URLSearchParams | undefined }) => c.seq > start && c.form?.get('Name') === input.name;
      expect(proxy.count('RegisterImage', mine).succeeded, why).toBe(1);
      for (const region of REGIONS.filter((r) => r !== SOURCE_REGION)) {
        expect(proxy.count('CopyImage', (c) => mine(c) && c.region === region).succeeded, `${region} ${why}`).toBe(1);
      }
      expect(await snapshotsTagged(direct.ec2(SOURCE_REGION), CLIENT_TOKEN_TAG, clientTokenFor('ebs-snapshot', input.imageKey)), why).toHaveLength(1);
      const back = await compareSnapshot(direct.ebs(SOURCE_REGION), out.snapshotId, raw);
      expect(back.listed.sort((a, b) => a - b)).toEqual(dataBlocks);
      expect(back.mismatched).toEqual([]);
      // A release is not deprecated.
      expect(calls.some((c) => c.action === 'EnableImageDeprecation' && Object.values(out.published).includes(c.form?.get('ImageId') ?? ''))).toBe(false);
    } finally {
      rules.forEach((r) => r.remove());
    }
  });

  it('isolates a failed region and retries only it through the retryRegions update', async () => {
    const id = uid();
    const main = uniqueQueue('ec2-main');
    const host = uniqueQueue('ec2-host');
    const broken = 'eu-central-1';
    const input = inputFor(id, host, { retryWindowMs: 120_000, kind: 'weekly' });
    const deny = proxy.addRule({ name: 'copy denied', match: { action: 'CopyImage', region: broken }, fault: ec2Error('UnauthorizedOperation', 403) });
    const start = lastSeq();
    try {
      await withEc2Workers(workers(main, host), async (client) => {
        const handle = await client.workflow.start(publishAmiWorkflow, { taskQueue: main, workflowId: `ec2-retry-${id}`, args: [input] });
        let progress = await handle.query(ec2ProgressQuery);
        for (let i = 0; i < 300 && progress.stage !== 'awaiting-retries'; i++) {
          await new Promise((r) => setTimeout(r, 200));
          progress = await handle.query(ec2ProgressQuery);
        }
        expect(progress.stage).toBe('awaiting-retries');
        const byRegion = Object.fromEntries(progress.regions.map((r) => [r.region, r]));
        expect(byRegion[broken]).toMatchObject({ status: 'failed', errorType: 'Ec2Rejected', runs: 1 });
        expect(byRegion[broken]?.error).toMatch(/UnauthorizedOperation/);
        for (const r of REGIONS.filter((x) => x !== broken)) expect(byRegion[r]?.status, r).toBe('done');

        // Only failed regions may be retried.
        await expect(handle.executeUpdate(retryRegionsUpdate, { args: [[SOURCE_REGION]] })).rejects.toThrow();
        deny.remove();
        const retried = await handle.executeUpdate(retryRegionsUpdate, { args: [[broken]] });
        expect(retried).toEqual([{ region: broken, amiId: expect.stringMatching(/^ami-/), snapshotId: expect.stringMatching(/^snap-/) }]);
        const out = await handle.result();
        expect(out.failedRegions).toEqual([]);
        await expectOnePublicTaggedImagePerRegion(input, out.published);
        // The other regions were not run again: one copy each, two child runs only for the broken one.
        const mine = (c: { seq: number; form: URLSearchParams | undefined }) => c.seq > start && c.form?.get('Name') === input.name;
        for (const r of REGIONS.filter((x) => x !== SOURCE_REGION)) {
          expect(proxy.count('CopyImage', (c) => mine(c) && c.region === r).succeeded, r).toBe(1);
        }
        const child = await client.workflow.getHandle(`ec2-retry-${id}/ec2/${broken}`).describe();
        expect(child.status.name).toBe('COMPLETED');
        expect((await handle.query(ec2ProgressQuery)).regions.find((r) => r.region === broken)?.runs).toBe(2);
      });
    } finally {
      deny.remove();
    }
  });

  it('resumes the upload on another worker when the host worker is killed mid-upload', async () => {
    const id = uid();
    const main = uniqueQueue('ec2-main');
    const host = uniqueQueue('ec2-host');
    const bigRaw = join(tmp.dir, `big-${id}.raw`);
    const { dataBlocks: blocks } = await makeSparseRaw(bigRaw, 64 * MiB, [[8 * MiB, 48 * MiB]]);
    const input = inputFor(id, host, { rawPath: bigRaw, regions: [SOURCE_REGION, 'eu-west-1'], upload: { heartbeatTimeoutMs: 3000 }, kind: 'rc' });
    const slow = proxy.addRule({ name: 'slow blocks', match: { action: 'PutSnapshotBlock' }, fault: { kind: 'delay', ms: 100 } });
    const start = lastSeq();
    let child: ChildProcess | undefined;
    try {
      const out = await withEc2Workers([{ taskQueue: main, activities: createEc2Activities({ clients }) }], async (client, ctl) => {
        child = await startHostWorker(host, proxy.url);
        const handle = await client.workflow.start(publishAmiWorkflow, { taskQueue: main, workflowId: `ec2-kill-${id}`, args: [input] });
        const acked = () => proxy.calls.filter((c) => c.seq > start && c.action === 'PutSnapshotBlock' && (c.clientStatus ?? 999) < 300).length;
        for (let i = 0; i < 600 && acked() < 30; i++) await new Promise((r) => setTimeout(r, 50));
        expect(acked()).toBeGreaterThanOrEqual(30);
        expect(acked()).toBeLessThan(blocks.length);
        child.kill('SIGKILL');
        await new Promise((r) => child?.once('exit', r));
        slow.remove();
        // Another host (same queue: the file is on it) takes over once the heartbeat times out.
        await ctl.addWorker({ taskQueue: host, activities: createEc2Activities({ clients, snapshot: { parallelism: 4 } }), workflows: false });
        return handle.result();
      });
      expect(out.failedRegions).toEqual([]);
      expect(out.upload).toMatchObject({ dataBlocks: blocks.length, resumedFrom: 'state' });
      const puts = proxy.calls.filter((c) => c.seq > start && c.action === 'PutSnapshotBlock' && (c.upstreamStatus ?? 999) < 300);
      const distinct = new Set(puts.map((c) => c.path));
      expect(distinct.size).toBe(blocks.length);
      // Resent: at most the uploads that were in flight when the worker died (one batch).
      expect(puts.length - distinct.size).toBeLessThanOrEqual(4);
      expect(await snapshotsTagged(direct.ec2(SOURCE_REGION), CLIENT_TOKEN_TAG, clientTokenFor('ebs-snapshot', input.imageKey))).toHaveLength(1);
      const back = await compareSnapshot(direct.ebs(SOURCE_REGION), out.snapshotId, bigRaw);
      expect(back.listed.sort((a, b) => a - b)).toEqual(blocks);
      expect(back.mismatched).toEqual([]);
    } finally {
      slow.remove();
      if (child && child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

async function startHostWorker(queue: string, endpoint: string): Promise<ChildProcess> {
  const script = fileURLToPath(new URL('./host-worker.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, FEDIMG_TEST_QUEUE: queue, FEDIMG_TEST_ENDPOINT: endpoint, FEDIMG_TEST_PARALLELISM: '4' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('host worker did not start in 60 s')), 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`host worker exited with ${code}`)));
  });
  return child;
}
