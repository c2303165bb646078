// Bad input at the edges, against the real dev server and a worker running the REAL release
// workflow with Koji activities on a private Koji simulator: every refused `fedimg build` exits
// 2 naming the field, no workflow exists under the id it would have had, and Koji saw no task;
// a program that starts imageReleaseWorkflow directly with bad input gets a non-retryable
// failure naming the field before any activity runs. The same build made valid does reach Koji
// (the last tests), so "no task" above is the rules at work, not an idle worker.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKojiSim, type KojiSim } from '../../../sim/koji';
import { KojiClient } from '../../../clients/koji';
import { createKojiActivities } from '../../../activities/koji';
import { checkReleaseRequest } from '../../../config/release-input';
import type { ImageReleaseInput } from '../../../domain/image-release';
import { INVALID_RELEASE_INPUT } from '../../../domain/release-input-check';
import type { FieldProblem } from '../../../domain/request-rules';
import { imageReleaseWorkflow } from '../../../workflows';
import { withWorkers } from '../../helpers/temporal';
import { cli, cliConfig, count, eventually, family, runTag, terminateAll, testClient } from './helpers';

const tag = runTag();
const famG = `CliEdge-${tag}-Generic`;
const famE = `CliEdge-${tag}-Ec2`;
const config = cliConfig(`edge-${tag}`, (c) => [family(c, 0, famG), family(c, 1, famE)]);
const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const SCM = `git+https://pagure.io/fedora-kiwi-descriptions.git?#${COMMIT}`;
const respin = ['build', '--family', famE, '--release', '44', '--kind', 'respin', '--label', '20261122.1'];

let sim: KojiSim;

beforeAll(async () => {
  // Builds stay FREE (autoRun off): a task that appears is visible and nothing runs past Koji.
  sim = await startKojiSim({ dataDir: mkdtempSync(join(tmpdir(), 'fedimg-koji-edge-')), users: [{ name: 'fedimg', password: 'fedimg-pw', perms: ['image'] }], autoRun: false });
});

afterAll(async () => {
  const { client, close } = await testClient();
  try {
    await terminateAll(client, `ImageFamily IN ('${famG}', '${famE}')`);
  } finally {
    await close();
  }
  await sim?.close();
});

/** The real workflows on the config's queue; Koji is the private simulator. */
function withReleaseWorker<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const koji = new KojiClient({ hubUrl: sim.hubUrl, auth: { method: 'password', user: 'fedimg', password: 'fedimg-pw' }, retry: { attempts: 2, baseDelayMs: 50, maxDelayMs: 200 } });
  return withWorkers([{ taskQueue: config.temporal.taskQueues.orchestration, activities: createKojiActivities({ koji }) }], fn);
}

async function exists(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

const kojiTasks = () => sim.state().tasks.filter((t) => t.parent === null);

describe('fedimg build: bad input starts nothing', () => {
  it.each([
    ['an unknown family', ['build', '--family', `NoSuch-${tag}`, '--release', '44', '--kind', 'rc', '--label', '1.7'], `image/NoSuch-${tag}/44/44-1.7`, `family: no family named "NoSuch-${tag}"; use one of ${famG}, ${famE}`],
    ['an arch the family does not build', [...respin, '--arch', 's390x'], `image/${famE}/44/44-20261122.1`, `arch: family ${famE} does not build s390x; choose from its arches (x86_64, aarch64)`],
    ['a release that is not a number or rawhide', ['build', '--family', famG, '--release', 'f44', '--kind', 'rc', '--label', '1.7'], `image/${famG}/f44/f44-1.7`, 'release: "f44" is not a Fedora release; give a number such as 44, or "rawhide"'],
    ['a description at a branch', [...respin, '--scm', 'git+https://pagure.io/fedora-kiwi-descriptions.git?#main'], `image/${famE}/44/44-20261122.1`, 'scm: "git+https://pagure.io/fedora-kiwi-descriptions.git?#main" pins "main", a branch or tag, not a commit'],
    ['a description that is not a git URL', [...respin, '--scm', `https://pagure.io/fedora-kiwi-descriptions.git#${COMMIT}`], `image/${famE}/44/44-20261122.1`, 'scm: "https://pagure.io/fedora-kiwi-descriptions.git#0123456789abcdef0123456789abcdef01234567" is not a git URL Koji takes'],
    ['a region typo', [...respin, '--region', 'eu-westt-1'], `image/${famE}/44/44-20261122.1`, 'region: eu-westt-1 is not one of the configured regions; use one of us-east-1, us-east-2, us-west-2, eu-west-1, eu-central-1 (aws.regions in the config); did you mean eu-west-1?'],
    ['a label Koji refuses', [...respin.slice(0, -1), '20261122-1'], `image/${famE}/44/44-20261122-1`, 'label: "20261122-1" has characters Koji refuses in a label ("-")'],
  ])('%s: exit 2, the field named, no workflow, no Koji task', async (_what, args, wouldBeId, line) => {
    await withReleaseWorker(async (client) => {
      const r = await cli(config, args);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`fedimg build: ${line}`);
      expect(r.err).not.toMatch(/\n\s+at /);
      expect(r.out).toBe('');
      expect(await exists(client, wouldBeId)).toBe(false);
      expect(await count(client, `WorkflowId = '${wouldBeId}'`)).toBe(0);
      expect(kojiTasks()).toEqual([]);
    });
  });

  it('the same respin made valid starts the release, and Koji gets the chosen arch and description', async () => {
    await withReleaseWorker(async (client) => {
      const r = await cli(config, [...respin, '--arch', 'aarch64', '--region', 'eu-west-1', '--scm', SCM, '--json']);
      expect(r.code).toBe(0);
      expect(r.json).toMatchObject({ workflowId: `image/${famE}/44/44-20261122.1`, started: true, arches: ['aarch64'], regions: ['us-east-1', 'eu-west-1'] });
      const id = r.json.workflowId as string;
      await eventually(async () => kojiTasks().length === 1, 'the Koji task of the valid respin', 30_000);
      const [task] = kojiTasks();
      expect(task?.method).toBe('kiwiBuild');
      expect(JSON.stringify(task?.request)).toContain(SCM);
      expect(JSON.stringify(task?.request)).toContain('aarch64');
      expect(JSON.stringify(task?.request)).not.toContain('x86_64');
      const input = (await client.workflow.getHandle(id).fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
      const started = JSON.parse(Buffer.from(input as Uint8Array).toString('utf8')) as ImageReleaseInput;
      // The source region comes along: the image is registered there first.
      expect(started.settings.ec2?.regions).toEqual(['us-east-1', 'eu-west-1']);

      // The same name asked again with other regions or another description is not that run.
      const again = await cli(config, [...respin, '--arch', 'aarch64', '--region', 'eu-west-1', '--scm', SCM, '--json']);
      expect(again.json).toMatchObject({ state: 'running', started: false });
      const otherRegions = await cli(config, [...respin, '--arch', 'aarch64', '--scm', SCM]);
      expect(otherRegions.code).toBe(2);
      expect(otherRegions.err).toContain(`fedimg build: region: ${id} is already running for EC2 regions us-east-1, eu-west-1, not us-east-1, us-east-2, us-west-2, eu-west-1, eu-central-1`);
      const otherScm = await cli(config, [...respin, '--arch', 'aarch64', '--region', 'eu-west-1']);
      expect(otherScm.code).toBe(2);
      expect(otherScm.err).toContain(`fedimg build: scm: ${id} is already running from ${SCM}, not git+https://pagure.io/fedora-kiwi-descriptions.git?#`);
      expect(kojiTasks()).toHaveLength(1);
      await client.workflow.getHandle(id).terminate('test: the valid respin only had to reach Koji');
    });
  });
});

describe('imageReleaseWorkflow started directly with bad input', () => {
  function validInput(): ImageReleaseInput {
    const r = checkReleaseRequest(config, { family: famE, release: '44', kind: 'rc', label: '1.7' }, new Date());
    if (!r.ok) throw new Error('the base request should be valid');
    return r.release.input;
  }

  it('fails at once, non-retryable, naming every bad field; no activity ran and Koji saw no task', async () => {
    const before = kojiTasks().length;
    const bad = validInput();
    bad.name = { version: '44', label: '1-7' };
    bad.family.koji = { ...bad.family.koji, descriptionScm: 'git+https://pagure.io/fedora-kiwi-descriptions.git?#main' } as ImageReleaseInput['family']['koji'];
    bad.settings.ec2 = { ...bad.settings.ec2!, regions: ['us-east-1', 'eu-west1'] };
    const workflowId = `image/${famE}/44/direct-${tag}`;
    await withReleaseWorker(async (client) => {
      const handle = await client.workflow.start(imageReleaseWorkflow, { taskQueue: config.temporal.taskQueues.orchestration, workflowId, args: [bad] });
      const err = await handle.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      const failure = cause as ApplicationFailure;
      expect(failure.type).toBe(INVALID_RELEASE_INPUT);
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toContain('name.label: "1-7" has characters Koji refuses in a label ("-")');
      expect(failure.message).toContain('family.koji.descriptionScm: "git+https://pagure.io/fedora-kiwi-descriptions.git?#main" pins "main", a branch or tag, not a commit');
      expect(failure.message).toContain('settings.ec2.regions[1]: "eu-west1" is not an AWS region name');
      expect((failure.details?.[0] as FieldProblem[]).map((p) => p.field)).toEqual(['name.label', 'family.koji.descriptionScm', 'settings.ec2.regions[1]']);

      const events = (await handle.fetchHistory()).events ?? [];
      expect(events.some((e) => e.activityTaskScheduledEventAttributes)).toBe(false);
      // The patch marker of the check (and the TemporalChangeVersion attribute the SDK upserts
      // with it) is all the workflow recorded: not even the release's search attributes.
      const upserted = events.flatMap((e) => Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}));
      expect(upserted.filter((k) => k !== 'TemporalChangeVersion')).toEqual([]);
      expect(events.filter((e) => e.markerRecordedEventAttributes).length).toBe(1);
      expect(events.some((e) => e.workflowTaskFailedEventAttributes)).toBe(false);
    });
    expect(kojiTasks().length).toBe(before);
  });

  it('a valid input started the same way does reach Koji', async () => {
    const before = kojiTasks().length;
    const workflowId = `image/${famE}/44/direct-ok-${tag}`;
    await withReleaseWorker(async (client) => {
      const handle = await client.workflow.start(imageReleaseWorkflow, { taskQueue: config.temporal.taskQueues.orchestration, workflowId, args: [validInput()] });
      await eventually(async () => kojiTasks().length === before + 1, 'the Koji task of the valid input', 30_000);
      await handle.terminate('test: only had to reach Koji');
    });
  });
});
