// Reading failures inside workflows: what an activity or child failed with, in words for results,
// progress and messages, and the few facts workflows branch on. One place for every workflow
// (the arch pipeline, EC2, Glance, retention), so they describe the same failure the same way.
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, TimeoutFailure } from '@temporalio/workflow';

/** The first ApplicationFailure under Temporal's wrappers (activity, child): the type the
 *  activity chose from domain/failures and its message. */
export function applicationFailureOf(err: unknown): ApplicationFailure | undefined {
  let e: unknown = err;
  while ((e instanceof ActivityFailure || e instanceof ChildWorkflowFailure) && e.cause) e = e.cause;
  return e instanceof ApplicationFailure ? e : undefined;
}

/** The failure type an activity (or a child, one level down) failed with. */
export function failureTypeOf(err: unknown): string | undefined {
  return applicationFailureOf(err)?.type ?? undefined;
}

/** `<type>: <message>` of the failure an activity or child chose, else the innermost message:
 *  the outside system's own words with the pipeline's name for the fault. */
export function describeFailure(err: unknown): string {
  const app = applicationFailureOf(err);
  if (app) return app.type ? `${app.type}: ${app.message}` : app.message;
  let e: unknown = err;
  while ((e instanceof ActivityFailure || e instanceof ChildWorkflowFailure) && e.cause) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

/** The innermost ApplicationFailure's message and type (else the innermost message): the cloud's
 *  own error code where the activity kept the client error as its cause (EC2 region errors). */
export function rootCause(err: unknown): { message: string; type?: string } {
  let e: unknown = err;
  let app: ApplicationFailure | undefined;
  for (;;) {
    if (e instanceof ApplicationFailure) app = e;
    const next = e && typeof e === 'object' && 'cause' in e ? (e as { cause?: unknown }).cause : undefined;
    if (!next) break;
    e = next;
  }
  if (app) return app.type ? { message: app.message, type: app.type } : { message: app.message };
  return { message: e instanceof Error ? e.message : String(e) };
}

/** A host-queue activity nobody picked up in time: the host that staged the image is gone.
 *  A child (the EC2 publish) reports it the same way, one level deeper. */
export function hostLost(err: unknown): boolean {
  if (err instanceof ChildWorkflowFailure) return hostLost(err.cause);
  return err instanceof ActivityFailure && err.cause instanceof TimeoutFailure && err.cause.timeoutType === 'SCHEDULE_TO_START';
}
