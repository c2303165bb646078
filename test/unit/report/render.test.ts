// The page renderer on its own: grouping and order, badges, relative times, the empty state.
import { describe, expect, it } from 'vitest';
import type { ImageView } from '../../../report/model';
import { renderPage } from '../../../report/page/render';

const NOW = new Date('2026-11-22T12:00:00Z');

function image(over: Partial<ImageView>): ImageView {
  return {
    id: 'x',
    family: 'Cloud-Base-Generic',
    release: 'rawhide',
    arch: 'x86_64',
    kind: 'nightly',
    version: 'Rawhide-20261122.n.0',
    composeId: 'Fedora-Rawhide-20261122.n.0',
    buildId: null,
    kojiTaskId: 5,
    subvariant: 'Cloud_Base',
    name: null,
    status: 'complete',
    official: false,
    createdAt: '2026-11-22T09:00:00.000Z',
    updatedAt: '2026-11-22T09:00:00.000Z',
    destinations: [],
    ...over,
  };
}

describe('renderPage', () => {
  it('says so when there is nothing yet', () => {
    const out = renderPage({ images: [], official: [], now: NOW });
    expect(out).toContain('No images yet');
    expect(out).toContain('0 current images.');
  });

  it('puts Rawhide first, then releases newest first, arches in the usual order', () => {
    const out = renderPage({
      images: [
        image({ id: 'a', release: '43' }),
        image({ id: 'b', release: '44', arch: 'aarch64' }),
        image({ id: 'c', release: '44' }),
        image({ id: 'd' }),
      ],
      official: [{ release: '44', version: '44-1.7', markedAt: '2026-11-12T09:00:00.000Z', markedBy: 'releng', note: null }],
      now: NOW,
    });
    const order = [...out.matchAll(/<h2 id="release-([^"]+)-title">/g)].map((m) => m[1]);
    expect(order).toEqual(['rawhide', '44', '43']);
    const arches = [...out.slice(out.indexOf('id="release-44"')).matchAll(/data-arch="([^"]+)"/g)].map((m) => m[1]).slice(0, 2);
    expect(arches).toEqual(['x86_64', 'aarch64']);
    expect(out).toContain('✓ official 44-1.7');
    expect(out).toContain('3 hours ago');
  });

  it('shows the state of an image that is not fully published', () => {
    const out = renderPage({ images: [image({ status: 'partial' })], official: [], now: NOW });
    expect(out).toContain('badge-status-partial">partly published<');
  });
});
