import { describe, expect, it } from 'vitest';
import { checkBearer } from '../../../report/http/bearer';

describe('checkBearer', () => {
  const token = 'correct-horse-battery-staple';
  it('accepts the exact token, case-insensitive scheme', () => {
    expect(checkBearer(`Bearer ${token}`, token)).toBe('ok');
    expect(checkBearer(`bearer ${token}`, token)).toBe('ok');
  });
  it('refuses a missing, malformed, wrong, prefix or longer token', () => {
    expect(checkBearer(undefined, token)).toBe('missing');
    expect(checkBearer('', token)).toBe('missing');
    expect(checkBearer(token, token)).toBe('invalid');
    expect(checkBearer('Basic Zm9vOmJhcg==', token)).toBe('invalid');
    expect(checkBearer('Bearer correct-horse', token)).toBe('invalid');
    expect(checkBearer(`Bearer ${token}x`, token)).toBe('invalid');
    expect(checkBearer(`Bearer ${token} extra`, token)).toBe('invalid');
  });
  it('never accepts anything when no token is configured', () => {
    expect(checkBearer('Bearer x', '')).toBe('invalid');
  });
});
