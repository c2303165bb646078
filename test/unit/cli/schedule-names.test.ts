// Nightly and weekly names carry the slot's date as the schedule's time zone sees it: a slot late
// in the evening west of Greenwich is already the next day in UTC.
import { describe, expect, it } from 'vitest';
import { compactDate, scheduledBuildName } from '../../../domain/build-names';

describe('scheduled build names', () => {
  it('a nightly at 23:30 America/New_York on 2026-11-22 is named 20261122, not the UTC date 20261123', () => {
    const slot = new Date('2026-11-23T04:30:00Z'); // 23:30 EST (UTC-5) on the 22nd
    expect(scheduledBuildName('nightly', 'rawhide', slot, 'America/New_York')).toEqual({ version: 'Rawhide', label: '20261122.n.0' });
    expect(scheduledBuildName('nightly', 'rawhide', slot, 'UTC')).toEqual({ version: 'Rawhide', label: '20261123.n.0' });
  });

  it('a weekly east of Greenwich takes the local date too', () => {
    // Monday 00:30 in Prague (UTC+1 in winter) is still Sunday evening in UTC.
    expect(scheduledBuildName('weekly', '44', new Date('2026-11-22T23:30:00Z'), 'Europe/Prague')).toEqual({ version: '44', label: '20261123.weekly' });
  });

  it('follows daylight saving time: 23:30 New York in July is 03:30 UTC the next day', () => {
    expect(compactDate(new Date('2026-07-15T03:30:00Z'), 'America/New_York')).toBe('20260714');
    expect(compactDate(new Date('2026-07-15T03:29:00Z'))).toBe('20260715');
  });

  it('defaults to UTC, as schedules synced before the zone was passed expect', () => {
    expect(scheduledBuildName('nightly', '44', new Date('2026-11-23T04:30:00Z'))).toEqual({ version: '44', label: '20261123.n.0' });
  });

  it('an unknown zone is an error, not a silent UTC date', () => {
    expect(() => compactDate(new Date(), 'Mars/Olympus')).toThrow(RangeError);
  });
});
