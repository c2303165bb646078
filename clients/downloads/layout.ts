// Where a file of an image set lives: the configured template, e.g.
// "{release}/{family}/{arch}/images/{file}", filled with values that cannot escape it.
import { BadFileNameError } from './errors';
import type { SetPlace } from './types';

const PLACEHOLDERS = ['release', 'family', 'arch', 'file'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];

// C0 and C1 controls and DEL: invisible in listings, and a newline in a name would corrupt
// line-oriented files such as CHECKSUM and mirror lists.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Why `value` may not be one path component, or undefined when it may. */
export function unsafeComponentReason(value: string): string | undefined {
  if (value === '') return 'it is empty';
  if (value.includes('/') || value.includes('\\')) return 'it contains a path separator';
  if (value.includes('..')) return 'it contains ".."';
  if (CONTROL.test(value)) return 'it contains a control character';
  // Hidden names are where the directory backend writes its temporary files.
  if (value.startsWith('.')) return 'it starts with "."';
  if (value.trim() !== value) return 'it starts or ends with white space';
  if (Buffer.byteLength(value) > 255) return 'it is longer than 255 bytes';
  return undefined;
}

export function assertSafeComponent(component: string, value: string): void {
  const reason = unsafeComponentReason(value);
  if (reason !== undefined) throw new BadFileNameError(component, value, reason);
}

export interface Layout {
  readonly template: string;
  /** The relative key ("44/Cloud/x86_64/images/<file>"); throws BadFileNameError. */
  keyFor(place: SetPlace, file: string): string;
}

/**
 * Checks the template once (relative, no empty or dot segments, only known placeholders,
 * `{file}` alone as the last segment so every file of a set shares one directory).
 */
export function compileLayout(template: string): Layout {
  const segments = template.split('/');
  const problem = (why: string) => new Error(`downloads layout ${JSON.stringify(template)}: ${why}`);
  if (segments.at(-1) !== '{file}') throw problem('the last segment must be exactly "{file}"');
  segments.forEach((segment, i) => {
    for (const m of segment.matchAll(/\{([^}]*)\}/g)) {
      if (!PLACEHOLDERS.includes(m[1] as Placeholder)) throw problem(`unknown placeholder {${m[1]}}; use ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`);
      if (m[1] === 'file' && i !== segments.length - 1) throw problem('{file} may appear only as the last segment');
    }
    const literal = segment.replace(/\{(release|family|arch|file)\}/g, 'x');
    if (/[{}]/.test(literal)) throw problem(`unbalanced brace in segment ${JSON.stringify(segment)}`);
    const reason = unsafeComponentReason(literal);
    if (reason !== undefined) throw problem(`segment ${i + 1} (${JSON.stringify(segment)}) is unsafe: ${reason}`);
  });
  return {
    template,
    keyFor(place, file) {
      const values: Record<Placeholder, string> = { ...pickPlace(place), file };
      for (const p of PLACEHOLDERS) assertSafeComponent(p, values[p]);
      const rendered = segments.map((s) => s.replace(/\{(release|family|arch|file)\}/g, (_, p: Placeholder) => values[p]));
      // Values next to literal text could still form something unsafe ("{release}." with "44.").
      for (const r of rendered) assertSafeComponent('path segment', r);
      return rendered.join('/');
    },
  };
}

function pickPlace({ release, family, arch }: SetPlace): Omit<Record<Placeholder, string>, 'file'> {
  return { release, family, arch };
}

/** `publicUrl` joined with the key, each segment percent-encoded. */
export function publicUrlFor(publicUrl: string | undefined, key: string): string | undefined {
  if (publicUrl === undefined) return undefined;
  return `${publicUrl.replace(/\/+$/, '')}/${key.split('/').map(encodeURIComponent).join('/')}`;
}
