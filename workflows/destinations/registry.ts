// The workflow side of every destination, keyed by domain/destinations.ts. The table is typed
// Record<DestinationId, ...>: a destination added to domain/ without its workflow part does not
// compile. `registerDestination` adds one from outside the tree at run time (a test's own
// destination, bundled with test workflows); production destinations belong in the table.
import { DESTINATION_IDS, type DestinationId } from '../../domain/destinations';
import { downloadsDestination } from './downloads';
import { ec2Destination } from './ec2';
import { glanceDestination } from './glance';
import type { WorkflowDestination } from './types';

const BUILT_IN: Record<DestinationId, WorkflowDestination> = {
  downloads: downloadsDestination,
  glance: glanceDestination,
  ec2: ec2Destination,
};

const added: WorkflowDestination[] = [];

/** Adds a destination that domain/destinations.ts does not list (tests). Module top level only,
 *  so every workflow run sees the same table (deterministic replay). */
export function registerDestination<R>(destination: WorkflowDestination<R>): void {
  if (Object.hasOwn(BUILT_IN, destination.id) || added.some((d) => d.id === destination.id)) {
    throw new Error(`destination ${destination.id} is already registered`);
  }
  added.push(destination as WorkflowDestination);
}

/** Every destination a release may name, in the order the pipeline starts them. */
export function allDestinations(): WorkflowDestination[] {
  return [...DESTINATION_IDS.map((id) => BUILT_IN[id]), ...added];
}

export function knownDestinationIds(): string[] {
  return allDestinations().map((d) => d.id);
}

/** The family's destinations, in registry order (recorded histories hold their commands in it). */
export function destinationsFor(names: readonly string[]): WorkflowDestination[] {
  return allDestinations().filter((d) => names.includes(d.id));
}
