// Reading a finished Koji image build: which of a child task's files is the image this
// pipeline converts, and the sha256 kiwi wrote beside it.
import { DEFAULT_IMAGE_TYPES, pickFileOfType, type ImageTypeId } from './image-types';

/** The file to fetch from a child task's files: the first of `types` it has (domain/image-types.ts
 *  says how each is recognised and which of its files is best). */
export function pickImageFile(_kind: string, files: readonly string[], types: readonly ImageTypeId[] = DEFAULT_IMAGE_TYPES): string | undefined {
  for (const type of types) {
    const match = pickFileOfType(type, files);
    if (match) return match;
  }
  return undefined;
}

/** kiwi's `<hex>  <file>` line (GNU) or `SHA256 (<file>) = <hex>` (BSD) for `file`. */
export function parseKiwiChecksum(text: string, file: string): string | undefined {
  for (const line of text.split('\n')) {
    const gnu = /^([0-9a-f]{64}) [ *](.+)$/i.exec(line.trim());
    if (gnu && gnu[2] === file) return gnu[1]?.toLowerCase();
    const bsd = /^SHA256 \((.+)\) = ([0-9a-f]{64})$/i.exec(line.trim());
    if (bsd && bsd[1] === file) return bsd[2]?.toLowerCase();
  }
  return undefined;
}
