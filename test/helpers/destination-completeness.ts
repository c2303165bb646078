// Checks that a destination has every part a destination needs, across the layers that cannot
// import each other (domain data, the workflow side, the worker side, the catalogue side, its
// config section, its messages, its failure types, its client). Used by
// test/unit/destinations/completeness.test.ts for the real registries, and for a test's own
// destination (test/integration/destinations/mirror) that is registered from outside the tree.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DestinationSpec } from '../../domain/destinations';
import type { FailureStage } from '../../domain/failures';
import type { MessageType } from '../../domain/messages';
import type { CatalogueDestination } from '../../report/ingest/destinations/types';
import type { WorkflowDestination } from '../../workflows/destinations/types';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface DestinationParts {
  id: string;
  spec?: DestinationSpec;
  workflow?: WorkflowDestination;
  /** The worker's factory of its activities (workers/destinations.ts), or a test's own. */
  worker?: unknown;
  catalogue?: CatalogueDestination;
}

export interface Surroundings {
  /** Config section names (configSchema's, plus a test destination's own). */
  configSections: readonly string[];
  messageType(schemaName: string): MessageType | undefined;
  failureStages: Readonly<Record<string, FailureStage>>;
}

/** Every part `parts` lacks, each as a sentence naming the part and where it goes. */
export function destinationProblems(parts: DestinationParts, around: Surroundings): string[] {
  const out: string[] = [];
  const { id, spec } = parts;
  if (!spec) return [`${id}: no entry in domain/destinations.ts (title, accepted image types, config section, client folder, messages, failure stage)`];
  if (!parts.workflow) out.push(`${id}: no workflow part (workflows/destinations/${id}.ts in workflows/destinations/registry.ts)`);
  else {
    if (parts.workflow.id !== id) out.push(`${id}: its workflow part says it is "${parts.workflow.id}"`);
    for (const fn of ['publish', 'announce', 'details'] as const) {
      if (typeof parts.workflow[fn] !== 'function') out.push(`${id}: its workflow part has no ${fn}()`);
    }
  }
  if (typeof parts.worker !== 'function') out.push(`${id}: no worker part (its activities built from config in workers/destinations.ts)`);
  if (!parts.catalogue) out.push(`${id}: no catalogue part (report/ingest/destinations/${id}.ts in its registry)`);
  else if (typeof parts.catalogue.fromComplete !== 'function') out.push(`${id}: its catalogue part cannot read its image.complete entries`);
  if (!around.configSections.includes(spec.configSection)) out.push(`${id}: config section "${spec.configSection}" is not in config/schema.ts`);
  if (spec.messages.length === 0) out.push(`${id}: announces no message (domain/destinations.ts messages)`);
  for (const name of spec.messages) {
    if (!around.messageType(name)) out.push(`${id}: message ${name} is not registered (domain/messages/registry.ts)`);
    if (parts.catalogue && !parts.catalogue.messages[name]) out.push(`${id}: the catalogue has no translation of ${name}`);
  }
  if (!Object.hasOwn(around.failureStages, spec.failureStage)) out.push(`${id}: failure stage "${spec.failureStage}" is not in domain/failures/index.ts`);
  if (spec.accepts.length === 0) out.push(`${id}: accepts no image type`);
  const client = isAbsolute(spec.clientFolder) ? spec.clientFolder : join(ROOT, 'clients', spec.clientFolder);
  if (!existsSync(client) || !statSync(client).isDirectory() || !readdirSync(client).some((f) => f.endsWith('.ts'))) {
    out.push(`${id}: no client in ${client} (the code that talks to it, with plain options)`);
  }
  return out;
}
