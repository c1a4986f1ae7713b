// The browser the tests launch (system Chromium, or the npm one with npm fonts) draws Chinese and emoji
// with real glyphs: a Chromium without such fonts draws nothing for them, and screenshots of the page's
// Chinese search would silently show blanks.
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser.ts';

describe('browser e2e: the launched Chromium has CJK and emoji fonts', function () {
  this.timeout(120_000);
  let browser: Browser;

  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  // Inked pixels of `text` drawn on a canvas with the page's default sans-serif stack.
  const ink = async (text: string): Promise<number> => {
    const page = await browser.newPage();
    try {
      return await page.evaluate<number>(`(() => {
        const c = document.createElement('canvas');
        c.width = 200; c.height = 60;
        const g = c.getContext('2d');
        g.font = '40px sans-serif';
        g.fillStyle = '#000';
        g.fillText(${JSON.stringify(text)}, 4, 46);
        const px = g.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
        return n;
      })()`);
    } finally {
      await page.close();
    }
  };

  it('draws Latin, Chinese and emoji glyphs', async () => {
    expect(await ink('Hello'), 'Latin').to.be.above(100);
    expect(await ink('你好猫'), 'Chinese').to.be.above(100);
    expect(await ink('🙂🍕'), 'emoji').to.be.above(100);
  });
});
