// `npm run demo`, the README's first command: bring the local stack up (or reuse it), then run
// the pipeline's job on it and print where to watch. For now the job is the health workflow
// over every task queue; it grows into a whole image release as the stages land.
import { Client, Connection } from '@temporalio/client';
import { getConfig } from '../config';
import { temporalTarget } from '../config/temporal-connection';
import { stackUp } from './stack/up-lib';
import { ServiceStartError } from './stack/service';
import { healthWorkflow } from '../workflows';

const config = getConfig();
try {
  const reports = await stackUp(config);
  for (const r of reports) console.log(`  ${r.service.padEnd(10)} ${r.state.padEnd(8)} ${r.address}`);
} catch (err) {
  if (err instanceof ServiceStartError) {
    console.error(`demo: ${err.message}`);
    process.exit(1);
  }
  throw err;
}

const target = temporalTarget(config);
const connection = await Connection.connect(target.connection);
const client = new Client({ connection, namespace: target.namespace });
const workflowId = `health-${new Date().toISOString().replace(/[:.]/g, '-')}`;
const { orchestration, files } = config.temporal.taskQueues;
const report = await client.workflow.execute(healthWorkflow, {
  taskQueue: orchestration,
  workflowId,
  args: [{ taskQueues: [orchestration, files] }],
});
await connection.close();

console.log(`\nhealth workflow ${workflowId}:`);
for (const q of report.queues) {
  console.log(`  task queue ${q.taskQueue} (worker on ${q.host})`);
  for (const p of q.probes) console.log(`    ${p.ok ? 'ok  ' : 'DOWN'} ${p.service.padEnd(10)} ${p.target} — ${p.detail} (${p.latencyMs} ms)`);
}
console.log(`\nTemporal UI:  ${config.temporal.uiUrl}/namespaces/${target.namespace}/workflows/${workflowId}`);
console.log(`CLI:          temporal workflow list --address ${target.connection.address}`);
console.log(`Worker metrics: http://${config.temporal.workerMetricsAddress}/metrics`);
