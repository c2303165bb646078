// Koji activities: submit (adopting a task an earlier attempt created), one short poll of a
// task's state, the per-arch result of a finished build, the failure text, cancellation.
// Waiting happens in the workflow; each of these returns in seconds.
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  BuildState,
  IMAGE_CHILD_METHODS,
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
import type { BuiltImage, FamilySpec, KojiBuildRef } from '../domain/image-release';
import { pickImageFile, parseKiwiChecksum } from '../domain/koji-results';
import { KojiFailureType } from '../domain/failures/koji';

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
        if (!info) throw ApplicationFailure.nonRetryable(`Koji has no task ${taskId}`, KojiFailureType.NoSuchTask);
        return TASK_STATE_NAMES[info.state];
      });
    },

    /** Per arch: the image file to fetch, its size, and its sha256 where kiwi wrote one. */
    async getKojiBuildResult({ taskId, family }: { taskId: number; family: FamilySpec }): Promise<BuiltImage[]> {
      return classify(async () => {
        const children = await imageTasks(koji, taskId, signal());
        const build = await kojiBuildOf(koji, taskId, signal());
        const images: BuiltImage[] = [];
        for (const child of children) {
          const kind = family.koji.kind;
          const result = await koji.getImageResult(child.id, kind, { signal: signal() });
          if (build && `${result.name}-${result.version}-${result.release}` !== build.nvr) {
            throw ApplicationFailure.nonRetryable(
              `Koji task ${child.id} made ${result.name}-${result.version}-${result.release}, but its build (${build.id}) is ${build.nvr}`,
              KojiFailureType.ResultIncomplete,
            );
          }
          const file = pickImageFile(kind, result.files);
          if (!file) {
            throw ApplicationFailure.nonRetryable(
              `Koji task ${child.id} (${result.arch}) produced no image file this pipeline can use: ${result.files.join(', ')}`,
              KojiFailureType.ResultIncomplete,
            );
          }
          const stats = await koji.listTaskOutput(child.id, { stat: true, signal: signal() });
          const stat = stats[file];
          if (!stat) throw ApplicationFailure.nonRetryable(`Koji lists ${file} in the result of task ${child.id} but not in its output`, KojiFailureType.ResultIncomplete);
          let sha256: string | undefined;
          const checksumName = result.files.find((f) => f === `${file}.sha256`);
          if (checksumName) {
            const text = (await koji.downloadTaskOutput(child.id, checksumName, 0, -1, { signal: signal() })).toString('utf8');
            sha256 = parseKiwiChecksum(text, file);
            if (!sha256) throw ApplicationFailure.nonRetryable(`${checksumName} of task ${child.id} does not hold a sha256 for ${file}`, KojiFailureType.ResultIncomplete);
          }
          images.push({
            arch: result.arch as BuiltImage['arch'],
            childTaskId: child.id,
            file,
            size: stat.st_size,
            ...(sha256 ? { sha256 } : {}),
            ...(build ? { kojiBuild: build } : {}),
          });
        }
        return images;
      });
    },

    /** Koji's own fault text of the failed build: the failed child's, else the parent's. */
    async getKojiFailure(taskId: number): Promise<string> {
      return classify(async () => {
        const children = byId(await koji.getTaskChildren(taskId, { signal: signal() }));
        // An image task's fault says most; a failed tagBuild (or other helper task) next.
        const failed =
          children.find((c) => c.state === TaskState.FAILED && IMAGE_CHILD_METHODS.includes(c.method)) ?? children.find((c) => c.state === TaskState.FAILED);
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
        throw ApplicationFailure.nonRetryable(`${r.kind} families build exactly one arch; ${family.name} lists ${family.arches.join(', ')}`, KojiFailureType.BadRequest);
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

/**
 * The tasks that carry image results: the parent's closed image children (one per arch), or the
 * task itself when it is an image task. A non-scratch build's parent also has a `tagBuild` child
 * (result nil), so only the image methods count. The hub lists children in no fixed order: by id.
 */
async function imageTasks(koji: KojiClient, taskId: number, signal: AbortSignal): Promise<TaskInfo[]> {
  const children = await koji.getTaskChildren(taskId, { signal });
  if (children.length > 0) return byId(children.filter((c) => c.state === TaskState.CLOSED && IMAGE_CHILD_METHODS.includes(c.method)));
  const self = await koji.getTaskInfo(taskId, { signal });
  return self && IMAGE_CHILD_METHODS.includes(self.method) ? [self] : [];
}

function byId(tasks: TaskInfo[]): TaskInfo[] {
  return [...tasks].sort((a, b) => a.id - b.id);
}

/**
 * The completed build a non-scratch image task made (the hub links it to the parent task);
 * undefined for a scratch build, which makes none.
 */
async function kojiBuildOf(koji: KojiClient, taskId: number, signal: AbortSignal): Promise<KojiBuildRef | undefined> {
  const builds = (await koji.listBuildsOfTask(taskId, { signal })).filter((b) => b.task_id === taskId);
  const complete = builds.filter((b) => b.state === BuildState.COMPLETE);
  if (builds.length > 0 && complete.length === 0) {
    throw ApplicationFailure.nonRetryable(`Koji task ${taskId} closed but its build ${builds[0]!.nvr} is not complete (state ${builds[0]!.state})`, KojiFailureType.ResultIncomplete);
  }
  const [b] = complete;
  return b ? { id: b.build_id, nvr: b.nvr } : undefined;
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
      throw ApplicationFailure.retryable(`Koji: ${err.faultString}; the call had already been applied`, KojiFailureType.CallAlreadyApplied);
    }
    const type =
      err instanceof KojiActionNotAllowed
        ? KojiFailureType.PermissionError
        : err instanceof KojiAuthError
          ? KojiFailureType.AuthError
          : err instanceof KojiParameterError || err instanceof KojiGenericError
            ? KojiFailureType.BadRequest
            : KojiFailureType.Refused;
    const text = err instanceof KojiFault ? err.faultString : err.message;
    throw ApplicationFailure.nonRetryable(`Koji refused: ${text}`, type);
  }
}
