// The architectures Fedora builds images for: the one list config, messages, request checks and
// the catalogue derive theirs from. Order is the one people read (primary arches first).
export const ARCHES = ['x86_64', 'aarch64', 'ppc64le', 's390x', 'riscv64'] as const;
export type Arch = (typeof ARCHES)[number];

/** Position in ARCHES (unknown names last), for sorting lists the way people expect them. */
export function archOrder(arch: string): number {
  const i = (ARCHES as readonly string[]).indexOf(arch);
  return i === -1 ? ARCHES.length : i;
}
