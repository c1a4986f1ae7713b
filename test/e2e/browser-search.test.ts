// The search page in headless Chromium against the real server: type words and see images,
// drop or pick a photo and see its captions, keyboard navigation, "more like this", infinite
// scroll and shareable URLs. Screenshots land in test-artifacts/ (git-ignored).
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { DEFAULT_PAGE_SIZE } from '../../src/defaults.ts';
import { launchChromium } from '../helpers/browser.ts';
import { REPO, sharedFixture, startTestServer, type Fixture, type TestServer } from './server-harness.ts';

const ARTIFACTS = path.join(REPO, 'test-artifacts');

describe('browser e2e: the search page', function () {
  this.timeout(180_000);
  let fx: Fixture;
  let t: TestServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    fx = await sharedFixture();
    t = await startTestServer(fx.libraryDir);
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
  });

  const apiCaptions = async (row: number) => {
    const bytes = await readFile(path.join(fx.corpus, fx.rows[row]!.image));
    const res = await fetch(`${t.base}/api/search?target=text&k=5`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: bytes,
    });
    return ((await res.json()) as { results: { text: string }[] }).results.map((h) => h.text);
  };
  const cards = (kind: 'image' | 'text') => page.locator(`#results .card.${kind}`);
  // Browser-side code is passed as strings: this project type-checks without DOM typings.
  const cardIds = () =>
    page.evaluate<string[]>(`[...document.querySelectorAll('#results .card')].map((e) => e.dataset.id)`);
  // Polls with CDP evaluation (waitForFunction would need 'unsafe-eval', which the page's CSP forbids).
  const until = async (expression: string, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await page.evaluate<boolean>(expression))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for: ${expression}`);
      await page.waitForTimeout(50);
    }
  };
  /** Opens the page on a search of its own, so each test runs alone (`--grep`) as well as in order. */
  const openSearch = async (query = fx.rows[3]!.captions[0]!) => {
    await page.goto(`${t.base}/?q=${encodeURIComponent(query)}`);
    await cards('image').first().waitFor();
  };
  const focused = (key: 'id' | 'index') =>
    page.evaluate<string | undefined>(`document.activeElement?.closest('.card')?.dataset.${key}`);

  it('type a query, press Enter, see image results with thumbnails and scores', async () => {
    await page.goto(t.base);
    expect(await page.locator('#empty').isVisible()).to.equal(true);
    const query = fx.rows[3]!.captions[0]!;
    await page.locator('#q').fill(query);
    await page.keyboard.press('Enter');
    await cards('image').first().waitFor();
    await until(
      "[...document.querySelectorAll('#results img')].slice(0, 8).every((i) => i.complete && i.naturalWidth > 0)",
    );
    expect(await cards('image').count()).to.be.at.least(8);
    const score = Number(await page.locator('#results .card .num').first().textContent());
    expect(score).to.be.within(-1, 1);
    expect(new URL(page.url()).searchParams.get('q')).to.equal(query);
    const uris = await page.locator('#results .card .uri').allTextContents();
    const api = (await (await fetch(`${t.base}/api/search?q=${encodeURIComponent(query)}&k=5`)).json()) as {
      results: { uri: string }[];
    };
    expect(uris.slice(0, 5)).to.deep.equal(api.results.map((h) => h.uri));
    await page.screenshot({ path: path.join(ARTIFACTS, 'browser-text-to-image.png'), fullPage: false });
  });

  it('scrolls to load every page (cursor paging), without duplicates', async () => {
    await openSearch();
    // Each scroll must make the page fetch and show more: wait for the cards, not for a fixed time.
    for (let i = 0; i < 10; i++) {
      const before = await cards('image').count();
      if (before >= fx.rows.length) break;
      await page.mouse.wheel(0, 4000);
      await until(`document.querySelectorAll('#results .card').length > ${before}`);
    }
    const ids = await cardIds();
    expect(ids).to.have.length(fx.rows.length);
    expect(new Set(ids).size).to.equal(ids.length);
  });

  it('is usable by keyboard: / focuses search, arrows move between results, Enter finds similar', async () => {
    await openSearch();
    await page.keyboard.press('/');
    expect(await page.evaluate('document.activeElement?.id')).to.equal('q');
    await page.locator('#results .pick').first().focus();
    await page.keyboard.press('ArrowRight');
    expect(await focused('index')).to.equal('1');
    await page.keyboard.press('ArrowDown');
    const below = Number(await focused('index'));
    expect(below).to.be.above(1);
    const id = await focused('id');
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.searchParams.get('like') === id);
    await page.locator('#like-chip').waitFor();
    await cards('image').first().waitFor();
    const firstIds = await cardIds();
    expect(firstIds).to.not.include(id);
  });

  it('refines with "less like this" / "more like this": a weighted query, shown in the URL', async () => {
    const top = (await (
      await fetch(`${t.base}/api/search?q=${encodeURIComponent(fx.rows[3]!.captions[0]!)}&k=1`)
    ).json()) as { results: { id: number }[] };
    const like = String(top.results[0]!.id);
    await page.goto(`${t.base}/?like=${like}`);
    await page.locator('#like-chip').waitFor();
    await cards('image').first().waitFor();
    const [first, second] = await cardIds();
    await page.locator('#results .card').first().locator('.less').click();
    await page.waitForURL((u) => u.searchParams.get('less') === first);
    await page.locator('#tune-chip').waitFor();
    await until(
      `document.querySelectorAll('#results .card').length > 0 && ![...document.querySelectorAll('#results .card')].some((e) => e.dataset.id === '${first}')`,
    );
    await page.locator(`#results .card[data-id="${second}"] .more`).click();
    await page.waitForURL((u) => u.searchParams.get('more') === second);
    await until(
      `![...document.querySelectorAll('#results .card')].some((e) => e.dataset.id === '${second}')`,
    );
    // The page asks exactly what the API documents: the base item plus the weighted refinements.
    const terms = [
      { itemId: Number(like) },
      { itemId: Number(second), weight: 0.5 },
      { itemId: Number(first), weight: -0.5 },
    ];
    const api = (await (
      await fetch(`${t.base}/api/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ terms }),
      })
    ).json()) as { results: { id: number }[] };
    await until(
      `document.querySelectorAll('#results .card').length >= ${Math.min(DEFAULT_PAGE_SIZE, api.results.length)}`,
    );
    expect((await cardIds()).slice(0, DEFAULT_PAGE_SIZE)).to.deep.equal(api.results.map((h) => String(h.id)));
    await page.screenshot({ path: path.join(ARTIFACTS, 'browser-refine.png'), fullPage: false });
    await page.locator('#tune-clear').click();
    await page.waitForURL((u) => !u.searchParams.has('more') && !u.searchParams.has('less'));
  });

  it('switches to texts and picks a photo: sees the captions that describe it', async () => {
    await page.goto(`${t.base}/?target=text`);
    const row = 5;
    await page.setInputFiles('#file', path.join(fx.corpus, fx.rows[row]!.image));
    await page.locator('#photo-chip').waitFor();
    await cards('text').first().waitFor();
    const texts = await page.locator('#results .card.text blockquote').allTextContents();
    // The page sends the photo as the API would receive it: same captions, same order.
    expect(texts.slice(0, 5)).to.deep.equal(await apiCaptions(row));
    expect(texts.slice(0, 5).some((x) => fx.rows[row]!.captions.includes(x))).to.equal(true);
    expect(new URL(page.url()).searchParams.get('photo')).to.equal('1');
    await page.screenshot({ path: path.join(ARTIFACTS, 'browser-image-to-text.png'), fullPage: false });
  });

  it('accepts a dropped photo (synthetic drag and drop)', async () => {
    await page.goto(`${t.base}/?target=text`);
    const row = 9;
    const b64 = (await readFile(path.join(fx.corpus, fx.rows[row]!.image))).toString('base64');
    // Runs in the page: a real DataTransfer holding a File, dispatched as drag events.
    await page.evaluate(`(() => {
      const bytes = Uint8Array.from(atob('${b64}'), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
      for (const type of ['dragenter', 'dragover', 'drop']) {
        window.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
      }
    })()`);
    await page.locator('#photo-chip').waitFor();
    const expected = await apiCaptions(row);
    await until(
      `JSON.stringify([...document.querySelectorAll('#results blockquote')].slice(0, 5).map((b) => b.textContent)) === ${JSON.stringify(JSON.stringify(expected))}`,
    );
    expect(await page.locator('#drop').isHidden()).to.equal(true);
  });

  it('searches in Chinese with emoji, and a shared URL reproduces the search', async () => {
    const zh = fx.rows.flatMap((r) => r.captions).find((c) => /[\u4e00-\u9fff]/.test(c))!;
    await page.goto(`${t.base}/?q=${encodeURIComponent(`${zh} 🙂`)}&target=text`);
    await cards('text').first().waitFor();
    expect(await page.locator('#q').inputValue()).to.equal(`${zh} 🙂`);
    expect(await page.locator('#t-text').isChecked()).to.equal(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'browser-chinese.png'), fullPage: false });
  });

  it('shows server errors instead of failing silently, and had no script errors', async () => {
    await page.goto(`${t.base}/?like=999999`);
    await page.locator('#status.error').waitFor();
    expect(await page.locator('#status').textContent()).to.match(/999999/);
    expect(problems.filter((p) => !/404/.test(p))).to.deep.equal([]);
  });
});
