// The tests keep out of what the demo shows (test/setup/stack.ts): workflows in a Temporal
// namespace of their own, announcements under a topic prefix the stack's catalogue does not
// consume. Checked on every path a test reaches Temporal or the bus by: the test helpers, the CLI,
// the whole-release config and a child process.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import base from '../../temporal.config';
import { getConfig } from '../../config';
import { loadConfig } from '../../config/load';
import { temporalTarget } from '../../config/temporal-connection';
import { healthWorkflow } from '../../workflows';
import { createHealthActivities } from '../../activities/health';
import { connectTemporal } from '../../scripts/cli/temporal';
import { TEST_NAMESPACE } from '../../scripts/stack/services/temporal';
import { TEST_TOPIC_PREFIX } from '../setup/stack';
import { releaseConfig } from '../helpers/release-config';
import { uniqueQueue, withWorkers } from '../helpers/temporal';

const shipped = (() => {
  const r = loadConfig({ base, env: {} });
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.config;
})();
const dir = mkdtempSync(join(tmpdir(), 'fedimg-test-namespace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the tests’ own namespace and topic prefix', () => {
  it('are not the demo’s', () => {
    expect(TEST_NAMESPACE).not.toBe(shipped.temporal.namespace);
    expect(TEST_TOPIC_PREFIX).not.toBe(shipped.bus.topicPrefix);
  });

  it('every way a test reaches Temporal or the bus uses them', async () => {
    expect(temporalTarget(getConfig()).namespace).toBe(TEST_NAMESPACE);
    expect(getConfig().bus.topicPrefix).toBe(TEST_TOPIC_PREFIX);
    const cliSession = await connectTemporal(shipped);
    expect(cliSession.namespace).toBe(TEST_NAMESPACE);
    await cliSession.close();
    const rc = releaseConfig({
      dir,
      tag: 'ns',
      queuePrefix: 'ns',
      koji: { hubUrl: 'http://127.0.0.1:1/kojihub', topUrl: 'http://127.0.0.1:1/kojifiles', user: 'fedimg', passwordFile: join(dir, 'pw') },
      family: { name: 'Ns-Generic', arches: ['x86_64'], outputs: ['qcow2'], destinations: ['downloads'] },
    });
    expect(rc.config.bus.topicPrefix).toBe(TEST_TOPIC_PREFIX);
    // A child process (a worker host, the CLI, a catalogue) inherits both.
    const child = execFileSync(
      process.execPath,
      ['--import', 'tsx', '-e', "import('./config/index.ts').then(async ({ getConfig }) => { const { temporalTarget } = await import('./config/temporal-connection.ts'); console.log(JSON.stringify([temporalTarget(getConfig()).namespace, getConfig().bus.topicPrefix])); })"],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(child.trim())).toEqual([TEST_NAMESPACE, TEST_TOPIC_PREFIX]);
  });

  it('a workflow a test runs is in the test namespace, not in the demo’s', async () => {
    const queue = uniqueQueue('ns');
    const workflowId = `ns-${queue}`;
    await withWorkers([{ taskQueue: queue, activities: createHealthActivities([]) }], (client) =>
      client.workflow.execute(healthWorkflow, { taskQueue: queue, workflowId, args: [{ taskQueues: [queue] }] }),
    );
    const connection = await Connection.connect({ address: temporalTarget(getConfig()).connection.address });
    try {
      const inTest = new Client({ connection, namespace: TEST_NAMESPACE });
      expect((await inTest.workflow.getHandle(workflowId).describe()).status.name).toBe('COMPLETED');
      const inDemo = new Client({ connection, namespace: shipped.temporal.namespace });
      await expect(inDemo.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    } finally {
      await connection.close();
    }
  });
});
