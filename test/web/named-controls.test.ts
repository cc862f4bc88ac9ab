// The accessible-name check every dashboard screenshot runs: it must catch an unnamed control and
// accept the ways a control can be named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { expectNamedControls, launchBrowser } from './browser.js';

describe('accessible names of controls', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('names every unnamed visible control and accepts text, labels, aria-label and aria-labelledby', async () => {
    const page = await browser.newPage();
    await page.setContent(`
      <button>Approve</button> <button aria-label="Close"></button>
      <label for="r">Reason</label><input id="r"> <label>Note <textarea></textarea></label>
      <span id="w">Window</span><select aria-labelledby="w"><option>24 h</option></select>
      <input type="hidden"> <button hidden></button>`);
    await expectNamedControls(page);
    await page.setContent('<button></button><input id="q"><a href="/x"><svg></svg></a>');
    const error = await expectNamedControls(page).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toContain('<button></button>');
    expect(error!.message).toContain('<input id="q">');
    expect(error!.message).toContain('<a href="/x">');
    await page.close();
  });
});
