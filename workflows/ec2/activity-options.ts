// Retry and timeout choices shared by the EC2 workflows, plus the wait-with-timers loops.
// Activities are short API calls; transient failures (throttling, 5xx, pending states) are
// retried with back-off by Temporal, final ones (EC2_NON_RETRYABLE) fail at once.
import { ApplicationFailure, sleep, type ActivityOptions } from '@temporalio/workflow';
import { pollDelayMs, type PollPolicy } from '../../domain/ec2';
import { EC2_NON_RETRYABLE, Ec2FailureType } from '../../domain/ec2-errors';
import type { ImageInfo } from '../../activities/ec2';

export interface ActivityRetryInput {
  initialIntervalMs?: number;
  maximumIntervalMs?: number;
  maximumAttempts?: number;
}

export function apiActivityOptions(retry: ActivityRetryInput = {}, taskQueue?: string): ActivityOptions {
  return {
    ...(taskQueue ? { taskQueue } : {}),
    startToCloseTimeout: '5m',
    retry: {
      initialInterval: retry.initialIntervalMs ?? 2_000,
      backoffCoefficient: 2,
      maximumInterval: retry.maximumIntervalMs ?? 120_000,
      maximumAttempts: retry.maximumAttempts ?? 10,
      nonRetryableErrorTypes: [...EC2_NON_RETRYABLE],
    },
  };
}

export function resolvePoll(base: PollPolicy, given: Partial<PollPolicy> | undefined): PollPolicy {
  return { ...base, ...Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined)) };
}

const IMAGE_DEAD = new Set(['failed', 'invalid', 'error', 'deregistered', 'disabled']);

/**
 * Polls until the image is available, sleeping on workflow timers with back-off. An image EC2
 * does not know yet (a fresh copy) is waited for like a pending one, within the same deadline.
 */
export async function waitImageAvailable(
  describe: () => Promise<ImageInfo | null>,
  poll: PollPolicy,
  what: string,
  onPoll?: (n: number, state: string) => void,
): Promise<ImageInfo> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    const info = await describe();
    const state = info?.state ?? 'not-found';
    onPoll?.(attempt + 1, state);
    if (info && state === 'available') return info;
    if (IMAGE_DEAD.has(state)) {
      throw ApplicationFailure.create({
        message: `${what} is ${state}${info?.stateReason ? `: ${info.stateReason}` : ''}`,
        type: Ec2FailureType.ResourceFailed,
        nonRetryable: true,
      });
    }
    if (Date.now() - started >= poll.timeoutMs) {
      throw ApplicationFailure.create({ message: `${what} still ${state} after ${Math.round(poll.timeoutMs / 1000)} s`, type: Ec2FailureType.WaitTimedOut, nonRetryable: true });
    }
    await sleep(pollDelayMs(attempt, poll));
  }
}

/** Polls DescribeSnapshots until the snapshot is completed. */
export async function waitSnapshotCompleted(
  describe: () => Promise<{ state: string; progress?: string; message?: string }>,
  poll: PollPolicy,
  what: string,
): Promise<void> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    const s = await describe();
    if (s.state === 'completed') return;
    if (s.state === 'error' || s.state === 'recoverable') {
      throw ApplicationFailure.create({ message: `${what} is ${s.state}${s.message ? `: ${s.message}` : ''}`, type: Ec2FailureType.ResourceFailed, nonRetryable: true });
    }
    if (Date.now() - started >= poll.timeoutMs) {
      throw ApplicationFailure.create({ message: `${what} still ${s.state} (${s.progress ?? '?'}) after ${Math.round(poll.timeoutMs / 1000)} s`, type: Ec2FailureType.WaitTimedOut, nonRetryable: true });
    }
    await sleep(pollDelayMs(attempt, poll));
  }
}

/** Kept here for the EC2 workflows' imports; workflows/failures.ts has it. */
export { rootCause } from '../failures';
