// The catalogue side of every destination, keyed by domain/destinations.ts (a destination added
// there without its catalogue part does not compile).
import { DESTINATION_IDS, type DestinationId } from '../../../domain/destinations';
import type { CatalogueChange } from '../../model';
import type { TranslateContext } from '../identity';
import { downloadsCatalogue } from './downloads';
import { ec2Catalogue } from './ec2';
import { glanceCatalogue } from './glance';
import type { CatalogueDestination } from './types';

export const CATALOGUE_DESTINATIONS: Record<DestinationId, CatalogueDestination> = {
  downloads: downloadsCatalogue,
  glance: glanceCatalogue,
  ec2: ec2Catalogue,
};

type Translator = (body: unknown, ctx: TranslateContext) => CatalogueChange[] | Promise<CatalogueChange[]>;

/** The translation of a destination's own message, by its schema name. */
export function destinationTranslator(schemaName: string): Translator | undefined {
  for (const id of DESTINATION_IDS) {
    const t = CATALOGUE_DESTINATIONS[id].messages[schemaName];
    if (t) return t;
  }
  return undefined;
}
