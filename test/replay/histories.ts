// Recorded workflow histories kept as fixtures: the JSON that `temporal workflow show --output
// json` prints (or fetchHistory() gives), one file per run, named <workflowType>--<what>.json,
// optionally with a top-level "workflowId": the recorded run's id.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';

export const HISTORY_DIR = fileURLToPath(new URL('../fixtures/histories', import.meta.url));

export function recordedHistories() {
  return readdirSync(HISTORY_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      // A fixture may name the run's workflow id (test/replay/record-scenarios.ts writes it):
      // workflows that derive child ids from their own id only replay under the recorded one.
      const { workflowId, ...history } = JSON.parse(readFileSync(join(HISTORY_DIR, file), 'utf8')) as { workflowId?: unknown };
      return { file, workflowId: typeof workflowId === 'string' ? workflowId : file.replace(/\.json$/, ''), history: historyFromJSON(history) };
    });
}
