// Recorded workflow histories kept as fixtures: the JSON that `temporal workflow show --output
// json` prints (or fetchHistory() gives), one file per run, named <workflowType>--<what>.json.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';

export const HISTORY_DIR = fileURLToPath(new URL('../fixtures/histories', import.meta.url));

export function recordedHistories() {
  return readdirSync(HISTORY_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({
      file,
      workflowId: file.replace(/\.json$/, ''),
      history: historyFromJSON(JSON.parse(readFileSync(join(HISTORY_DIR, file), 'utf8'))),
    }));
}
