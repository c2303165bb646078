// `fedimg status`: without an id, the newest running releases; with one, its stage tree from the
// workflow's `progress` query, redrawn every 2 s with --watch until the workflow closes.
import { WorkflowNotFoundError } from '@temporalio/common';
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { FedoraRelease, ImageFamily, ImageKind } from '../../../domain/search-attributes';
import type { ReleaseProgress } from '../../../domain/image-release';
import { progressQuery } from '../../../workflows/signals';
import type { CommandContext } from '../context';
import { OperationalError } from '../errors';
import { buildListQuery } from '../list-query';
import { renderStatus, type StatusView } from '../status-view';
import { workflowUiUrl } from '../temporal';
import { findReleases, releasesTable } from './list';

const QUERY_DEADLINE_MS = 5_000;

async function view(ctx: CommandContext, workflowId: string): Promise<{ view: StatusView; closed: boolean; failure?: string }> {
  const t = await ctx.temporal();
  const handle = t.client.workflow.getHandle(workflowId);
  let d: WorkflowExecutionDescription;
  try {
    d = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new OperationalError(`no workflow "${workflowId}" in namespace ${t.namespace}`, { fix: 'find the id with `fedimg list` or `fedimg status` (no id)' });
    }
    throw err;
  }
  let progress: ReleaseProgress | undefined;
  let progressError: string | undefined;
  try {
    progress = await t.client.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(progressQuery));
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    progressError = /deadline/i.test(msg) ? `no worker answered within ${QUERY_DEADLINE_MS / 1000} s; is the worker running?` : msg;
  }
  const sa = d.typedSearchAttributes;
  const v: StatusView = {
    workflowId,
    status: d.status.name,
    startTime: d.startTime,
    ...(d.closeTime ? { closeTime: d.closeTime } : {}),
    ...(sa.get(ImageFamily) !== undefined ? { family: sa.get(ImageFamily) } : {}),
    ...(sa.get(FedoraRelease) !== undefined ? { release: sa.get(FedoraRelease) } : {}),
    ...(sa.get(ImageKind) !== undefined ? { kind: sa.get(ImageKind) } : {}),
    ...(progress ? { progress } : {}),
    ...(progressError ? { progressError } : {}),
    uiUrl: workflowUiUrl(ctx.config, t.namespace, workflowId),
  };
  return { view: v, closed: d.status.name !== 'RUNNING' };
}

function asJson(v: StatusView) {
  return { ...v, startTime: v.startTime?.toISOString(), closeTime: v.closeTime?.toISOString() };
}

export async function statusCommand(ctx: CommandContext, workflowId: string | undefined, opts: { watch?: boolean; limit: number }): Promise<void> {
  if (!workflowId) {
    const query = buildListQuery({ status: ['running'] });
    const rows = await findReleases(ctx, query, opts.limit);
    ctx.emit({ query, count: rows.length, releases: rows }, () =>
      rows.length === 0 ? 'no image release is running' : `${rows.length} running release${rows.length === 1 ? '' : 's'}, newest first:\n${releasesTable(rows)}`,
    );
    return;
  }

  if (!opts.watch) {
    const { view: v } = await view(ctx, workflowId);
    ctx.emit(asJson(v), () => renderStatus(v, ctx.deps.now()));
    return;
  }

  // --watch: redraw in place on a terminal; elsewhere (logs, pipes, --json) print only changes.
  let lastKey = '';
  let lastLines = 0;
  for (;;) {
    const { view: v, closed } = await view(ctx, workflowId);
    const key = JSON.stringify({ s: v.status, p: v.progress, e: v.progressError });
    if (ctx.json) {
      if (key !== lastKey) ctx.io.out(`${JSON.stringify(asJson(v))}\n`);
    } else if (ctx.io.isTTY) {
      const frame = renderStatus(v, ctx.deps.now());
      ctx.io.out(`${lastLines > 0 ? `\x1b[${lastLines}F\x1b[0J` : ''}${frame}\n`);
      lastLines = frame.split('\n').length;
    } else if (key !== lastKey) {
      ctx.io.out(`${renderStatus(v, ctx.deps.now())}\n\n`);
    }
    lastKey = key;
    if (closed) {
      if (v.status !== 'COMPLETED') {
        throw new OperationalError(`${workflowId} ended ${v.status}`, { fix: `see why in the UI: ${v.uiUrl}` });
      }
      return;
    }
    await ctx.deps.sleep(ctx.deps.watchIntervalMs);
  }
}
