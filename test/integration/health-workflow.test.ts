// The first workflow end to end: a real worker on two task queues, the real dev server, and the
// real services of the local stack answering the probes.
import { describe, expect, it } from 'vitest';
import { healthWorkflow } from '../../workflows';
import { createHealthActivities } from '../../activities/health';
import { uniqueQueue, withWorkers } from '../helpers/temporal';

describe('health workflow', () => {
  it('runs one probe per task queue and reports each service', async () => {
    const main = uniqueQueue('health-main');
    const files = uniqueQueue('health-files');
    const activities = createHealthActivities([
      { service: 'temporal', target: '127.0.0.1:7233' },
      { service: 'moto', target: 'http://127.0.0.1:14566/moto-api/' },
      { service: 'nothing-here', target: '127.0.0.1:1' },
    ]);
    const report = await withWorkers(
      [
        { taskQueue: main, activities },
        { taskQueue: files, activities, workflows: false },
      ],
      (client) =>
        client.workflow.execute(healthWorkflow, {
          taskQueue: main,
          workflowId: `health-${main}`,
          args: [{ taskQueues: [main, files] }],
        }),
    );
    expect(report.queues.map((q) => q.taskQueue)).toEqual([main, files]);
    for (const q of report.queues) {
      const byName = Object.fromEntries(q.probes.map((p) => [p.service, p]));
      expect(byName.temporal?.ok).toBe(true);
      expect(byName.moto?.ok).toBe(true);
      // A closed port must be reported as down, with the reason, not hidden.
      expect(byName['nothing-here']).toMatchObject({ ok: false, detail: 'ECONNREFUSED' });
    }
    expect(report.healthy).toBe(false);
  });
});
