// The catalogue side of a destination: how its own messages and its entries in
// fedimg.image.complete.v1 become catalogue changes. One file per destination beside this one;
// ./registry.ts keys them by domain/destinations.ts.
import type { ImageCompleteEntry } from '../../../domain/messages';
import type { CatalogueChange, ImageKey } from '../../model';
import type { TranslateContext } from '../identity';

export interface CatalogueDestination {
  /** Translations of the messages it announces, by schema name (domain/destinations.ts `messages`). */
  messages: Record<string, (body: unknown, ctx: TranslateContext) => CatalogueChange[] | Promise<CatalogueChange[]>>;
  /** Its entry of an image.complete message, for that entry's image (skipped entries never come here). */
  fromComplete(entry: ImageCompleteEntry, image: ImageKey, ctx: TranslateContext): CatalogueChange[];
}
