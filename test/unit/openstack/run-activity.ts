// MockActivityEnvironment.run cannot infer an activity's result type; this keeps it.
import type { MockActivityEnvironment } from '@temporalio/testing';

export function runActivity<P extends unknown[], R>(env: MockActivityEnvironment, fn: (...args: P) => Promise<R>, ...args: P): Promise<R> {
  return env.run<P, R, (...args: P) => Promise<R>>(fn, ...args);
}
