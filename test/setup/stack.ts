// Vitest global setup for the integration project: bring up (or reuse) the local stack's real
// services once for the whole run. Each test then starts its own worker on a unique task queue.
import { getConfig } from '../../config';
import { stackUp } from '../../scripts/stack/up-lib';

export default async function setup(): Promise<void> {
  const reports = await stackUp(getConfig(), { withWorker: false, log: (l) => console.log(`[stack] ${l}`) });
  console.log(`[stack] ${reports.map((r) => `${r.service}:${r.state}`).join(' ')}`);
}
