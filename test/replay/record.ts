// Records a finished workflow's history from the local stack into test/fixtures/histories/,
// exported by the Temporal CLI exactly as `temporal workflow show --output json` prints it.
//   npm run replay:record -- <workflowId> [<fixture name>]
// Record a new fixture whenever a workflow's shape changes on purpose (behind `patched`), so
// both the old and the new shape stay covered.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getConfig } from '../../config';
import { temporalTarget } from '../../config/temporal-connection';
import { temporalBinary } from '../../scripts/stack/services/temporal';
import { HISTORY_DIR } from './histories';

const [workflowId, name] = process.argv.slice(2);
if (!workflowId) {
  console.error('usage: npm run replay:record -- <workflowId> [<fixture name>]');
  process.exit(2);
}
const target = temporalTarget(getConfig());
const cli = (...args: string[]) =>
  execFileSync(temporalBinary(), [...args, '--address', target.connection.address, '--namespace', target.namespace, '-w', workflowId, '--output', 'json'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
const desc = JSON.parse(cli('workflow', 'describe')) as { workflowExecutionInfo: { type: { name: string }; status: string } };
const status = desc.workflowExecutionInfo.status;
if (status.endsWith('RUNNING')) {
  console.error(`${workflowId} is still running: record finished runs only`);
  process.exit(1);
}
const history = cli('workflow', 'show');
const file = join(HISTORY_DIR, `${name ?? `${desc.workflowExecutionInfo.type.name}--${workflowId}`}.json`);
writeFileSync(file, history.endsWith('\n') ? history : `${history}\n`);
console.log(`recorded ${desc.workflowExecutionInfo.type.name} ${workflowId} (${status}) -> ${file}`);
