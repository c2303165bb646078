// The page's template tag: data is text unless it is already markup; hrefs only take http(s).
import { describe, expect, it } from 'vitest';
import { escapeHtml, html, safeUrl } from '../../../report/page/html';
import { humanSize, relativeTime } from '../../../report/page/format';

describe('html tag', () => {
  it('escapes every interpolated string, in text and in attributes', () => {
    const evil = `"><script>alert('x')</script>&`;
    const out = html`<p title="${evil}">${evil}</p>`.value;
    expect(out).toBe('<p title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;</p>');
    expect(out).not.toContain('<script>');
  });

  it('keeps nested templates as markup and renders lists, skipping null/undefined/booleans', () => {
    const items = ['a<b', 'c'].map((t) => html`<li>${t}</li>`);
    expect(html`<ul>${items}${null}${undefined}${false}${0}</ul>`.value).toBe('<ul><li>a&lt;b</li><li>c</li>0</ul>');
  });

  it('escapes backticks too (old IE attribute quirk)', () => {
    expect(escapeHtml('`')).toBe('&#96;');
  });

  it('refuses non-http URLs in links', () => {
    expect(safeUrl('javascript:alert(1)')).toBe('#');
    expect(safeUrl(' JaVaScRiPt:alert(1)')).toBe('#');
    expect(safeUrl('data:text/html,x')).toBe('#');
    expect(safeUrl('not a url')).toBe('#');
    expect(safeUrl(null)).toBe('#');
    expect(safeUrl('https://example.org/a b')).toBe('https://example.org/a%20b');
  });
});

describe('formatting', () => {
  const now = new Date('2026-11-22T12:00:00Z');
  it('says how long ago, in words', () => {
    expect(relativeTime('2026-11-22T11:59:30Z', now)).toBe('just now');
    expect(relativeTime('2026-11-22T11:55:00Z', now)).toBe('5 minutes ago');
    expect(relativeTime('2026-11-22T09:00:00Z', now)).toBe('3 hours ago');
    expect(relativeTime('2026-11-21T10:00:00Z', now)).toBe('yesterday');
    expect(relativeTime('2026-11-08T12:00:00Z', now)).toBe('2 weeks ago');
    expect(relativeTime('garbage', now)).toBe('garbage');
  });
  it('sizes in binary units', () => {
    expect(humanSize(512)).toBe('512 bytes');
    expect(humanSize(536_870_912)).toBe('512 MiB');
    expect(humanSize(1_288_490_189)).toBe('1.2 GiB');
  });
});
