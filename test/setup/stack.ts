// Vitest global setup for the integration project: bring up (or reuse) the local stack's real
// services once for the whole run. Each test then starts its own worker on a unique task queue.
//
// The tests keep out of what the demo shows: they run in a Temporal namespace of their own and
// announce under a bus topic prefix of their own, which the stack's catalogue does not consume.
// Both are exported as environment variables here, before the test processes start, so every
// path picks them up: getConfig() (FEDIMG__BUS__TOPIC_PREFIX), temporalTarget() and the CLI
// (TEMPORAL_NAMESPACE, by the envconfig conventions), and child processes, which inherit them.
import { getConfig } from '../../config';
import { temporalTarget } from '../../config/temporal-connection';
import { stackUp } from '../../scripts/stack/up-lib';
import { TEST_NAMESPACE } from '../../scripts/stack/services/temporal';
import { ensureNamespace } from './test-namespace';

/** The bus topic prefix of everything the tests announce (the demo's is the config's). */
export const TEST_TOPIC_PREFIX = 'org.fedoraproject.fedimg_test';

export default async function setup(): Promise<void> {
  const config = getConfig();
  // Started services inherit this process's environment: the test settings come after.
  const reports = await stackUp(config, { withWorker: false, log: (l) => console.log(`[stack] ${l}`) });
  console.log(`[stack] ${reports.map((r) => `${r.service}:${r.state}`).join(' ')}`);
  await ensureNamespace(temporalTarget(config).connection.address, TEST_NAMESPACE, (l) => console.log(`[stack] ${l}`));
  process.env.TEMPORAL_NAMESPACE = TEST_NAMESPACE;
  process.env.FEDIMG__BUS__TOPIC_PREFIX = TEST_TOPIC_PREFIX;
  console.log(`[stack] tests run in Temporal namespace ${TEST_NAMESPACE} and announce under ${TEST_TOPIC_PREFIX}`);
}
