// Prints vitest's totals as one plain closing line ("N passed, N failed, N skipped"), the form
// CI reads whatever the runner.
import { readFileSync } from 'node:fs';

try {
  const r = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`\ntests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
} catch (err) {
  console.log(`\ntests: no summary (${err.message})`);
}
