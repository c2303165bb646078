// `npm run build:workflows [file]`: bundles the workflow code once, for workers started with
// FEDIMG_WORKFLOW_BUNDLE=<file> (default dist/workflows.bundle.js). See workflow-bundle.ts.
import { resolve } from 'node:path';
import { DEFAULT_BUNDLE_FILE, writeWorkflowBundle } from './workflow-bundle';

const file = resolve(process.argv[2] ?? DEFAULT_BUNDLE_FILE);
writeWorkflowBundle(file).then(
  (m) => console.log(`workflow bundle: ${file} (${Object.keys(m.sources).length} modules); start workers with FEDIMG_WORKFLOW_BUNDLE=${file}`),
  (err: unknown) => {
    console.error(`build:workflows: ${(err as Error).message}`);
    process.exit(1);
  },
);
