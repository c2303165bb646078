// Every recorded history replays against today's workflow code. A change that would break a
// running workflow (a new activity call, a reordered step, without `patched`) fails here, in CI,
// instead of in production with workflows stuck on non-determinism errors.
import { describe, expect, it } from 'vitest';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { workflowBundle } from '../helpers/temporal';
import { recordedHistories } from './histories';

try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  /* installed already */
}

const histories = recordedHistories();

describe('replay of recorded histories', () => {
  it('has recorded histories to replay', () => {
    expect(histories.length).toBeGreaterThan(0);
  });

  for (const { file, workflowId, history } of histories) {
    it(`replays ${file}`, async () => {
      const bundle = await workflowBundle();
      await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId)).resolves.toBeUndefined();
    });
  }
});
