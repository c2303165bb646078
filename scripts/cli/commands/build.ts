// `fedimg build`: start one image release, idempotently. The workflow id is the release's name
// (imageWorkflowId), started with USE_EXISTING: repeating the command while it runs returns the
// same workflow; once it has completed, the name is taken (ALLOW_DUPLICATE_FAILED_ONLY), so a
// second build needs a new --label, while a failed or canceled one can simply be run again.
import { defaultPayloadConverter, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import type { WorkflowExecutionDescription } from '@temporalio/client';
import type { ImageReleaseInput } from '../../../domain/image-release';
import { Arches } from '../../../domain/search-attributes';
import type { imageReleaseWorkflow } from '../../../workflows/image-release';
import { planBuild, type BuildOptions } from '../build-request';
import type { CommandContext } from '../context';
import { UsageError } from '../errors';
import { workflowUiUrl } from '../temporal';

async function describeOrUndefined(ctx: CommandContext, workflowId: string): Promise<WorkflowExecutionDescription | undefined> {
  const { client } = await ctx.temporal();
  try {
    return await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** The input a run was started with: the first event of its history (one page of one event). */
async function startedInput(ctx: CommandContext, workflowId: string, runId: string): Promise<ImageReleaseInput | undefined> {
  const t = await ctx.temporal();
  const page = await t.client.workflowService.getWorkflowExecutionHistory({ namespace: t.namespace, execution: { workflowId, runId }, maximumPageSize: 1 });
  const payload = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return payload ? defaultPayloadConverter.fromPayload<ImageReleaseInput>(payload) : undefined;
}

const sameSet = (a: readonly string[], b: readonly string[]) => [...new Set(a)].sort().join(' ') === [...new Set(b)].sort().join(' ');
const scmOf = (i: ImageReleaseInput) => (i.family.koji.kind === 'kiwi' ? i.family.koji.descriptionScm : i.family.koji.kickstartScm);

export async function buildCommand(ctx: CommandContext, opts: BuildOptions): Promise<void> {
  // Every check runs here, before Temporal is even contacted: a refused request starts nothing.
  const plan = planBuild(ctx.config, opts, ctx.deps.now());
  const t = await ctx.temporal();
  const before = await describeOrUndefined(ctx, plan.workflowId);
  if (before?.status.name === 'RUNNING') {
    const running = before.typedSearchAttributes.get(Arches);
    const wanted = plan.input.family.arches;
    if (running && [...running].sort().join(' ') !== [...wanted].sort().join(' ')) {
      throw new UsageError(`${plan.workflowId} is already running for ${running.join(', ')}, not ${wanted.join(', ')}`, {
        field: 'arch',
        fix: 'repeat it with the same arches to follow that run, or give another --label for a separate build',
      });
    }
    // USE_EXISTING would hand back that run as if it were this request: say so when it is not.
    const started = await startedInput(ctx, plan.workflowId, before.runId);
    const wantedRegions = plan.input.family.destinations.includes('ec2') ? plan.input.settings.ec2?.regions : undefined;
    const runningRegions = started?.settings.ec2?.regions;
    if (wantedRegions && runningRegions && !sameSet(wantedRegions, runningRegions)) {
      throw new UsageError(`${plan.workflowId} is already running for EC2 regions ${runningRegions.join(', ')}, not ${wantedRegions.join(', ')}`, {
        field: 'region',
        fix: 'repeat it with the same regions to follow that run, or give another --label for a separate build',
      });
    }
    if (started && scmOf(started) !== scmOf(plan.input)) {
      throw new UsageError(`${plan.workflowId} is already running from ${scmOf(started)}, not ${scmOf(plan.input)}`, {
        field: 'scm',
        fix: 'repeat it with the same --scm to follow that run, or give another --label for a separate build',
      });
    }
  }

  let runId: string;
  let state: 'started' | 'running' | 'completed';
  try {
    const handle = await t.client.workflow.start<typeof imageReleaseWorkflow>('imageReleaseWorkflow', {
      taskQueue: plan.taskQueue,
      workflowId: plan.workflowId,
      args: [plan.input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      typedSearchAttributes: plan.searchAttributes,
    });
    runId = handle.firstExecutionRunId;
    state = before?.status.name === 'RUNNING' && before.runId === runId ? 'running' : 'started';
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    // Only a completed run refuses a new start under ALLOW_DUPLICATE_FAILED_ONLY.
    const done = await describeOrUndefined(ctx, plan.workflowId);
    runId = done?.runId ?? '';
    state = 'completed';
  }

  const uiUrl = workflowUiUrl(ctx.config, t.namespace, plan.workflowId);
  const { input } = plan;
  ctx.emit(
    {
      workflowId: plan.workflowId,
      runId,
      state,
      started: state === 'started',
      family: input.family.name,
      release: input.release,
      kind: input.kind,
      name: plan.name,
      arches: input.family.arches,
      scratch: input.scratch,
      ...(input.repos ? { repos: input.repos } : {}),
      ...(input.family.destinations.includes('ec2') && input.settings.ec2 ? { regions: input.settings.ec2.regions } : {}),
      uiUrl,
    },
    () => {
      const regions = input.family.destinations.includes('ec2') && opts.region?.length ? `, EC2 ${input.settings.ec2?.regions.join(' ')}` : '';
      const what = `${input.family.name} ${input.release} ${input.kind}, ${plan.name.version}-${plan.name.label}, ${input.family.arches.join(' ')}${regions}${input.scratch ? ', scratch' : ''}`;
      const headline =
        state === 'started'
          ? `started ${plan.workflowId} (${what})`
          : state === 'running'
            ? `already running: ${plan.workflowId} (${what}); nothing new was started`
            : `already built: ${plan.workflowId} completed; nothing new was started (give another --label to build again)`;
      return [headline, `  UI:     ${uiUrl}`, `  follow: fedimg status '${plan.workflowId}' --watch`].join('\n');
    },
  );
}
