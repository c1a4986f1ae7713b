// The search page's photo-metadata controls in headless Chromium against the real server, on a
// library of its own whose capture dates, camera and keywords are known: sort by date taken, the
// taken-from/to range (both kept in the URL), the info panel, and the "matched by" chips.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.ts';
import { imageWithMetadata } from '../helpers/photo-metadata-bytes.ts';
import { DEMO, MODEL_DIR, REPO, removeFixture, startTestServer, type TestServer } from './server-harness.ts';

const ARTIFACTS = path.join(REPO, 'test-artifacts');
const KEYWORD = 'marigoldfest';

interface Photo {
  readonly file: string;
  readonly source: string;
  readonly meta: Parameters<typeof imageWithMetadata>[1];
  readonly mtime?: string;
  /** The capture day we expect back (yyyy-mm-dd) and where it comes from. */
  readonly taken: string;
  readonly from: string;
}

const PHOTOS: readonly Photo[] = [
  {
    file: 'canon.jpg',
    source: 'airplane-emojione.png',
    meta: {
      exif: {
        make: 'Canon',
        model: 'Canon EOS 5D',
        dateTimeOriginal: '2015:03:02 10:00:00',
        gps: { lat: 48.8584, lon: 2.2945 },
      },
    },
    taken: '2015-03-02',
    from: 'exif',
  },
  {
    file: 'parade.jpg',
    source: 'anchor-fluent-emoji-flat.png',
    meta: {
      exif: { dateTimeOriginal: '2019:07:14 18:30:00' },
      xmp: { keywords: [KEYWORD, 'parade'], description: 'Street parade in the old town' },
    },
    taken: '2019-07-14',
    from: 'exif',
  },
  {
    file: 'old.jpg',
    source: 'alembic-twemoji.png',
    meta: { xmp: { createDate: '2012-05-20T09:00:00' } },
    taken: '2012-05-20',
    from: 'xmp',
  },
  {
    file: 'recent.jpg',
    source: 'admission-tickets-twemoji.png',
    meta: { exif: { dateTimeOriginal: '2021:11:30 08:15:00' } },
    taken: '2021-11-30',
    from: 'exif',
  },
  {
    file: 'plain.jpg',
    source: '3rd-place-medal-fluent-emoji-flat.png',
    meta: {},
    mtime: '2017-06-01T12:00:00Z',
    taken: '2017-06-01',
    from: 'file',
  },
];

interface Hit {
  readonly id: number;
  readonly uri: string;
  readonly takenAt: string | null;
  readonly takenAtSource: string;
  readonly scores: { readonly vector: number | null; readonly keyword: number | null };
}

describe('browser e2e: photo metadata on the search page', function () {
  this.timeout(120_000);
  let tmp: string;
  let t: TestServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'clipdex-e2e-meta-'));
    const images = path.join(tmp, 'images');
    await mkdir(images, { recursive: true });
    for (const p of PHOTOS) {
      const bytes = await imageWithMetadata(
        'jpeg',
        p.meta,
        await readFile(path.join(DEMO, 'images', p.source)),
      );
      await writeFile(path.join(images, p.file), bytes);
      const when = new Date(p.mtime ?? '2024-01-01T00:00:00Z');
      await utimes(path.join(images, p.file), when, when);
    }
    const library = path.join(tmp, 'library');
    await promisify(execFile)(
      process.execPath,
      [
        path.join(REPO, 'bin/clipdex.js'),
        'index',
        images,
        '--library',
        library,
        '--model',
        MODEL_DIR,
        '--threads',
        '1',
        '--json',
      ],
      { cwd: REPO },
    );
    t = await startTestServer(library);
    await mkdir(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    if (tmp) await removeFixture(tmp);
  });
  afterEach(() => {
    expect(problems, 'no page errors').to.deep.equal([]);
  });

  const api = async (params: Record<string, string>) => {
    const res = await fetch(`${t.base}/api/search?${new URLSearchParams(params).toString()}`);
    expect(res.status).to.equal(200);
    return ((await res.json()) as { results: Hit[] }).results;
  };
  // Browser-side code is passed as strings: this project type-checks without DOM typings.
  const cardUris = () =>
    page.evaluate<string[]>(
      `[...document.querySelectorAll('#results .card .uri')].map((e) => e.textContent)`,
    );
  const cardsSettled = async (count: number) => {
    const deadline = Date.now() + 15_000;
    while (
      (await page.locator('#results .card').count()) !== count ||
      (await page.locator('#results[aria-busy]').count()) > 0
    ) {
      if (Date.now() > deadline) {
        throw new Error(`expected ${count} cards, have ${await page.locator('#results .card').count()}`);
      }
      await page.waitForTimeout(50);
    }
  };
  const base = (uri: string) => uri.split('/').pop()!;

  it('sorts by date taken (kept in the URL): the cards follow the capture dates', async () => {
    await page.goto(`${t.base}/?q=${encodeURIComponent('a picture')}`);
    await cardsSettled(PHOTOS.length);
    expect(await page.locator('#sort').inputValue()).to.equal('score');
    await page.locator('#sort').selectOption('taken');
    await page.waitForURL((u) => u.searchParams.get('sort') === 'taken');
    await cardsSettled(PHOTOS.length);
    const shown = (await cardUris()).map(base);
    const hits = await api({ q: 'a picture', sort: 'taken' });
    expect(shown).to.deep.equal(hits.map((h) => base(h.uri)));
    // Every capture date came back from where it was written, and the page shows them in date order.
    const byFile = new Map(hits.map((h) => [base(h.uri), h]));
    for (const p of PHOTOS) {
      expect(byFile.get(p.file)?.takenAt?.slice(0, 10), p.file).to.equal(p.taken);
      expect(byFile.get(p.file)?.takenAtSource, p.file).to.equal(p.from);
    }
    const days = shown.map((f) => PHOTOS.find((p) => p.file === f)!.taken);
    const sorted = [...days].sort();
    expect(days).to.satisfy(
      (d: string[]) => d.join() === sorted.join() || d.join() === [...sorted].reverse().join(),
    );
    // Reloading the URL restores the control.
    await page.reload();
    await cardsSettled(PHOTOS.length);
    expect(await page.locator('#sort').inputValue()).to.equal('taken');
  });

  it('filters by a taken-from/to range, kept in the URL and sent to the API', async () => {
    await page.goto(`${t.base}/?q=${encodeURIComponent('a picture')}`);
    await cardsSettled(PHOTOS.length);
    await page.locator('#taken-after').fill('2014-01-01');
    await page.waitForURL((u) => u.searchParams.get('takenAfter') === '2014-01-01');
    await cardsSettled(PHOTOS.filter((p) => p.taken >= '2014-01-01').length);
    await page.locator('#taken-before').fill('2019-07-14'); // inclusive: the parade, taken that evening, stays
    await page.waitForURL((u) => u.searchParams.get('takenBefore') === '2019-07-14');
    await cardsSettled(3);
    expect((await cardUris()).map(base).sort()).to.deep.equal(['canon.jpg', 'parade.jpg', 'plain.jpg']);
    await page.reload();
    await cardsSettled(3);
    expect(await page.locator('#taken-after').inputValue()).to.equal('2014-01-01');
    expect(await page.locator('#taken-before').inputValue()).to.equal('2019-07-14');
  });

  it('a words-only search shows a "words" chip; hybrid marks the same photo as picture + words', async () => {
    await page.goto(`${t.base}/?q=${KEYWORD}&mode=keyword`);
    await cardsSettled(1);
    expect(await page.locator('#mode').inputValue()).to.equal('keyword');
    expect(base((await cardUris())[0]!)).to.equal('parade.jpg');
    const chip = page.locator('#results .card .matched');
    expect(await chip.getAttribute('data-by')).to.equal('words');
    expect(await chip.textContent()).to.equal('words');
    expect(await chip.getAttribute('title')).to.include('keywords');

    await page.goto(`${t.base}/?q=${KEYWORD}`);
    await cardsSettled(PHOTOS.length);
    const hits = await api({ q: KEYWORD });
    const chips = await page.evaluate<string[]>(
      `[...document.querySelectorAll('#results .card')].map((c) => c.querySelector('.matched')?.dataset.by ?? '')`,
    );
    const expected = hits.map((h) =>
      h.scores.vector !== null && h.scores.keyword !== null
        ? 'both'
        : h.scores.keyword !== null
          ? 'words'
          : 'picture',
    );
    expect(chips).to.deep.equal(expected);
    expect(expected[hits.findIndex((h) => base(h.uri) === 'parade.jpg')]).to.not.equal('picture');
    expect(expected.filter((e) => e === 'picture')).to.have.length(PHOTOS.length - 1);
  });

  it('the info panel (keyboard reachable) shows the capture date and source, camera, place, keywords and file facts', async () => {
    await page.goto(`${t.base}/?q=${encodeURIComponent('a picture')}`);
    await cardsSettled(PHOTOS.length);
    const uris = (await cardUris()).map(base);
    const parade = page.locator('#results .card').nth(uris.indexOf('parade.jpg'));
    await parade.locator('.info').focus();
    await page.keyboard.press('Enter');
    const panel = page.locator('#info');
    await panel.waitFor({ state: 'visible' });
    expect(await panel.locator('h2').textContent()).to.equal('parade.jpg');
    expect(await panel.locator('[data-fact=taken]').textContent()).to.match(
      /^2019-07-14 18:30 \(from EXIF\)$/,
    );
    expect(await panel.locator('[data-fact=keywords] .tag').allTextContents()).to.deep.equal([
      KEYWORD,
      'parade',
    ]);
    expect(await panel.locator('[data-fact=description]').textContent()).to.equal(
      'Street parade in the old town',
    );
    expect(await panel.locator('[data-fact=size]').textContent()).to.match(
      /^\d+(\.\d)? (B|KB) · \d+ × \d+ · jpeg$/,
    );
    await page.screenshot({ path: path.join(ARTIFACTS, 'browser-metadata-info.png'), fullPage: false });
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'hidden' });
    expect(await page.evaluate<string | undefined>(`document.activeElement?.className`)).to.equal('info');

    const canon = page.locator('#results .card').nth(uris.indexOf('canon.jpg'));
    await canon.locator('.info').click();
    await panel.waitFor({ state: 'visible' });
    expect(await panel.locator('[data-fact=camera]').textContent()).to.include('Canon EOS 5D');
    expect(await panel.locator('[data-fact=place]').textContent()).to.match(/^48\.858\d+, 2\.294\d+$/);
    expect(await panel.locator('[data-fact=taken]').textContent()).to.match(
      /^2015-03-02 10:00 \(from EXIF\)$/,
    );
    await panel.locator('.info-close').click();
    await panel.waitFor({ state: 'hidden' });

    const plain = page.locator('#results .card').nth(uris.indexOf('plain.jpg'));
    await plain.locator('.info').click();
    await panel.waitFor({ state: 'visible' });
    expect(await panel.locator('[data-fact=taken]').textContent()).to.include('(from file modified time)');
    expect(await panel.locator('[data-fact=keywords]').count()).to.equal(0);
    await page.keyboard.press('Escape');
    await page.screenshot({ path: path.join(ARTIFACTS, 'browser-metadata-grid.png'), fullPage: false });
  });
});
