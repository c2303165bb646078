// Reading a finished Koji image build: which of a child task's files is the disk image this
// pipeline converts, and the sha256 kiwi wrote beside it.

/** Disk formats the artifact stage reads, best first: raw keeps every block as built. */
const IMAGE_SUFFIXES = ['.raw.xz', '.raw', '.qcow2'] as const;

export function pickImageFile(_kind: string, files: readonly string[]): string | undefined {
  for (const suffix of IMAGE_SUFFIXES) {
    const match = files.filter((f) => f.endsWith(suffix)).sort()[0];
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
