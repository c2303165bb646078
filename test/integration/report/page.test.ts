// The catalogue's page in a real browser (Debian's Chromium through playwright-core): it lists
// the images grouped by release, the copy buttons put ids on the clipboard, launch and download
// links are right, data from messages cannot inject markup, the strict CSP holds (no console
// errors), and without JavaScript everything but copying still works. Saves a screenshot to
// test-artifacts/catalogue.png for a human look.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../scripts/stack/paths';
import { createCatalogue, type Catalogue } from '../../../report/service';
import { amiFor, bodies, imageIdOf, lifecycle, message, REGIONS, type BuildRef } from '../../unit/report/fixtures';
import { seed, tempDatabase, testKeys, type TempDatabase } from './helpers';

const NOW = new Date('2026-11-22T12:00:00Z');
const XSS = '<img src=x onerror="window.__pwned=1">';

const ec2Rawhide: BuildRef = { family: 'Cloud-Base-AmazonEC2', subvariant: 'Cloud_Base', release: 'rawhide', label: '20261122.n.0', kind: 'nightly' };
const genericRawhide: BuildRef = { family: 'Cloud-Base-Generic', subvariant: 'Cloud_Base', release: 'rawhide', label: '20261122.n.0', kind: 'nightly' };
const generic44: BuildRef = { family: 'Cloud-Base-Generic', subvariant: 'Cloud_Base', release: 44, label: '1.7', kind: 'rc' };
const ec2_44: BuildRef = { family: 'Cloud-Base-AmazonEC2', subvariant: 'Cloud_Base', release: 44, label: '1.7', kind: 'rc' };
const weekly44: BuildRef = { family: 'Cloud-Base-Generic', subvariant: 'Cloud_Base', release: 44, label: '20261116.weekly', kind: 'weekly' };

let db: TempDatabase;
let cat: Catalogue;
let base: string;
let browser: Browser;

beforeAll(async () => {
  db = await tempDatabase('sqlite');
  cat = await createCatalogue({ database: db.spec, publicUrl: 'http://127.0.0.1:18088', now: () => NOW });
  const keys = testKeys();
  await seed(cat.store, keys, lifecycle(generic44, ['x86_64', 'aarch64'], { downloads: true, glance: true }), new Date('2026-11-10T14:00:00Z'));
  await seed(cat.store, keys, lifecycle(ec2_44, ['x86_64', 'aarch64'], { downloads: true, ec2: true }), new Date('2026-11-10T15:00:00Z'));
  await seed(cat.store, keys, [message('official', bodies.official(generic44)), message('official', bodies.official(ec2_44))], new Date('2026-11-12T09:00:00Z'));
  await seed(cat.store, keys, lifecycle(weekly44, ['x86_64'], { downloads: true }), new Date('2026-11-16T06:00:00Z'));
  await seed(cat.store, keys, lifecycle(genericRawhide, ['x86_64', 'aarch64'], { downloads: true, glance: true }), new Date('2026-11-22T04:10:00Z'));
  // Rawhide EC2: x86_64 everywhere; aarch64 with one region failing (its error text is hostile).
  const x86 = lifecycle(ec2Rawhide, ['x86_64'], { downloads: true, ec2: true }).slice(0, -1);
  await seed(cat.store, keys, x86, new Date('2026-11-22T09:05:00Z'));
  const arm = bodies.aws(ec2Rawhide, 'aarch64', REGIONS.slice(0, 4));
  const x86Aws = bodies.aws(ec2Rawhide, 'x86_64', REGIONS);
  await seed(
    cat.store,
    keys,
    [
      message('buildFinished', bodies.buildFinished(ec2Rawhide, ['aarch64'], 777001)),
      message('aws', arm),
      message(
        'complete',
        bodies.complete(
          ec2Rawhide,
          {
            x86_64: [{ destination: 'ec2', status: 'published', regions: x86Aws.regions }],
            aarch64: [{ destination: 'ec2', status: 'failed', regions: arm.regions, failed_regions: { 'eu-central-1': XSS } }],
          },
          'partial',
        ),
      ),
    ],
    new Date('2026-11-22T09:20:00Z'),
  );
  base = await cat.listen('127.0.0.1', 0);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
});

afterAll(async () => {
  await browser?.close();
  await cat?.close();
  await db?.drop();
});

describe('the catalogue page in Chromium', () => {
  it('lists images by release, copies ids, links to launch and download, and looks right', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, permissions: ['clipboard-read', 'clipboard-write'], colorScheme: 'light' });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await page.goto(base);

    expect(await page.locator('h1').textContent()).toBe('Fedora images');
    expect(await page.locator('section.release h2').allTextContents()).toEqual(['Fedora Rawhide', 'Fedora 44']);
    expect(await page.locator('#release-44 .release-head .badge-official').textContent()).toContain('official');
    expect(await page.locator('#release-rawhide article.card').count()).toBe(4); // 2 families x 2 arches
    expect(await page.locator(`[data-image-id="${imageIdOf(generic44, 'x86_64')}"] .badge-release`).textContent()).toBe('release');
    expect(await page.locator(`[data-image-id="${imageIdOf(weekly44, 'x86_64')}"] .badge-weekly`).count()).toBe(1);
    const when = page.locator(`[data-image-id="${imageIdOf(ec2Rawhide, 'x86_64')}"] .when time`);
    expect(await when.textContent()).toBe('3 hours ago');

    // Copy an AMI id: the button says so and the clipboard holds exactly the id.
    const x86 = page.locator(`[data-image-id="${imageIdOf(ec2Rawhide, 'x86_64')}"]`);
    const ami = amiFor(`${ec2Rawhide.family}${ec2Rawhide.label}x86_64us-west-2`);
    const row = x86.locator('tr', { hasText: 'us-west-2' });
    expect(await row.locator('code').textContent()).toBe(ami);
    const button = row.locator('button.copy');
    await button.click();
    await expect.poll(() => button.getAttribute('data-copied')).toBe('true');
    expect(await button.textContent()).toBe('Copied ✓');
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(ami);
    expect(await row.locator('a.launch').getAttribute('href')).toBe(
      `https://us-west-2.console.aws.amazon.com/ec2/home?region=us-west-2#LaunchInstances:ami=${ami}`,
    );

    // Downloads: a link per file, with size and a copyable SHA-256.
    const file = x86.locator('.files li', { hasText: '.qcow2' });
    expect(await file.locator('a.file').getAttribute('href')).toBe(
      'http://127.0.0.1:18088/downloads/rawhide/Cloud-Base-AmazonEC2/x86_64/images/Fedora-Cloud-Base-AmazonEC2-Rawhide-20261122.n.0.x86_64.qcow2',
    );
    expect(await file.locator('.size').textContent()).toBe('512 MiB');
    await file.locator('button.copy').click();
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toMatch(/^[0-9a-f]{64}$/);

    // The failed region's hostile error is shown as text, never run.
    const arm = page.locator(`[data-image-id="${imageIdOf(ec2Rawhide, 'aarch64')}"]`);
    expect(await arm.locator('.badge-status').textContent()).toBe('partly published');
    expect(await arm.locator('tr.row-failed .detail').textContent()).toBe(XSS);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(problems).toEqual([]);

    mkdirSync(join(REPO_ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(REPO_ROOT, 'test-artifacts', 'catalogue.png'), fullPage: true });
    await arm.locator('xpath=ancestor::article').screenshot({ path: join(REPO_ROOT, 'test-artifacts', 'catalogue-card.png') });
    await context.close();
  });

  it('works without JavaScript, except copying', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(base);
    expect(await page.locator('article.card').count()).toBe(8);
    expect(await page.locator('button.copy').first().isVisible()).toBe(false);
    expect(await page.locator('code.id').first().isVisible()).toBe(true);
    expect(await page.locator('a.launch').first().isVisible()).toBe(true);
    await context.close();
  });
});
