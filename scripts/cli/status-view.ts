// The stage tree `fedimg status <id>` prints from the workflow's `progress` query: the release's
// stage, its Koji task, and per arch its stage, a bar for the fetched bytes and each
// destination's state. Pure: a frame is a string, so --watch only decides when to redraw.
import cliProgress from 'cli-progress';
import type { ReleaseProgress } from '../../domain/image-release';
import { ago, bytes, when } from './output';

export interface StatusView {
  workflowId: string;
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, … */
  status: string;
  startTime?: Date;
  closeTime?: Date;
  family?: string;
  release?: string;
  kind?: string;
  progress?: ReleaseProgress;
  /** Why there is no progress (query failed, no worker…). */
  progressError?: string;
  uiUrl: string;
}

const BAR = 24;

export function bar(fraction: number): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  return cliProgress.Format.BarFormat(f, { barsize: BAR, barCompleteString: '█'.repeat(BAR), barIncompleteString: '░'.repeat(BAR), barGlue: '' });
}

function fetchLine(fetched: number | undefined, total: number | undefined): string {
  if (total === undefined || total <= 0) return fetched === undefined ? 'not started' : `${bytes(fetched)} (size unknown)`;
  const f = (fetched ?? 0) / total;
  return `${bar(f)} ${String(Math.floor(f * 100)).padStart(3)}%  ${bytes(fetched ?? 0)} / ${bytes(total)}`;
}

/** Lines of a tree: every item but the last gets ├─, children get │ or spaces. */
function tree(items: Array<{ line: string; children?: string[] }>, indent = ''): string[] {
  return items.flatMap((item, i) => {
    const last = i === items.length - 1;
    const children = item.children ?? [];
    return [
      `${indent}${last ? '└─' : '├─'} ${item.line}`,
      ...children.map((c, j) => `${indent}${last ? '   ' : '│  '}${j === children.length - 1 ? '└─' : '├─'} ${c}`),
    ];
  });
}

export function renderStatus(v: StatusView, now: Date): string {
  const head = [v.workflowId, v.status, v.closeTime ? `closed ${when(v.closeTime)}` : `started ${when(v.startTime)} (${ago(v.startTime, now)})`].join('  ');
  const what = [v.family, v.release, v.kind].filter((x) => x !== undefined).join(' ');
  const items: Array<{ line: string; children?: string[] }> = [];
  if (what) items.push({ line: `release: ${what}` });
  const p = v.progress;
  if (!p) {
    items.push({ line: `progress: unavailable${v.progressError ? ` (${v.progressError})` : ''}` });
  } else {
    items.push({ line: `stage: ${p.stage}` });
    items.push({ line: `koji: ${p.kojiTaskId !== undefined ? `task ${p.kojiTaskId}${p.kojiState ? ` ${p.kojiState}` : ''}` : 'no task yet'}` });
    for (const a of p.arches) {
      const dests = Object.entries(a.destinations);
      items.push({
        line: `${a.arch}: ${a.stage}`,
        children: [
          `fetch ${fetchLine(a.fetchedBytes, a.totalBytes)}`,
          ...(dests.length === 0
            ? ['destinations: none started yet']
            : dests.map(([d, s]) => `${d.padEnd(9)} ${s?.state ?? '?'}${s?.detail ? ` — ${s.detail}` : ''}`)),
        ],
      });
    }
  }
  items.push({ line: `UI: ${v.uiUrl}` });
  return [head, ...tree(items)].join('\n');
}
