// Koji activities: submit (adopting a task an earlier attempt created), one short poll of a
// task's state, the per-arch result of a finished build, the failure text, cancellation.
// Waiting happens in the workflow; each of these returns in seconds.
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  KojiActionNotAllowed,
  KojiAuthError,
  KojiError,
  KojiFault,
  KojiGenericError,
  KojiParameterError,
  KojiRetryError,
  TASK_STATE_NAMES,
  TaskState,
  buildImageOzTaskRequest,
  buildImageTaskRequest,
  isRetryableKojiError,
  kiwiBuildTaskRequest,
  storedFaultSchema,
  type KiwiBuildArgs,
  type KojiClient,
  type TaskInfo,
  type TaskRequest,
  type TaskStateName,
} from '../clients/koji';
import type { BuildName } from '../domain/build-names';
import type { BuiltImage, FamilySpec } from '../domain/image-release';
import { pickImageFile, parseKiwiChecksum } from '../domain/koji-results';

export interface SubmitInput {
  family: FamilySpec;
  release: string;
  name: BuildName;
  repos?: string[];
  scratch: boolean;
}

export function createKojiActivities({ koji }: { koji: KojiClient }) {
  const signal = () => Context.current().cancellationSignal;

  return {
    async submitKojiTask(input: SubmitInput): Promise<{ taskId: number; adopted: boolean }> {
      return classify(async () => {
        const submission = describeSubmission(input);
        // Koji has no client token: look for the task a lost answer may have hidden before
        // submitting again, so a retried activity never starts a second build.
        const existing = await koji.findExistingTask({ ...submission.request, signal: signal() });
        if (existing) return { taskId: existing.id, adopted: true };
        return { taskId: await submission.submit(koji, signal()), adopted: false };
      });
    },

    async getKojiTaskState(taskId: number): Promise<TaskStateName> {
      return classify(async () => {
        const info = await koji.getTaskInfo(taskId, { signal: signal() });
        if (!info) throw ApplicationFailure.nonRetryable(`Koji has no task ${taskId}`, 'KojiNoSuchTask');
        return TASK_STATE_NAMES[info.state];
      });
    },

    /** Per arch: the image file to fetch, its size, and its sha256 where kiwi wrote one. */
    async getKojiBuildResult({ taskId, family }: { taskId: number; family: FamilySpec }): Promise<BuiltImage[]> {
      return classify(async () => {
        const children = await imageTasks(koji, taskId, signal());
        const images: BuiltImage[] = [];
        for (const child of children) {
          const kind = family.koji.kind;
          const result = await koji.getImageResult(child.id, kind, { signal: signal() });
          const file = pickImageFile(kind, result.files);
          if (!file) {
            throw ApplicationFailure.nonRetryable(
              `Koji task ${child.id} (${result.arch}) produced no image file this pipeline can use: ${result.files.join(', ')}`,
              'KojiResultIncomplete',
            );
          }
          const stats = await koji.listTaskOutput(child.id, { stat: true, signal: signal() });
          const stat = stats[file];
          if (!stat) throw ApplicationFailure.nonRetryable(`Koji lists ${file} in the result of task ${child.id} but not in its output`, 'KojiResultIncomplete');
          let sha256: string | undefined;
          const checksumName = result.files.find((f) => f === `${file}.sha256`);
          if (checksumName) {
            const text = (await koji.downloadTaskOutput(child.id, checksumName, 0, -1, { signal: signal() })).toString('utf8');
            sha256 = parseKiwiChecksum(text, file);
            if (!sha256) throw ApplicationFailure.nonRetryable(`${checksumName} of task ${child.id} does not hold a sha256 for ${file}`, 'KojiResultIncomplete');
          }
          images.push({ arch: result.arch as BuiltImage['arch'], childTaskId: child.id, file, size: stat.st_size, ...(sha256 ? { sha256 } : {}) });
        }
        return images;
      });
    },

    /** Koji's own fault text of the failed build: the failed child's, else the parent's. */
    async getKojiFailure(taskId: number): Promise<string> {
      return classify(async () => {
        const children = await koji.getTaskChildren(taskId, { signal: signal() });
        const failed = children.find((c) => c.state === TaskState.FAILED);
        const id = failed?.id ?? taskId;
        const stored = storedFaultSchema.safeParse(await koji.getTaskResult(id, { raiseFault: false, signal: signal() }));
        const where = failed ? ` (task ${id}, ${failed.label ?? failed.arch})` : '';
        return stored.success ? `${stored.data.faultString}${where} [Koji fault ${stored.data.faultCode}]` : `task ${id} failed${where}`;
      });
    },

    async cancelKojiTask(taskId: number): Promise<void> {
      return classify(() => koji.cancelTask(taskId, { signal: signal() }));
    },
  };
}

export type KojiActivities = ReturnType<typeof createKojiActivities>;

interface Submission {
  request: TaskRequest;
  submit(koji: KojiClient, signal: AbortSignal): Promise<number>;
}

function describeSubmission({ family, name, repos, scratch }: SubmitInput): Submission {
  const r = family.koji;
  const repo = repos && repos.length > 0 ? repos : undefined;
  switch (r.kind) {
    case 'kiwi': {
      const args: KiwiBuildArgs = {
        target: family.target,
        arches: family.arches,
        descUrl: r.descriptionScm,
        descPath: r.descriptionPath,
        profile: r.profile,
        version: name.version,
        release: name.label,
        scratch,
        ...(repo ? { repos: repo } : {}),
        ...(r.bundleNameFormat ? { resultBundleNameFormat: r.bundleNameFormat } : {}),
      };
      return { request: kiwiBuildTaskRequest(args), submit: (k, signal) => k.kiwiBuild(args, { signal }) };
    }
    case 'oz': {
      const opts = {
        ksurl: r.kickstartScm,
        kickstart: r.kickstart,
        scratch: scratch || undefined,
        release: name.label,
        distro: r.distro,
        format: r.formats,
        disk_size: String(r.diskSizeGiB),
        ...(repo ? { repo } : {}),
      };
      const imageName = `Fedora-${family.name}`;
      return {
        request: buildImageOzTaskRequest(imageName, name.version, family.arches, family.target, r.installTree, opts),
        submit: (k, signal) => k.buildImageOz(imageName, name.version, family.arches, family.target, r.installTree, opts, { signal }),
      };
    }
    case 'livecd':
    case 'appliance': {
      // buildImage takes one arch: such families are validated to build exactly one.
      const [arch] = family.arches;
      if (!arch || family.arches.length !== 1) {
        throw ApplicationFailure.nonRetryable(`${r.kind} families build exactly one arch; ${family.name} lists ${family.arches.join(', ')}`, 'KojiBadRequest');
      }
      const opts = { ksurl: r.kickstartScm, scratch: scratch || undefined, release: name.label, ...(repo ? { repo } : {}) };
      const imageName = `Fedora-${family.name}`;
      return {
        request: buildImageTaskRequest(imageName, name.version, arch, family.target, r.kickstart, r.kind, opts),
        submit: (k, signal) => k.buildImage(imageName, name.version, arch, family.target, r.kickstart, r.kind, opts, { signal }),
      };
    }
  }
}

/** The tasks that carry image results: the parent's children (one per arch), or the task itself. */
async function imageTasks(koji: KojiClient, taskId: number, signal: AbortSignal): Promise<TaskInfo[]> {
  const children = await koji.getTaskChildren(taskId, { signal });
  if (children.length > 0) return children.filter((c) => c.state === TaskState.CLOSED);
  const self = await koji.getTaskInfo(taskId, { signal });
  return self ? [self] : [];
}

/**
 * Maps Koji's errors onto Temporal failure types: transient ones (ServerOffline, transport) stay
 * retryable; a refusal by the hub is final and carries the hub's own words.
 */
async function classify<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApplicationFailure || !(err instanceof KojiError) || isRetryableKojiError(err)) throw err;
    if (err instanceof KojiRetryError) {
      // The hub committed an earlier send of this very call (same callnum) whose answer was lost.
      // The next attempt logs in afresh and, for a submission, finds and adopts that task.
      throw ApplicationFailure.retryable(`Koji: ${err.faultString}; the call had already been applied`, 'KojiCallAlreadyApplied');
    }
    const type =
      err instanceof KojiActionNotAllowed
        ? 'KojiPermissionError'
        : err instanceof KojiAuthError
          ? 'KojiAuthError'
          : err instanceof KojiParameterError || err instanceof KojiGenericError
            ? 'KojiBadRequest'
            : 'KojiRefused';
    const text = err instanceof KojiFault ? err.faultString : err.message;
    throw ApplicationFailure.nonRetryable(`Koji refused: ${text}`, type);
  }
}
