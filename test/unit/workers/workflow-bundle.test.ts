// A prebuilt workflow bundle is used only while every module in it is unchanged: a worker must
// not run workflow code other than the checkout's.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bundleSources, manifestFor, readWorkflowBundle, staleness } from '../../../workers/workflow-bundle';

// The shape webpack gives each module: a comment line naming it, then its code.
const code = [
  'var __TEMPORAL__;',
  '/***/ "./workflows/index.ts"',
  '(m) => {}',
  '/***/ "./node_modules/zod/index.js"',
  '(m) => {}',
  '/***/ "?31ff"',
  '(m) => {}',
].join('\n');

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'fedimg-bundle-'));
  mkdirSync(join(root, 'workflows'));
  mkdirSync(join(root, 'node_modules/zod'), { recursive: true });
  writeFileSync(join(root, 'workflows/index.ts'), 'export const a = 1;\n');
  writeFileSync(join(root, 'node_modules/zod/index.js'), 'module.exports = {};\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function writeBundle(): string {
  const file = join(root, 'dist/workflows.bundle.js');
  mkdirSync(join(root, 'dist'));
  writeFileSync(file, code);
  writeFileSync(`${file}.json`, JSON.stringify(manifestFor(code, root)));
  return file;
}

describe('prebuilt workflow bundle', () => {
  it('lists the modules webpack put in it, not the ignored ones', () => {
    expect(bundleSources(code)).toEqual(['workflows/index.ts', 'node_modules/zod/index.js']);
  });

  it('is used while nothing in it changed', () => {
    const file = writeBundle();
    expect(staleness(manifestFor(code, root), root)).toEqual([]);
    expect(readWorkflowBundle(file, root).code).toBe(code);
  });

  it('is refused once a workflow changed, naming the file and the fix', () => {
    const file = writeBundle();
    writeFileSync(join(root, 'workflows/index.ts'), 'export const a = 2;\n');
    expect(() => readWorkflowBundle(file, root)).toThrow(/FEDIMG_WORKFLOW_BUNDLE=.*stale.*workflows\/index\.ts.*npm run build:workflows/);
  });

  it('is refused once a bundled dependency changed or vanished', () => {
    const file = writeBundle();
    rmSync(join(root, 'node_modules/zod/index.js'));
    expect(() => readWorkflowBundle(file, root)).toThrow(/node_modules\/zod\/index\.js/);
  });

  it('is refused without its manifest, and when missing', () => {
    const file = writeBundle();
    rmSync(`${file}.json`);
    expect(() => readWorkflowBundle(file, root)).toThrow(/manifest .* is missing.*npm run build:workflows/);
    expect(() => readWorkflowBundle(join(root, 'nope.js'), root)).toThrow(/FEDIMG_WORKFLOW_BUNDLE=.*nope\.js: no such file/);
  });
});
