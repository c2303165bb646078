// The CLI's two kinds of failure and their exit codes:
//   2  UsageError       the operator's input (or the config) is wrong: the message names the field
//                       and says what to write instead;
//   1  OperationalError  the input is fine but something out there failed: Temporal unreachable,
//                       a workflow that is not there, an update the workflow refused.
// Neither prints a stack trace; FEDIMG_DEBUG=1 does, for bugs.
import { WorkflowNotFoundError, NamespaceNotFoundError } from '@temporalio/common';
import { ServiceError, WorkflowUpdateFailedError } from '@temporalio/client';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export abstract class CliError extends Error {
  abstract readonly exitCode: number;
  abstract readonly kind: 'usage' | 'operational';
  /** The option or argument at fault (usage errors), e.g. "release" or "--label". */
  readonly field?: string;
  /** What to do about it, in one sentence. */
  readonly fix?: string;

  constructor(message: string, opts: { field?: string; fix?: string } = {}) {
    super(message);
    if (opts.field !== undefined) this.field = opts.field;
    if (opts.fix !== undefined) this.fix = opts.fix;
  }

  /** "field: problem; fix" — the one line an operator reads. */
  line(): string {
    return `${this.field ? `${this.field}: ` : ''}${this.message}${this.fix ? `; ${this.fix}` : ''}`;
  }
}

export class UsageError extends CliError {
  override name = 'UsageError';
  readonly exitCode = EXIT_USAGE;
  readonly kind = 'usage' as const;
}

export class OperationalError extends CliError {
  override name = 'OperationalError';
  readonly exitCode = EXIT_FAILURE;
  readonly kind = 'operational' as const;
}

export interface TemporalContext {
  address: string;
  namespace: string;
}

/** Turns what the Temporal client throws into an operator's message, or undefined if unknown. */
export function fromTemporalError(err: unknown, ctx: TemporalContext): CliError | undefined {
  if (err instanceof CliError) return err;
  if (err instanceof NamespaceNotFoundError) {
    return new OperationalError(`namespace "${ctx.namespace}" does not exist on ${ctx.address}`, {
      fix: 'set TEMPORAL_NAMESPACE or temporal.namespace in the config to an existing namespace',
    });
  }
  if (err instanceof WorkflowNotFoundError) {
    return new OperationalError(`no workflow "${err.workflowId}" in namespace ${ctx.namespace}`, { fix: 'check the id with `fedimg list`' });
  }
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause instanceof Error ? err.cause.message : String(err.cause ?? err.message);
    return new OperationalError(`the workflow refused the update: ${cause}`);
  }
  const message = err instanceof Error ? err.message : String(err);
  if (/search attribute|not a valid search attribute|invalid query|unknown or unsupported/i.test(message) && /FedoraRelease|ImageFamily|ImageKind|ImageStage|KojiTaskId|Arches/.test(message)) {
    return new OperationalError(`the namespace lacks the pipeline's search attributes (${message})`, {
      fix: 'create them once: temporal operator search-attribute create --name FedoraRelease --type Keyword (and ImageFamily, ImageKind, ImageStage: Keyword; KojiTaskId: Int; Arches: KeywordList)',
    });
  }
  if (/deadline|ECONNREFUSED|UNAVAILABLE|failed to connect|transport error/i.test(message)) {
    return new OperationalError(`cannot talk to Temporal at ${ctx.address} (namespace ${ctx.namespace}): ${message}`, {
      fix: 'start the local stack with `npm run stack:up`, or point TEMPORAL_ADDRESS / temporal.address at your cluster',
    });
  }
  if (err instanceof ServiceError) return new OperationalError(`Temporal refused the request: ${message}`);
  return undefined;
}
