// `fedimg list`: image releases filtered by the pipeline's search attributes, as a table.
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { Arches, FedoraRelease, ImageFamily, ImageKind, ImageStage, KojiTaskId } from '../../../domain/search-attributes';
import type { CommandContext } from '../context';
import { buildListQuery, type ListFilters } from '../list-query';
import { table, when } from '../output';

export interface ReleaseSummary {
  workflowId: string;
  runId: string;
  status: string;
  release?: string;
  family?: string;
  kind?: string;
  stage?: string;
  kojiTaskId?: number;
  arches?: string[];
  startTime: string;
  closeTime?: string;
}

export function summarize(wf: WorkflowExecutionInfo): ReleaseSummary {
  const sa = wf.typedSearchAttributes;
  const opt = <T>(k: string, v: T | undefined) => (v === undefined ? {} : { [k]: v });
  return {
    workflowId: wf.workflowId,
    runId: wf.runId,
    status: wf.status.name,
    ...opt('release', sa.get(FedoraRelease)),
    ...opt('family', sa.get(ImageFamily)),
    ...opt('kind', sa.get(ImageKind)),
    ...opt('stage', sa.get(ImageStage)),
    ...opt('kojiTaskId', sa.get(KojiTaskId)),
    ...opt('arches', sa.get(Arches)),
    startTime: wf.startTime.toISOString(),
    ...opt('closeTime', wf.closeTime?.toISOString()),
  };
}

/** Up to `limit` releases matching `query`, newest start first. */
export async function findReleases(ctx: CommandContext, query: string, limit: number): Promise<ReleaseSummary[]> {
  const { client } = await ctx.temporal();
  const found: ReleaseSummary[] = [];
  // Visibility on SQL stores has no ORDER BY; it returns running runs first, newest first, which
  // is what we want, but sort anyway after reading a bounded page.
  for await (const wf of client.workflow.list({ query, pageSize: Math.min(1000, Math.max(limit, 100)) })) {
    found.push(summarize(wf));
    if (found.length >= Math.max(limit, 500)) break;
  }
  return found.sort((a, b) => b.startTime.localeCompare(a.startTime)).slice(0, limit);
}

export function releasesTable(rows: ReleaseSummary[]): string {
  return table(
    ['WORKFLOW ID', 'STATUS', 'RELEASE', 'FAMILY', 'KIND', 'STAGE', 'KOJI TASK', 'ARCHES', 'STARTED'],
    rows.map((r) => [
      r.workflowId,
      r.status,
      r.release ?? '-',
      r.family ?? '-',
      r.kind ?? '-',
      r.stage ?? '-',
      r.kojiTaskId !== undefined ? String(r.kojiTaskId) : '-',
      r.arches?.join(',') ?? '-',
      when(new Date(r.startTime)),
    ]),
  );
}

export async function listCommand(ctx: CommandContext, filters: ListFilters & { limit: number }): Promise<void> {
  const query = buildListQuery(filters);
  const rows = await findReleases(ctx, query, filters.limit);
  ctx.emit({ query, count: rows.length, releases: rows }, () => (rows.length === 0 ? `no releases match: ${query}` : releasesTable(rows)));
}
