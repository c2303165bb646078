// The workflow code the worker runs, bundled by webpack. Bundling in the worker process costs
// ~110 MiB of RSS that stays after start (webpack's heap is not given back to the OS) and ~2.5 s,
// so a deployment can bundle once at build time (`npm run build:workflows`) and point
// FEDIMG_WORKFLOW_BUNDLE at the file. Opt-in, and guarded: next to the bundle lies a manifest
// with the SHA-256 of every module webpack put in it (ours and node_modules'); if any of them
// differs now, the worker refuses to start rather than run workflow code that is not the code in
// the checkout (a replayed history would then meet different commands).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
export const DEFAULT_BUNDLE_FILE = join(REPO_ROOT, 'dist', 'workflows.bundle.js');
export const BUNDLE_ENV = 'FEDIMG_WORKFLOW_BUNDLE';

export interface BundleManifest {
  /** The bundler's version: a different one may lay the bundle out differently. */
  temporalWorker: string;
  /** Module path relative to the repository root -> SHA-256 of its contents at bundle time. */
  sources: Record<string, string>;
}

const quiet = { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} };

function temporalWorkerVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('@temporalio/worker/package.json') as { version: string }).version;
}

function sha256(file: string): string {
  return existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : 'missing';
}

/** The modules webpack put in a bundle, as paths relative to the directory it was bundled from.
 * Webpack heads each module with a comment line naming it: `/***\/ "./domain/ec2.ts"`. */
export function bundleSources(code: string): string[] {
  return [...code.matchAll(/^\/\*{3}\/ "(\.\/[^"]+)"/gm)].map((m) => m[1]!.slice(2));
}

export function manifestFor(code: string, root: string): BundleManifest {
  return {
    temporalWorker: temporalWorkerVersion(),
    sources: Object.fromEntries(bundleSources(code).map((p) => [p, sha256(join(root, p))])),
  };
}

/** What differs between a bundle's manifest and the files under root now; empty if nothing. */
export function staleness(manifest: BundleManifest, root: string): string[] {
  const changed: string[] = [];
  const now = temporalWorkerVersion();
  if (manifest.temporalWorker !== now) changed.push(`@temporalio/worker ${manifest.temporalWorker} -> ${now}`);
  for (const [path, hash] of Object.entries(manifest.sources)) if (sha256(join(root, path)) !== hash) changed.push(path);
  return changed;
}

/** Bundles the workflows in this process (webpack). Module ids are relative to the working
 * directory, so run from the repository root when the result is written for the manifest. */
export async function bundleWorkflows(): Promise<{ code: string }> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet });
}

/** Bundles the workflows and writes the bundle and its manifest (`<file>.json`). */
export async function writeWorkflowBundle(file: string): Promise<BundleManifest> {
  if (process.cwd() !== REPO_ROOT.replace(/\/$/, '')) process.chdir(REPO_ROOT);
  const { code } = await bundleWorkflows();
  const manifest = manifestFor(code, REPO_ROOT);
  if (Object.keys(manifest.sources).length === 0) throw new Error('the workflow bundle names no modules; cannot guard it against staleness');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, code);
  writeFileSync(`${file}.json`, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** The prebuilt bundle at `file`, if it matches the checkout; otherwise an error saying what
 * changed and how to fix it. */
export function readWorkflowBundle(file: string, root = REPO_ROOT): { code: string } {
  const fix = `rebuild it with \`npm run build:workflows\`, or unset ${BUNDLE_ENV} to bundle at start`;
  if (!existsSync(file)) throw new Error(`${BUNDLE_ENV}=${file}: no such file; ${fix}`);
  if (!existsSync(`${file}.json`)) throw new Error(`${BUNDLE_ENV}=${file}: its manifest ${file}.json is missing, so its freshness cannot be checked; ${fix}`);
  const manifest = JSON.parse(readFileSync(`${file}.json`, 'utf8')) as BundleManifest;
  const changed = staleness(manifest, root);
  if (changed.length > 0) {
    const shown = changed.slice(0, 5).join(', ') + (changed.length > 5 ? ` and ${changed.length - 5} more` : '');
    throw new Error(`${BUNDLE_ENV}=${file}: the bundle is stale, changed since it was built: ${shown}; ${fix}`);
  }
  return { code: readFileSync(file, 'utf8') };
}

/** The worker's workflow bundle: the prebuilt file FEDIMG_WORKFLOW_BUNDLE names, or bundled now. */
export async function workflowBundle(env: NodeJS.ProcessEnv = process.env): Promise<{ code: string }> {
  const file = env[BUNDLE_ENV];
  return file ? readWorkflowBundle(file) : bundleWorkflows();
}
