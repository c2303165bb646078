// `fedimg retry-regions <id> --region r ...`: run failed EC2 regions of a release again.
// Each arch's AMI is published by a publishAmiWorkflow child of the release, with an id under
// `<release id>/ec2/` (e.g. image/…/44-1.7/ec2/x86_64). While its failed regions wait for retries
// it accepts the `retryRegions(regions[])` Update (workflows/ec2/definitions.ts), whose validator
// refuses regions that are not failed. The command asks each child's `ec2Progress` first and
// sends each arch only the named regions that failed there, then waits until the Update is
// accepted (--wait: until the retried regions finish).
import { WorkflowUpdateStage, type WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { ec2ProgressQuery, retryRegionsUpdate, type PublishAmiProgress, type RegionResult } from '../../../workflows/ec2/definitions';
import { regionProblems } from '../../../domain/request-rules';
import { usageErrorFrom } from '../build-request';
import type { CommandContext } from '../context';
import { OperationalError, UsageError } from '../errors';

export const EC2_CHILD_TYPE = 'publishAmiWorkflow';
const QUERY_DEADLINE_MS = 5_000;

export interface ArchRetry {
  workflowId: string;
  arch: string;
  /** Regions sent in the Update. */
  retried: string[];
  /** Named regions this arch did not need retried, with their state. */
  skipped: Array<{ region: string; status: string }>;
  accepted: boolean;
  error?: string;
  results?: RegionResult[];
}

/** The visibility query finding a release's running EC2 publications. */
export function ec2ChildrenQuery(releaseId: string): string {
  if (/['"\\]/.test(releaseId)) throw new UsageError(`"${releaseId}" is not a workflow id this pipeline makes`, { field: 'id', fix: 'copy the id from `fedimg list`' });
  return `WorkflowType = '${EC2_CHILD_TYPE}' AND WorkflowId STARTS_WITH '${releaseId}/ec2/' AND ExecutionStatus = 'Running'`;
}

/** The named regions, each an AWS region name and one of aws.regions (domain/request-rules.ts). */
export function checkRegions(regions: string[] | undefined, configured: string[]): string[] {
  if (!regions || regions.length === 0) throw new UsageError('missing', { field: 'region', fix: 'name the failed regions, e.g. --region eu-west-1 us-east-2' });
  const problems = regionProblems(regions, configured, 'region');
  if (problems.length > 0) throw usageErrorFrom(problems);
  return [...new Set(regions)];
}

export async function retryRegionsCommand(ctx: CommandContext, releaseId: string, opts: { region?: string[]; wait?: boolean }): Promise<void> {
  const regions = checkRegions(opts.region, ctx.config.aws.regions);
  const query = ec2ChildrenQuery(releaseId);
  const t = await ctx.temporal();
  try {
    await t.client.workflow.getHandle(releaseId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new OperationalError(`no workflow "${releaseId}" in namespace ${t.namespace}`, { fix: 'copy the release id from `fedimg list`' });
    throw err;
  }

  const children: string[] = [];
  for await (const wf of t.client.workflow.list({ query })) children.push(wf.workflowId);
  if (children.length === 0) {
    throw new OperationalError(`${releaseId} has no EC2 publication waiting (no running ${EC2_CHILD_TYPE} under ${releaseId}/ec2/)`, {
      fix: 'retries are accepted only while a publication waits for them after its regions ran; start a new build for these regions otherwise',
    });
  }

  const out: ArchRetry[] = [];
  for (const childId of children.sort()) {
    const handle: WorkflowHandle = t.client.workflow.getHandle(childId);
    const arch = childId.slice(`${releaseId}/ec2/`.length);
    let progress: PublishAmiProgress | undefined;
    try {
      progress = await t.client.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(ec2ProgressQuery));
    } catch {
      progress = undefined; // no answer: send every named region and let the validator judge
    }
    const statusOf = (r: string) => progress?.regions.find((x) => x.region === r)?.status ?? (progress ? 'not a region of this publication' : 'unknown');
    const retried = progress ? regions.filter((r) => statusOf(r) === 'failed') : regions;
    const skipped = regions.filter((r) => !retried.includes(r)).map((region) => ({ region, status: statusOf(region) }));
    const entry: ArchRetry = { workflowId: childId, arch, retried, skipped, accepted: false };
    if (retried.length > 0) {
      try {
        const update = await handle.startUpdate(retryRegionsUpdate, { args: [retried], waitForStage: WorkflowUpdateStage.ACCEPTED });
        entry.accepted = true;
        if (opts.wait) entry.results = await update.result();
      } catch (err) {
        entry.error = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
      }
    }
    out.push(entry);
  }

  if (out.every((e) => e.retried.length === 0)) {
    const states = out.map((e) => `${e.arch}: ${e.skipped.map((s) => `${s.region} ${s.status}`).join(', ')}`).join('; ');
    throw new UsageError(`none of ${regions.join(', ')} has failed in this release (${states})`, { field: 'region', fix: 'only failed regions can be retried; `fedimg status` shows each region' });
  }
  ctx.emit({ releaseId, regions, arches: out }, () =>
    out
      .map((e) => {
        const head = e.error
          ? `${e.arch}: refused: ${e.error}`
          : e.retried.length === 0
            ? `${e.arch}: nothing to retry`
            : `${e.arch}: retrying ${e.retried.join(', ')}${opts.wait ? '' : ' (accepted)'}`;
        const skipped = e.skipped.map((s) => `    ${s.region}: ${s.status}, not retried`);
        const results = (e.results ?? []).map((r) => `    ${r.region}: ${'amiId' in r ? `published ${r.amiId}` : `failed again: ${r.error}`}`);
        return [head, ...skipped, ...results].join('\n');
      })
      .join('\n'),
  );
  const refused = out.filter((e) => e.error);
  if (refused.length > 0) throw new OperationalError(`${refused.length} of ${out.length} EC2 publications refused the retry`, { fix: 'read the reasons above' });
}
