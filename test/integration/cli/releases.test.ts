// `fedimg build|status|list|cancel|retry-regions` against the real dev server, with a worker
// running the stand-in release (test/fixtures/workflows/cli.ts): the same build twice is one
// workflow, status shows the progress query's tree, list filters by the search attributes, and
// retry-regions reaches each arch's EC2 publication through the retryRegions Update.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { finishSignal, STAND_IN_KOJI_TASK } from '../../fixtures/workflows/cli';
import { cli, cliConfig, count, eventually, family, runTag, terminateAll, testClient, withFixtureWorker } from './helpers';
import { TEST_NAMESPACE } from '../../../scripts/stack/services/temporal';

const tag = runTag();
const famA = `CliRel-${tag}-Generic`;
const famB = `CliRel-${tag}-Ec2`;
const config = cliConfig(tag, (c) => [family(c, 0, famA), family(c, 1, famB)]);
const listJson = async (...args: string[]) => (await cli(config, ['list', '--json', ...args])).json as { count: number; releases: Array<Record<string, unknown>> };

afterAll(async () => {
  const { client, close } = await testClient();
  try {
    await terminateAll(client, `ImageFamily IN ('${famA}', '${famB}')`);
  } finally {
    await close();
  }
});

describe('fedimg build, status, list, cancel', () => {
  it('build twice gives one workflow; after it completes the name stays taken', async () => {
    await withFixtureWorker(config, async (client) => {
      const args = ['build', '--family', famA, '--release', '44', '--kind', 'rc', '--label', '1.1', '--json'];
      const first = await cli(config, args);
      expect(first.code).toBe(0);
      expect(first.json).toMatchObject({ workflowId: `image/${famA}/44/44-1.1`, state: 'started', started: true, arches: ['x86_64', 'aarch64'], scratch: true });
      // The link names the namespace the workflow is in (the tests' own, test/setup/stack.ts).
      expect(first.json.uiUrl).toBe(`http://127.0.0.1:8233/namespaces/${TEST_NAMESPACE}/workflows/${encodeURIComponent(`image/${famA}/44/44-1.1`)}`);

      const second = await cli(config, args);
      expect(second.code).toBe(0);
      expect(second.json).toMatchObject({ workflowId: first.json.workflowId, state: 'running', started: false, runId: first.json.runId });
      expect(await count(client, `WorkflowId = '${first.json.workflowId}'`)).toBe(1);

      // Its search attributes are set at start: list finds it before the worker ran a task.
      const text = await cli(config, args.filter((a) => a !== '--json'));
      expect(text.out).toContain(`already running: ${first.json.workflowId}`);
      expect(text.out).toContain(`follow: fedimg status '${first.json.workflowId}' --watch`);

      const handle = client.workflow.getHandle(first.json.workflowId);
      await handle.signal(finishSignal);
      await handle.result();
      const third = await cli(config, args);
      expect(third.code).toBe(0);
      expect(third.json).toMatchObject({ state: 'completed', started: false });
      expect(await count(client, `WorkflowId = '${first.json.workflowId}'`)).toBe(1);
    });
  });

  it('status shows the stage tree of a running release, and --watch follows it to the end', async () => {
    await withFixtureWorker(config, async (client) => {
      const b = await cli(config, ['build', '--family', famA, '--release', 'rawhide', '--kind', 'nightly', '--json']);
      expect(b.code).toBe(0);
      const wfId = b.json.workflowId as string;
      expect(wfId).toMatch(new RegExp(`^image/${famA}/rawhide/Rawhide-\\d{8}\\.n\\.0$`));

      const s = await cli(config, ['status', wfId, '--json']);
      expect(s.code).toBe(0);
      expect(s.json).toMatchObject({ workflowId: wfId, status: 'RUNNING', family: famA, release: 'rawhide', kind: 'nightly' });
      expect(s.json.progress).toMatchObject({
        stage: 'publishing',
        kojiTaskId: STAND_IN_KOJI_TASK,
        kojiState: 'CLOSED',
        arches: [
          { arch: 'x86_64', stage: 'publishing', destinations: { downloads: { state: 'done' }, glance: { state: 'failed' } } },
          { arch: 'aarch64', stage: 'fetching', destinations: {} },
        ],
      });
      const text = await cli(config, ['status', wfId]);
      expect(text.out).toContain('├─ koji: task 4242 CLOSED');
      expect(text.out).toMatch(/x86_64: publishing\n│ {2}├─ fetch █+ 100% {2}4\.0 GiB \/ 4\.0 GiB/);
      expect(text.out).toMatch(/aarch64: fetching\n│ {2}├─ fetch █{6}░{18} {2}25% {2}1\.0 GiB \/ 4\.0 GiB/);
      expect(text.out).toContain('glance    failed — GlanceQuotaExceeded: over quota');

      // Without an id: the newest running releases include this one.
      const running = await cli(config, ['status', '--json', '--limit', '200']);
      expect(running.json.releases.map((r: { workflowId: string }) => r.workflowId)).toContain(wfId);

      const frames: string[] = [];
      const watching = cli(config, ['status', wfId, '--watch'], {
        io: { out: (t) => void frames.push(t), err: () => undefined, isTTY: false },
      });
      await eventually(() => Promise.resolve(frames.length > 0), 'the first frame');
      await client.workflow.getHandle(wfId).signal(finishSignal);
      const watched = await watching;
      expect(watched.code).toBe(0);
      expect(frames[0]).toContain(`${wfId}  RUNNING`);
      expect(frames.at(-1)).toContain(`${wfId}  COMPLETED`);
    });
  });

  it('status --watch exits 1 when the release fails; cancel stops a running one', async () => {
    await withFixtureWorker(config, async (client) => {
      const b = await cli(config, ['build', '--family', famA, '--release', '44', '--kind', 'respin', '--label', '20261122.9', '--json']);
      const watching = cli(config, ['status', b.json.workflowId, '--watch']);
      await new Promise((r) => setTimeout(r, 500));
      await client.workflow.getHandle(b.json.workflowId).signal(finishSignal, { fail: true });
      const watched = await watching;
      expect(watched.code).toBe(1);
      expect(watched.err).toContain(`ended FAILED; see why in the UI: http://127.0.0.1:8233/`);

      const c = await cli(config, ['build', '--family', famA, '--release', '44', '--kind', 'respin', '--label', '20261122.8', '--json']);
      const cancel = await cli(config, ['cancel', c.json.workflowId, '--json']);
      expect(cancel.code).toBe(0);
      expect(cancel.json).toMatchObject({ canceled: true });
      await expect(client.workflow.getHandle(c.json.workflowId).result()).rejects.toThrow();
      expect((await client.workflow.getHandle(c.json.workflowId).describe()).status.name).toBe('CANCELLED');
      const again = await cli(config, ['cancel', c.json.workflowId]);
      expect(again.code).toBe(0);
      expect(again.out).toContain('is already closed (CANCELLED); nothing to cancel');

      const missing = await cli(config, ['cancel', `image/${famA}/44/44-nope`]);
      expect(missing.code).toBe(1);
      expect(missing.err).toContain('no workflow');
    });
  });

  it('list filters by release, family, kind, stage, arch and Koji task', async () => {
    await withFixtureWorker(config, async () => {
      for (const args of [
        ['--family', famB, '--release', '44', '--kind', 'rc', '--label', '2.1', '--arch', 'x86_64'],
        ['--family', famB, '--release', 'rawhide', '--kind', 'nightly'],
      ]) {
        expect((await cli(config, ['build', '--json', ...args])).code).toBe(0);
      }
      // The stand-in upserts ImageStage and KojiTaskId once it runs.
      await eventually(async () => (await listJson('--family', famB, '--koji-task', String(STAND_IN_KOJI_TASK))).count === 2, 'both releases to show their Koji task');

      expect((await listJson('--family', famB)).count).toBe(2);
      expect((await listJson('--family', famB, '--kind', 'rc')).releases.map((r) => r.workflowId)).toEqual([`image/${famB}/44/44-2.1`]);
      expect((await listJson('--family', famB, '--release', 'rawhide')).releases.map((r) => r.kind)).toEqual(['nightly']);
      expect((await listJson('--family', famB, '--arch', 'aarch64')).releases.map((r) => r.release)).toEqual(['rawhide']);
      expect((await listJson('--family', famB, '--stage', 'publishing', '--status', 'running')).count).toBe(2);
      expect((await listJson('--family', famB, '--stage', 'done')).count).toBe(0);
      expect((await listJson('--family', famA, '--family', famB, '--kind', 'rc')).releases.map((r) => r.family).sort()).toEqual([famA, famB].sort());
      expect((await listJson('--family', famB, '--koji-task', '1')).count).toBe(0);

      const table = await cli(config, ['list', '--family', famB]);
      expect(table.out.split('\n')[0]).toMatch(/^WORKFLOW ID\s+STATUS\s+RELEASE\s+FAMILY\s+KIND\s+STAGE\s+KOJI TASK\s+ARCHES\s+STARTED$/);
      expect(table.out).toContain(`image/${famB}/44/44-2.1`);
    });
  });

  it("retry-regions sends retryRegions to each arch's EC2 publication, only for regions that failed there", async () => {
    await withFixtureWorker(config, async (client) => {
      const b = await cli(config, ['build', '--family', famB, '--release', '44', '--kind', 'rc', '--label', '3.1', '--json']);
      const wfId = b.json.workflowId as string;
      await eventually(async () => (await count(client, `WorkflowType = 'publishAmiWorkflow' AND WorkflowId STARTS_WITH '${wfId}/ec2/'`)) === 2, 'the EC2 publications');

      // The stand-in fails the second configured region (us-east-2) on every arch.
      const notFailed = await cli(config, ['retry-regions', wfId, '--region', 'us-east-1']);
      expect(notFailed.code).toBe(2);
      expect(notFailed.err).toContain('region: none of us-east-1 has failed in this release (aarch64: us-east-1 done; x86_64: us-east-1 done)');

      const r = await cli(config, ['retry-regions', wfId, '--region', 'us-east-2', 'us-east-1', '--wait', '--json']);
      expect(r.code).toBe(0);
      expect(r.json.arches).toEqual([
        {
          workflowId: `${wfId}/ec2/aarch64`,
          arch: 'aarch64',
          retried: ['us-east-2'],
          skipped: [{ region: 'us-east-1', status: 'done' }],
          accepted: true,
          results: [{ region: 'us-east-2', amiId: 'ami-us-east-2-retried', snapshotId: 'snap-1' }],
        },
        {
          workflowId: `${wfId}/ec2/x86_64`,
          arch: 'x86_64',
          retried: ['us-east-2'],
          skipped: [{ region: 'us-east-1', status: 'done' }],
          accepted: true,
          results: [{ region: 'us-east-2', amiId: 'ami-us-east-2-retried', snapshotId: 'snap-1' }],
        },
      ]);

      const bad = await cli(config, ['retry-regions', wfId, '--region', 'ap-south-2']);
      expect(bad.code).toBe(2);
      expect(bad.err).toContain('region: ap-south-2 is not one of the configured regions; use one of us-east-1');
      const none = await cli(config, ['retry-regions', `image/${famA}/44/44-1.1`, '--region', 'us-east-2']);
      expect(none.code).toBe(1);
      expect(none.err).toContain('has no EC2 publication waiting');
    });
  });
});

describe('fedimg as a program', () => {
  it('runs through npm run fedimg / the bin and exits 2 on a usage error without a stack trace', async () => {
    const bin = fileURLToPath(new URL('../../../scripts/cli/fedimg.mjs', import.meta.url));
    const r = await promisify(execFile)(process.execPath, [bin, 'build', '--family', 'Cloud-Base-Generic', '--release', 'f44', '--kind', 'rc', '--label', '1.7']).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('fedimg build: release: "f44" is not a Fedora release; give a number such as 44, or "rawhide"\n');
  });
});
