// console_test.mjs -- the web console in a real browser (Debian's chromium
// driven by puppeteer-core) against a real `visiond serve`.
// usage: node console_test.mjs BASE_URL TOKEN IMAGE [SCREENSHOT_DIR]
// Asserts what a user sees: a stream card with a snapshot and a running
// state, an event with a thumbnail that loads, the detection toggle going
// through the API, the drop-an-image flow drawing boxes, no console errors,
// no token in any URL, a phone-sized viewport without sideways scrolling.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// puppeteer-core lives in setup.sh's npm folder (.deps/npm), given as VD_NPM_DIR.
const puppeteer = createRequire(`${process.env.VD_NPM_DIR}/`)('puppeteer-core');

const [base, token, imagePath, shots] = process.argv.slice(2);
const failures = [];
const check = (ok, what) => { console.log(`${ok ? 'ok' : 'FAIL'} - ${what}`); if (!ok) failures.push(what); };

async function apiGet(path) {
  const res = await fetch(base + path, { headers: { Authorization: `Bearer ${token}` } });
  return res.json();
}

// VD_BROWSER=firefox runs Debian's Firefox ESR (WebDriver BiDi) instead of Chromium.
const firefox = process.env.VD_BROWSER === 'firefox';
const browser = await puppeteer.launch(firefox
  ? { browser: 'firefox', executablePath: process.env.FIREFOX || '/usr/bin/firefox-esr', headless: true }
  : { executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox', '--headless=new', '--disable-gpu'] });
console.log(`browser: ${await browser.version()}`);
const errors = [];
const tokenInUrl = [];
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => { if (r.url().includes(token)) tokenInUrl.push(r.url()); });

  await page.goto(base + '/', { waitUntil: 'domcontentloaded' });
  // The token dialog comes first (a token is configured).
  await page.waitForSelector('#token-dialog[open]', { timeout: 10000 });
  await page.type('#token-input', token);
  await page.click('#token-form button[type=submit]');

  // A stream card: running, with a snapshot that decoded.
  await page.waitForFunction(() => {
    const c = document.querySelector('.card');
    return c && c.querySelector('.state').textContent === 'running' &&
      c.querySelector('img').naturalWidth > 0;
  }, { timeout: 30000 });
  check(true, 'stream card shows a snapshot and the running state');
  // The live badge: the SSE stream is connected.
  await page.waitForFunction(() => document.querySelector('#live').textContent === 'live', { timeout: 10000 });
  check(true, 'live updates connected');
  if (shots) await page.screenshot({ path: `${shots}/console-streams.png` });

  // The detection toggle goes through the API, both ways.
  const id = await page.$eval('.card', (c) => c.dataset.id);
  await page.click('.card button');
  await page.waitForFunction(() => document.querySelector('.card button').textContent.endsWith('off'));
  check((await apiGet(`/api/v1/streams/${encodeURIComponent(id)}`)).detect_enabled === false,
    'toggle off: the API reports detect_enabled false');
  await page.click('.card button');
  await page.waitForFunction(() => document.querySelector('.card button').textContent.endsWith('on'));
  check((await apiGet(`/api/v1/streams/${encodeURIComponent(id)}`)).detect_enabled === true,
    'toggle on: the API reports detect_enabled true');

  // An event appears in the list, with a thumbnail that loads.
  await page.goto(base + '/#events', { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(async () => {
    document.querySelector('#event-filter button').click();
    await new Promise((r) => setTimeout(r, 500));
    const img = document.querySelector('#event-table tbody tr img');
    return img && img.naturalWidth > 0;
  }, { timeout: 45000, polling: 1000 });
  check(true, 'an event row with a loaded thumbnail');
  if (shots) await page.screenshot({ path: `${shots}/console-events.png` });

  // Drop an image: the page posts it to /api/v1/detect and draws the boxes.
  await page.goto(base + '/#try', { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('#try-model option');
  const b64 = readFileSync(imagePath).toString('base64');
  await page.evaluate((data) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'drop.jpg', { type: 'image/jpeg' }));
    document.querySelector('#drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true }));
  }, b64);
  await page.waitForFunction(() => Number(document.querySelector('#try-canvas').dataset.boxes || 0) > 0,
    { timeout: 30000 });
  check(true, 'a dropped image comes back with boxes drawn');

  // A phone-sized viewport: no sideways scrolling on the stream grid.
  await page.setViewport({ width: 390, height: 844 });
  await page.goto(base + '/#streams', { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('.card');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `phone viewport fits (overflow ${overflow}px)`);
} catch (e) {
  check(false, `browser flow: ${e.message}`);
} finally {
  await browser.close();
}
check(errors.length === 0, `no console errors (${errors.join(' | ')})`);
check(tokenInUrl.length === 0, `no token in any URL (${tokenInUrl.join(' ')})`);
console.log(`${failures.length ? 'FAILED' : 'PASSED'}: ${failures.length} failures`);
process.exit(failures.length ? 1 : 0);
