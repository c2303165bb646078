// Fedora's CHECKSUM file: entries sorted by file name, two lines per file. The SHA256 line is the
// BSD ("tagged") format that `sha256sum -c` accepts. Fedora clearsigns the file afterwards; that
// belongs to publishing, not here.
//   # Fedora-Cloud-Base-Generic-44-1.7.aarch64.qcow2: 528154624 bytes
//   SHA256 (Fedora-Cloud-Base-Generic-44-1.7.aarch64.qcow2) = 55c6…

export interface ChecksumEntry {
  name: string;
  size: number;
  sha256: string;
}

export function formatChecksumFile(entries: readonly ChecksumEntry[]): string {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of sorted) {
    if (/[\n\r()/]/.test(e.name)) throw new Error(`not a plain file name for a CHECKSUM entry: ${JSON.stringify(e.name)}`);
    if (!/^[0-9a-f]{64}$/.test(e.sha256)) throw new Error(`not a sha256 hex digest for ${e.name}: ${e.sha256}`);
  }
  return sorted.map((e) => `# ${e.name}: ${e.size} bytes\nSHA256 (${e.name}) = ${e.sha256}\n`).join('');
}
