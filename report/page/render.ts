// The catalogue's HTML page, rendered on the server: releases newest first (Rawhide on top), a
// card per family and architecture with its current images, AMIs per region with copy buttons and
// launch links, Glance ids, downloads with checksums. Everything data-derived goes through the
// escaping `html` tag; the page works without JavaScript (copy buttons only appear with it).
import { archOrder } from '../../domain/arches';
import { compareReleases, type DestinationView, type ImageKind, type ImageView, type OfficialRelease } from '../model';
import { absoluteTime, humanSize, relativeTime } from './format';
import { html, safeUrl, type SafeHtml } from './html';

export interface PageInput {
  images: readonly ImageView[];
  official: readonly OfficialRelease[];
  now: Date;
  /** Links to the machine-readable side, shown in the footer. */
  links?: { api: string; streams: string };
}

const KIND_ORDER: readonly ImageKind[] = ['release', 'rc', 'respin', 'weekly', 'nightly'];
const KIND_LABEL: Record<ImageKind, string> = { release: 'release', rc: 'release candidate', respin: 'respin', weekly: 'weekly', nightly: 'nightly' };
const STATUS_LABEL: Record<ImageView['status'], string> = {
  built: 'built',
  publishing: 'publishing',
  complete: 'published',
  partial: 'partly published',
  failed: 'failed',
};

export function renderPage(input: PageInput): string {
  const releases = groupBy(input.images, (i) => i.release);
  const order = [...releases.keys()].sort(compareReleases);
  const official = new Map(input.official.map((o) => [o.release, o]));
  const total = input.images.length;
  const doc = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fedora images</title>
<meta name="description" content="Current Fedora cloud images: AMIs per region, OpenStack images and downloads with checksums.">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/catalogue.css">
<link rel="alternate" type="application/json" href="/api/v1/images">
<script src="/assets/catalogue.js" defer></script>
</head>
<body>
<header class="top">
  <div class="wrap">
    <div class="brand"><span class="logo" aria-hidden="true">f</span><h1>Fedora images</h1></div>
    <p class="lede">The newest images from Fedora's build pipeline, as announced on the message bus: Amazon EC2 AMIs in every region, OpenStack images and downloads with their checksums.</p>
    ${
      order.length > 0
        ? html`<nav class="jump" aria-label="Releases">${order.map(
            (r) => html`<a href="#release-${r}" class="chip${official.has(r) ? ' chip-official' : ''}">${releaseTitle(r, true)}${official.has(r) ? html`<span class="tick" aria-label="official"> ✓</span>` : ''}</a>`,
          )}</nav>`
        : ''
    }
  </div>
</header>
<main class="wrap">
${
  total === 0
    ? html`<section class="empty"><h2>No images yet</h2><p>Images appear here as soon as the pipeline announces them on the bus: a nightly build, a weekly refresh or a release candidate.</p></section>`
    : order.map((r) => renderRelease(r, releases.get(r) ?? [], official.get(r), input.now))
}
</main>
<footer class="bottom">
  <div class="wrap">
    <p>Updated <time datetime="${input.now.toISOString()}">${absoluteTime(input.now.toISOString())}</time>. ${total} current image${total === 1 ? '' : 's'}.</p>
    <p>Machine-readable: <a href="${input.links?.api ?? '/api/v1/images'}">JSON API</a> · <a href="${input.links?.streams ?? '/streams/v1/index.json'}">simplestreams index</a> · <a href="/metrics">metrics</a></p>
  </div>
</footer>
</body>
</html>
`;
  return doc.value;
}

function renderRelease(release: string, images: readonly ImageView[], official: OfficialRelease | undefined, now: Date): SafeHtml {
  // One card per family and architecture; inside it, one block per kind (release first).
  const cards = groupBy(images, (i) => `${i.family}\u0000${i.arch}`);
  const keys = [...cards.keys()].sort((a, b) => {
    const [fa = '', aa = ''] = a.split('\u0000');
    const [fb = '', ab = ''] = b.split('\u0000');
    return fa.localeCompare(fb) || archOrder(aa) - archOrder(ab);
  });
  return html`<section class="release" id="release-${release}" aria-labelledby="release-${release}-title">
  <header class="release-head">
    <h2 id="release-${release}-title">${releaseTitle(release)}</h2>
    ${
      official
        ? html`<span class="badge badge-official" title="Marked official ${absoluteTime(official.markedAt)}${official.markedBy ? ` by ${official.markedBy}` : ''}">✓ official${official.version ? ` ${official.version}` : ''}</span>`
        : ''
    }
    <span class="count">${images.length} image${images.length === 1 ? '' : 's'}</span>
  </header>
  <div class="cards">
    ${keys.map((k) => renderCard(cards.get(k) ?? [], now))}
  </div>
</section>
`;
}

function renderCard(images: readonly ImageView[], now: Date): SafeHtml {
  const sorted = [...images].sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
  const first = sorted[0];
  if (!first) return html``;
  return html`<article class="card" data-family="${first.family}" data-arch="${first.arch}">
  <header class="card-head">
    <h3>${first.family}</h3>
    <span class="arch">${first.arch}</span>
  </header>
  ${sorted.map((img) => renderImage(img, now))}
</article>
`;
}

function renderImage(img: ImageView, now: Date): SafeHtml {
  const ec2 = img.destinations.filter((d) => d.type === 'ec2');
  const glance = img.destinations.filter((d) => d.type === 'glance');
  const downloads = img.destinations.filter((d) => d.type === 'download').sort((a, b) => a.ref.localeCompare(b.ref));
  return html`<div class="image" id="image-${img.id}" data-image-id="${img.id}" data-kind="${img.kind}">
    <div class="image-head">
      <span class="badge badge-${img.kind}">${KIND_LABEL[img.kind]}</span>
      ${img.official ? html`<span class="badge badge-official">✓ official</span>` : ''}
      ${img.status !== 'complete' ? html`<span class="badge badge-status badge-status-${img.status}">${STATUS_LABEL[img.status]}</span>` : ''}
      <span class="when"><time datetime="${img.createdAt}" title="${absoluteTime(img.createdAt)}">${relativeTime(img.createdAt, now)}</time></span>
    </div>
    <p class="version"><span class="label">version</span> <code>${img.version}</code>${
      img.composeId && img.composeId !== `Fedora-${img.version}` ? html` <span class="sep">·</span> <span class="label">compose</span> <code>${img.composeId}</code>` : ''
    }${img.kojiTaskId !== null ? html` <span class="sep">·</span> <span class="label">Koji task</span> <code>${img.kojiTaskId}</code>` : ''}</p>
    ${ec2.length > 0 ? renderEc2(ec2) : ''}
    ${glance.length > 0 ? renderGlance(glance) : ''}
    ${downloads.length > 0 ? renderDownloads(downloads) : ''}
    <p class="more"><a href="/api/v1/images/${encodeURIComponent(img.id)}">JSON</a> · <a href="/api/v1/images/${encodeURIComponent(img.id)}/history">history</a></p>
  </div>
`;
}

function renderEc2(ds: readonly DestinationView[]): SafeHtml {
  return html`<div class="dest dest-ec2">
      <h4>Amazon EC2 <span class="dest-count">${regionCount(ds)}</span></h4>
      <table class="amis">
        <thead><tr><th scope="col">Region</th><th scope="col">AMI</th><th scope="col"><span class="vh">Actions</span></th></tr></thead>
        <tbody>
        ${ds.map((d) =>
          d.state === 'failed' || d.state === 'removed'
            ? html`<tr class="row-${d.state}"><th scope="row">${d.location}</th><td colspan="2"><span class="state">${d.state}</span>${d.detail ? html` <span class="detail">${d.detail}</span>` : ''}</td></tr>`
            : html`<tr><th scope="row">${d.location}</th><td><code class="id">${d.ref}</code>${d.state === 'deprecated' ? html` <span class="state">deprecated</span>` : ''}</td><td class="actions">${copyButton(d.ref, `Copy AMI id for ${d.location}`)}<a class="launch" href="${safeUrl(d.launchUrl)}" rel="noopener" target="_blank" title="Launch ${d.ref} in the EC2 console (${d.location})">Launch ↗</a></td></tr>`,
        )}
        </tbody>
      </table>
    </div>`;
}

function renderGlance(ds: readonly DestinationView[]): SafeHtml {
  return html`<div class="dest dest-glance">
      <h4>OpenStack Glance</h4>
      <ul class="plain">
      ${ds.map((d) =>
        d.state === 'failed' || d.state === 'removed'
          ? html`<li class="row-${d.state}"><span class="where">${d.location}</span> <span class="state">${d.state}</span>${d.detail ? html` <span class="detail">${d.detail}</span>` : ''}</li>`
          : html`<li><span class="where">${d.location}</span> <code class="id">${d.ref}</code> ${copyButton(d.ref, `Copy Glance image id for ${d.location}`)}</li>`,
      )}
      </ul>
    </div>`;
}

function renderDownloads(ds: readonly DestinationView[]): SafeHtml {
  const files = ds.filter((d) => !isChecksumFile(d));
  const sums = ds.filter((d) => isChecksumFile(d) && d.state !== 'failed' && d.state !== 'removed');
  return html`<div class="dest dest-downloads">
      <h4>Downloads</h4>
      <ul class="files">
      ${files.map((d) =>
        d.state === 'failed' || d.state === 'removed'
          ? html`<li class="row-${d.state}"><span class="file">${d.ref === '' ? 'downloads' : d.ref}</span> <span class="state">${d.state}</span>${d.detail ? html` <span class="detail">${d.detail}</span>` : ''}</li>`
          : html`<li>
          <div class="file-line">${d.ftype ? html`<span class="ftype">${d.ftype}</span>` : ''}<a class="file" href="${safeUrl(d.url)}" download>${d.ref}</a>${d.size !== null ? html`<span class="size">${humanSize(d.size)}</span>` : ''}</div>
          ${d.sha256 ? html`<div class="sum"><span class="label">SHA-256</span> <code class="hash" title="${d.sha256}">${d.sha256.slice(0, 16)}…${d.sha256.slice(-8)}</code> ${copyButton(d.sha256, `Copy SHA-256 of ${d.ref}`)}</div>` : ''}
        </li>`,
      )}
      </ul>
      ${sums.map((d) => html`<p class="checksums">All checksums: <a href="${safeUrl(d.url)}">${d.ref}</a></p>`)}
    </div>`;
}

function isChecksumFile(d: DestinationView): boolean {
  return d.ftype === 'CHECKSUM' || /CHECKSUM$/i.test(d.ref);
}

function regionCount(ds: readonly DestinationView[]): string {
  const usable = ds.filter((d) => d.state === 'published' || d.state === 'deprecated').length;
  const plural = (n: number) => `${n} region${n === 1 ? '' : 's'}`;
  return usable === ds.length ? plural(usable) : `${plural(usable)} of ${ds.length}`;
}

/** Hidden until the script runs: without JavaScript, ids stay selectable text. */
function copyButton(text: string, label: string): SafeHtml {
  return html`<button type="button" class="copy" data-copy="${text}" aria-label="${label}" title="${label}" hidden>Copy</button>`;
}

function releaseTitle(release: string, short = false): string {
  if (release === 'rawhide') return short ? 'Rawhide' : 'Fedora Rawhide';
  return short ? `Fedora ${release}` : `Fedora ${release}`;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
