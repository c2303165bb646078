// Five-field cron (minute hour day-of-month month day-of-week) -> Temporal calendar specs, in the
// exact shape the server describes them back. The server would convert a cron string itself, but
// then `describe` returns calendars we could not compare with the config's cron; converting here
// lets `schedules sync` diff what runs against what the config says, field by field.
//
// Vixie-cron semantics: `*`, lists `a,b`, ranges `a-b`, steps `*/n`, `a-b/n`, `a/n`; month and
// weekday names (JAN, MON); 0 and 7 are Sunday. When both day-of-month and day-of-week are
// restricted, cron matches either: that is two calendars (Temporal ANDs fields within one).
import { DAYS_OF_WEEK, MONTHS, type CalendarSpecDescription, type DayOfWeek, type Month, type Range } from '@temporalio/client';

export class CronError extends Error {
  override name = 'CronError';
}

interface FieldRule {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Index of names[0]: 1 for months (JAN = 1), 0 for weekdays (SUN = 0). */
  namesFrom?: number;
}

const FIELDS: readonly FieldRule[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS.map((m) => m.slice(0, 3)), namesFrom: 1 },
  // 7 is accepted as Sunday and folded to 0 below.
  { name: 'day of week', min: 0, max: 7, names: DAYS_OF_WEEK.map((d) => d.slice(0, 3)), namesFrom: 0 },
];

type NumRange = Range<number>;

function parseValue(text: string, rule: FieldRule): number {
  const upper = text.toUpperCase();
  const named = rule.names?.indexOf(upper) ?? -1;
  if (named >= 0) return named + (rule.namesFrom ?? 0);
  if (!/^\d+$/.test(text)) throw new CronError(`${rule.name}: "${text}" is not a number${rule.names ? ` or a name such as ${rule.names[0]}` : ''}`);
  const n = Number(text);
  if (n < rule.min || n > rule.max) throw new CronError(`${rule.name}: ${n} is outside ${rule.min}-${rule.max}`);
  return n;
}

/** One cron field -> ranges; `all` tells whether it was unrestricted (starts with "*"). */
function parseField(text: string, rule: FieldRule): { ranges: NumRange[]; all: boolean } {
  const ranges: NumRange[] = [];
  for (const part of text.split(',')) {
    const m = /^([^/]+)(?:\/(\d+))?$/.exec(part);
    if (!m || !m[1]) throw new CronError(`${rule.name}: cannot read "${part}"`);
    const step = m[2] === undefined ? 1 : Number(m[2]);
    if (step < 1) throw new CronError(`${rule.name}: step must be at least 1 in "${part}"`);
    let start: number;
    let end: number;
    if (m[1] === '*') {
      start = rule.min;
      end = rule.name === 'day of week' ? 6 : rule.max;
    } else if (m[1].includes('-')) {
      const [a, b, ...rest] = m[1].split('-');
      if (a === undefined || b === undefined || rest.length > 0) throw new CronError(`${rule.name}: cannot read range "${m[1]}"`);
      start = parseValue(a, rule);
      end = parseValue(b, rule);
      if (end < start) throw new CronError(`${rule.name}: range "${m[1]}" ends before it starts`);
    } else {
      start = parseValue(m[1], rule);
      // "a/n" means from a to the end of the field, every n.
      end = m[2] === undefined ? start : rule.name === 'day of week' ? 6 : rule.max;
    }
    ranges.push({ start, end, step });
  }
  const all = text.startsWith('*');
  return { ranges: rule.name === 'day of week' ? foldSunday(ranges) : ranges, all };
}

/** Day 7 is Sunday: move it to 0 so the server (0-6) accepts it. */
function foldSunday(ranges: NumRange[]): NumRange[] {
  const out: NumRange[] = [];
  for (const r of ranges) {
    if (r.end < 7) {
      out.push(r);
      continue;
    }
    if (r.start <= 6) out.push({ start: r.start, end: 6, step: r.step });
    if ((7 - r.start) % r.step === 0) out.push({ start: 0, end: 0, step: 1 });
  }
  return out;
}

const month = (r: NumRange): Range<Month> => ({ start: MONTHS[r.start - 1] as Month, end: MONTHS[r.end - 1] as Month, step: r.step });
const weekday = (r: NumRange): Range<DayOfWeek> => ({ start: DAYS_OF_WEEK[r.start] as DayOfWeek, end: DAYS_OF_WEEK[r.end] as DayOfWeek, step: r.step });

/** The calendars one five-field cron expression stands for. Throws CronError naming the field. */
export function cronToCalendars(cron: string): CalendarSpecDescription[] {
  const parts = cron.trim().split(/\s+/);
  if (parts.length !== 5) throw new CronError(`expected five fields (minute hour day-of-month month day-of-week), found ${parts.length}`);
  const [minute, hour, dom, mon, dow] = parts.map((p, i) => parseField(p, FIELDS[i] as FieldRule)) as [
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
  ];
  const base = {
    second: [{ start: 0, end: 0, step: 1 }],
    minute: minute.ranges,
    hour: hour.ranges,
    month: mon.ranges.map(month),
    year: [],
    comment: '',
  };
  const anyDom = [{ start: 1, end: 31, step: 1 }];
  const anyDow = [weekday({ start: 0, end: 6, step: 1 })];
  if (dom.all || dow.all) {
    // Cron's "either day field" rule applies only when neither starts with "*": here both must match.
    return [{ ...base, dayOfMonth: dom.ranges, dayOfWeek: dow.ranges.map(weekday) }];
  }
  // Both restricted: cron fires on either, so one calendar for each.
  return [
    { ...base, dayOfMonth: dom.ranges, dayOfWeek: anyDow },
    { ...base, dayOfMonth: anyDom, dayOfWeek: dow.ranges.map(weekday) },
  ];
}

/** True when `tz` is an IANA time zone this runtime knows (the server uses the same database). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
