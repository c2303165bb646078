// The replay check is only worth having if it fails on a change that would break running
// workflows: the memo change without its `patched` guard must not replay.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { recordedHistories } from './histories';

describe('replay catches an unguarded workflow change', () => {
  it('fails on a history recorded before the change when the change is not behind patched()', async () => {
    const old = recordedHistories().find((h) => h.file.startsWith('imageReleaseWorkflow--'));
    expect(old).toBeDefined();
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../fixtures/workflows/unguarded-change.ts', import.meta.url)),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
    });
    await expect(Worker.runReplayHistory({ workflowBundle }, old!.history, old!.workflowId)).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
