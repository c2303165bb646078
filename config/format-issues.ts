// Turns zod issues into one line each: the field's path, what was expected, what was found.
import type { z } from 'zod';

export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'invalid_union') {
      // An unknown tag of a discriminated union: name the allowed tags and the tag found.
      const extra = issue as { discriminator?: string; options?: unknown[] };
      if (extra.discriminator !== undefined && extra.options) {
        const found = (issue.input as Record<string, unknown> | undefined)?.[extra.discriminator];
        return [`${pathOf(issue.path)}: expected one of ${extra.options.map((o) => JSON.stringify(o)).join(', ')}, found ${describe(found)}`];
      }
    }
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => `${pathOf([...issue.path, k])}: unknown setting (remove it or check its spelling)`);
    }
    return [`${pathOf(issue.path)}: expected ${expected(issue)}, found ${describe(issue.input)}`];
  });
}

function expected(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') return issue.expected;
  if (issue.code === 'invalid_value') return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  if (issue.code === 'too_small') return `${issue.origin === 'array' ? 'at least' : issue.inclusive ? '≥' : '>'} ${String(issue.minimum)}${issue.origin === 'array' ? ' entries' : issue.origin === 'string' ? ' characters' : ''}`;
  if (issue.code === 'too_big') return `${issue.origin === 'array' ? 'at most' : issue.inclusive ? '≤' : '<'} ${String(issue.maximum)}${issue.origin === 'array' ? ' entries' : ''}`;
  return issue.message.replace(/^Invalid (input|string): /, '');
}

export function pathOf(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

function describe(input: unknown): string {
  if (input === undefined) return 'nothing';
  const text = JSON.stringify(input);
  if (text === undefined) return String(input);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
