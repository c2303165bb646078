// `fedimg cancel <id>`: ask a release to stop. Temporal delivers the cancellation to the workflow,
// which stops waiting, cancels what it started and reports; a closed workflow is left as it is.
import { WorkflowNotFoundError } from '@temporalio/common';
import type { CommandContext } from '../context';
import { OperationalError } from '../errors';
import { workflowUiUrl } from '../temporal';

export async function cancelCommand(ctx: CommandContext, workflowId: string): Promise<void> {
  const t = await ctx.temporal();
  const handle = t.client.workflow.getHandle(workflowId);
  let status: string;
  try {
    status = (await handle.describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new OperationalError(`no workflow "${workflowId}" in namespace ${t.namespace}`, { fix: 'find the id with `fedimg list` or `fedimg status`' });
    }
    throw err;
  }
  const uiUrl = workflowUiUrl(ctx.config, t.namespace, workflowId);
  if (status !== 'RUNNING') {
    ctx.emit({ workflowId, canceled: false, status, uiUrl }, () => `${workflowId} is already closed (${status}); nothing to cancel`);
    return;
  }
  await handle.cancel();
  ctx.emit({ workflowId, canceled: true, status: 'CANCEL_REQUESTED', uiUrl }, () =>
    [`cancellation requested for ${workflowId}`, `  follow: fedimg status '${workflowId}' --watch`, `  UI:     ${uiUrl}`].join('\n'),
  );
}
