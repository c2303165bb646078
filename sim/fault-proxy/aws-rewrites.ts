// Rewrites that make moto's answers look like AWS's at the moments moto cannot reproduce:
// images and snapshots that stay pending for a while, the EBS block size AWS reports, images
// old enough for retention. They edit the XML/JSON text; moto's element order is relied upon
// (each id element comes before its state element within one item).
import type { ResponseDraft, RewriteRule } from './rules';

/** DescribeImages reports `pending` for each image during its first `polls` appearances. */
export function imagesPendingFor(polls: number, only?: (imageId: string) => boolean): RewriteRule {
  const seen = new Map<string, number>();
  return {
    name: `images pending for ${polls} polls`,
    match: { action: 'DescribeImages' },
    rewrite: (res) =>
      replaceStateAfterId(res, /<imageId>(ami-[0-9a-f]+)<\/imageId>/g, /<imageState>available<\/imageState>/y, (id) => {
        if (only && !only(id)) return undefined;
        const n = (seen.get(id) ?? 0) + 1;
        seen.set(id, n);
        return n <= polls ? '<imageState>pending</imageState>' : undefined;
      }),
  };
}

/**
 * DescribeImages reports `pending` for each image until `ms` after the proxy first saw it: a
 * copy that takes time, as CopyImage does in AWS (minutes). `match` narrows it (e.g. regions).
 */
export function imagesPendingForMs(ms: number, match?: RewriteRule['match'], now = () => Date.now()): RewriteRule {
  const firstSeen = new Map<string, number>();
  return {
    name: `images pending for ${ms} ms`,
    match: { action: 'DescribeImages', ...match },
    rewrite: (res) =>
      replaceStateAfterId(res, /<imageId>(ami-[0-9a-f]+)<\/imageId>/g, /<imageState>available<\/imageState>/y, (id) => {
        const t = now();
        const first = firstSeen.get(id) ?? t;
        firstSeen.set(id, first);
        return t - first < ms ? '<imageState>pending</imageState>' : undefined;
      }),
  };
}

/** DescribeSnapshots reports `pending` for each snapshot during its first `polls` appearances. */
export function snapshotsPendingFor(polls: number): RewriteRule {
  const seen = new Map<string, number>();
  return {
    name: `snapshots pending for ${polls} polls`,
    match: { action: 'DescribeSnapshots' },
    rewrite: (res) =>
      replaceStateAfterId(res, /<snapshotId>(snap-[0-9a-f]+)<\/snapshotId>/g, /[^]*?(<status>completed<\/status>)/y, (id) => {
        const n = (seen.get(id) ?? 0) + 1;
        seen.set(id, n);
        return n <= polls ? '<status>pending</status>' : undefined;
      }),
  };
}

/** StartSnapshot / ListSnapshotBlocks report AWS's fixed 524288 where moto says 512. */
export function ebsBlockSize(size = 524288): RewriteRule {
  return {
    name: `EBS BlockSize ${size}`,
    match: { action: ['StartSnapshot', 'ListSnapshotBlocks'] },
    rewrite: (res) => {
      if (res.status >= 300) return undefined;
      const json = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
      json.BlockSize = size;
      return { ...res, body: Buffer.from(JSON.stringify(json)) };
    },
  };
}

/** DescribeImages reports images chosen by `pick` as created `days` ago (for retention tests). */
export function imagesCreatedDaysAgo(days: number, pick: (imageId: string) => boolean, now = () => Date.now()): RewriteRule {
  return {
    name: `images created ${days} days ago`,
    match: { action: 'DescribeImages' },
    rewrite: (res) => {
      const when = new Date(now() - days * 86_400_000).toISOString();
      return replaceStateAfterId(res, /<imageId>(ami-[0-9a-f]+)<\/imageId>/g, /[^]*?(<creationDate>[^<]*<\/creationDate>)/y, (id) =>
        pick(id) ? `<creationDate>${when}</creationDate>` : undefined,
      );
    },
  };
}

/**
 * For each id match, looks at the text right after it (sticky `state` regex, whose last group
 * or whole match is the element to replace) and swaps in what `decide` returns.
 */
function replaceStateAfterId(res: ResponseDraft, idRe: RegExp, state: RegExp, decide: (id: string) => string | undefined): ResponseDraft | undefined {
  if (res.status >= 300) return undefined;
  let text = res.body.toString('utf8');
  let changed = false;
  const ids = [...text.matchAll(idRe)];
  // Right to left, so earlier offsets stay valid.
  for (const m of ids.reverse()) {
    const id = m[1];
    const from = (m.index ?? 0) + m[0].length;
    state.lastIndex = from;
    const s = state.exec(text);
    if (!id || !s) continue;
    const next = text.indexOf(idRe.source.slice(0, idRe.source.indexOf('>') + 1), from);
    const target = s[1] ?? s[0];
    const at = s.index + s[0].length - target.length;
    if (next !== -1 && at > next) continue;
    const replacement = decide(id);
    if (replacement === undefined) continue;
    text = text.slice(0, at) + replacement + text.slice(at + target.length);
    changed = true;
  }
  return changed ? { ...res, body: Buffer.from(text) } : undefined;
}
