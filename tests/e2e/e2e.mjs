#!/usr/bin/env node
// End-to-end test of the examiners' screens in real headless Chromium.
//
//   node e2e.mjs /path/to/igcd        (or IGCD=/path/to/igcd node e2e.mjs)
//
// Starts igcd on a free loopback port with a fresh database, waits for /readyz, then drives the
// screens with a real row of labeled/dev.csv. Environment:
//   IGC_DATA        data directory (default ../shared/data next to the repository)
//   IGCD_ARGS       extra igcd arguments, space-separated
//   IGC_E2E_SHOTS   where screenshots go (default: the current directory)
//   IGC_E2E_DOCS=1  also write the screenshots into docs/img/
// The last line printed is "N passed, M failed"; the exit status is non-zero on any failure.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, mkdirSync, rmSync, readFileSync, createWriteStream, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { readCsv } from './csv.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const igcd = process.argv[2] || process.env.IGCD;
const dataDir = resolve(process.env.IGC_DATA || join(repo, '..', 'shared', 'data'));
const shotsDir = resolve(process.env.IGC_E2E_SHOTS || process.cwd());
const docsDir = process.env.IGC_E2E_DOCS === '1' ? join(repo, 'docs', 'img') : null;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

let passed = 0;
let failed = 0;
function finish(code) {
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = code ?? (failed ? 1 : 0);
}
if (!igcd || !existsSync(igcd)) {
  console.error(`usage: node e2e.mjs PATH_TO_IGCD (got ${igcd || 'nothing'})`);
  failed = 1;
  finish(2);
  process.exit();
}

class Check extends Error {}
function expect(cond, msg) {
  if (!cond) throw new Check(msg);
}
async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed++;
    console.log(`not ok ${name}: ${e instanceof Check ? e.message : e.stack || e}`);
  }
}

// ---------------------------------------------------------------- test data (read at run time)

// Independent of the UI's own implementation on purpose.
function brnCheckDigit(nine) {
  const w = [1, 3, 7, 1, 3, 7, 1, 3, 5];
  const d = [...nine].map(Number);
  const s = d.reduce((a, x, i) => a + x * w[i], 0) + Math.floor((d[8] * 5) / 10);
  return (10 - (s % 10)) % 10;
}
function bigrams(s) {
  const t = String(s).replace(/\s+/g, '');
  const out = new Set();
  for (let i = 0; i + 1 < t.length; i++) out.add(t.slice(i, i + 2));
  return out;
}

const taxonomy = JSON.parse(readFileSync(join(dataDir, 'taxonomy', 'igc-v6.json'), 'utf8'));
const taxItems = new Map(taxonomy.items.map((it) => [it.code, it]));
const lexItems = new Map(readFileSync(join(dataDir, 'taxonomy', 'igc-v6-lexicon.jsonl'), 'utf8').split('\n')
  .filter((l) => l.trim()).map((l) => JSON.parse(l)).map((x) => [x.code, x]));
const ksic11 = readCsv(join(dataDir, 'ksic', 'ksic11_hierarchy.csv'));
const ksicKnown = new Set(ksic11.map((r) => r.ksic5));
for (const f of ['ksic10_hierarchy.csv']) {
  const p = join(dataDir, 'ksic', f);
  if (existsSync(p)) for (const r of readCsv(p)) for (const v of Object.values(r)) if (/^\d{5}$/.test(v)) ksicKnown.add(v);
}
const row = readCsv(join(dataDir, 'labeled', 'dev.csv')).find((r) => r.label1);
if (!row) throw new Error('dev.csv has no labelled row');

// Public listings give only a KSIC group (3 digits): take the 5-digit code in that group whose
// name is closest to the products, so the form gets a real, valid code.
function pickKsic(spec, product) {
  const parts = String(spec).split(/[;,\s]+/).filter((x) => /^\d+$/.test(x));
  const five = parts.find((x) => x.length === 5 && ksicKnown.has(x));
  if (five) return ksic11.find((r) => r.ksic5 === five) || { ksic5: five, name5: '' };
  const prefix = parts.sort((a, b) => b.length - a.length)[0] || '';
  const cands = ksic11.filter((r) => r.ksic5.startsWith(prefix));
  if (!cands.length) throw new Error(`no KSIC-11 code under ${spec}`);
  const pg = bigrams(product);
  const score = (r) => [...bigrams(r.name5)].filter((b) => pg.has(b)).length;
  return cands.reduce((best, r) => (score(r) > score(best) ? r : best), cands[0]);
}

const ksic = pickKsic(row.ksic_code, row.main_product);
const digits = (row.uid.replace(/\D/g, '') + '000000000').slice(0, 6);
const nine = `220${digits}`;
const validBrn = /^\d{10}$/.test(row.brn.replace(/-/g, '')) ? row.brn.replace(/-/g, '') : nine + brnCheckDigit(nine);
const badBrn = validBrn.slice(0, 9) + ((Number(validBrn[9]) + 1) % 10);
let unknownKsic = null;
for (let n = 99999; n > 10000 && !unknownKsic; n--) if (!ksicKnown.has(String(n))) unknownKsic = String(n);
// A KSIC-10 code the revision split into several KSIC-11 codes, and those codes (concordance file).
const ksic11Codes = new Set(ksic11.map((r) => r.ksic5));
const splitTargets = new Map();
for (const r of readCsv(join(dataDir, 'ksic', 'ksic11_to_ksic10.csv'))) {
  if (!/^\d{5}$/.test(r.ksic10) || !ksic11Codes.has(r.ksic11) || ksic11Codes.has(r.ksic10)) continue;
  const t = splitTargets.get(r.ksic10) || [];
  if (!t.includes(r.ksic11)) t.push(r.ksic11);
  splitTargets.set(r.ksic10, t);
}
const [splitKsic, splitTo] = [...splitTargets].find(([, t]) => t.length > 1) || [null, []];
// A wholesale (section G) code: the rules ask for review when such a firm makes something.
const tradeKsic = ksic11.find((r) => r.sec === 'G');
// Support programmes (programmes/programmes.json): those an innovation-growth verdict unlocks and the
// regional ones, which depend on the firm's 소재지 (regions-2025.json names provinces short: 강원, 서울).
const progData = JSON.parse(readFileSync(join(dataDir, 'programmes', 'programmes.json'), 'utf8')).programmes;
const regionData = JSON.parse(readFileSync(join(dataDir, 'programmes', 'regions-2025.json'), 'utf8'));
const progIg = progData.filter((p) => p.requires?.innovation_growth).map((p) => p.id);
const progRegional = progData.filter((p) => p.requires?.region_in).map((p) => p.id);
/** 1 when the district is one of the regional programmes' areas (the province compared by its short name). */
const inRegion = (short, sigungu) => Object.entries(regionData).some(([k, v]) => k !== 'source' && v && typeof v === 'object'
  && (v[short] || []).includes(sigungu));
// Screen rules under test (http/static/util.js): ranks 2-3 below this are not shown.
const ALT_MIN_SCORE = 0.05;
const probText = (p) => (p > 0 && p < 0.01 ? '1% 미만' : `${Math.round(Math.min(1, Math.max(0, p)) * 100)}%`);
/** 1 when tok (Latin) is in s as a whole token, any case. */
const hasToken = (s, tok) => new RegExp(`(^|[^a-z0-9])${tok}([^a-z0-9]|$)`, 'i').test(String(s || ''));

// The listing leaves most technology fields blank; the screen requires all of them.
const V = {
  'company.name': row.company,
  'company.brn': `${validBrn.slice(0, 3)}-${validBrn.slice(3, 5)}-${validBrn.slice(5)}`,
  'company.ceo': row.ceo || '홍길동',
  'tech.ksic_code': ksic.ksic5,
  'tech.ksic_name': row.ksic_name || ksic.name5,
  'tech.main_product': row.main_product,
  'tech.product_use': row.product_use || `${row.main_product} 제조 및 판매`,
  'tech.tech_business_name': row.tech_business_name || `${row.main_product} 사업`,
  'tech.tech_class': row.tech_class || 'ZZ9999',
};
const sel = (path) => `#f-${path.replace(/\./g, '-')}`;
console.log(`# row ${row.uid} ${row.company} (label1 ${row.label1}); KSIC ${ksic.ksic5} ${ksic.name5}; brn ${validBrn}`);

// ---------------------------------------------------------------- igcd

function freePort() {
  return new Promise((ok, bad) => {
    const s = createServer();
    s.once('error', bad);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

const tmp = mkdtempSync(join(tmpdir(), 'igc-e2e-'));
const dbDir = join(tmp, 'db');
const profile = join(tmp, 'chromium');
mkdirSync(dbDir);
mkdirSync(profile);
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const logPath = join(tmp, 'igcd.log');
const log = createWriteStream(logPath);
const extra = (process.env.IGCD_ARGS || '').split(/\s+/).filter(Boolean);
const srvArgs = ['--listen', `127.0.0.1:${port}`, '--db', dbDir, '--lexicon-dir', join(tmp, 'lexicon'), '--data', dataDir,
  ...extra];
// A .mjs/.js stand-in (mock_igcd.mjs) runs under this node.
const server = /\.[cm]?js$/.test(igcd)
  ? spawn(process.execPath, [igcd, ...srvArgs], { stdio: ['ignore', 'pipe', 'pipe'] })
  : spawn(igcd, srvArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
// Two servers write here in turn (the second in the authentication check): neither may end
// the log when its own output ends, or the other's next line is written after the end.
server.stdout.pipe(log, { end: false });
server.stderr.pipe(log, { end: false });
let serverExit = null;
server.on('exit', (code, sig) => { serverExit = { code, sig }; });
// Last resort when something throws past cleanup(): never leave igcd running.
process.on('exit', () => { if (!serverExit) server.kill('SIGKILL'); });

let ctx = null;
let cleaned = false;
async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  try { await ctx?.close(); } catch { /* already gone */ }
  if (!serverExit) {
    server.kill('SIGTERM');
    const t = Date.now();
    while (!serverExit && Date.now() - t < 5000) await sleep(50);
    if (!serverExit) server.kill('SIGKILL');
  }
  if (failed) {
    const text = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
    console.log(`# igcd log (last lines):\n${text.split('\n').slice(-25).map((l) => `#   ${l}`).join('\n')}`);
  }
  rmSync(tmp, { recursive: true, force: true });
}
function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
const watchdog = setTimeout(async () => {
  failed++;
  console.log('not ok watchdog: the test ran past 170 s');
  await cleanup();
  finish(1);
  process.exit(1);
}, 170000);

async function waitReady() {
  const t0 = Date.now();
  while (Date.now() - t0 < 90000) {
    if (serverExit) throw new Check(`igcd exited early (${JSON.stringify(serverExit)})`);
    try {
      const r = await fetch(`${base}/readyz`);
      if (r.ok) return;
    } catch { /* not listening yet */ }
    await sleep(200);
  }
  throw new Check('igcd did not become ready within 90 s');
}

// ---------------------------------------------------------------- screenshots

const shots = [];
/** A full-page screenshot, or of one element when a selector is given. */
async function shot(page, name, selector = null) {
  const take = (path) => (selector ? page.locator(selector).screenshot({ path }) : page.screenshot({ path, fullPage: true }));
  mkdirSync(shotsDir, { recursive: true });
  await take(join(shotsDir, name));
  if (docsDir) {
    mkdirSync(docsDir, { recursive: true });
    await take(join(docsDir, name));
  }
  shots.push(name);
}

// ---------------------------------------------------------------- the run

let ready = false;
await step('igcd starts and answers /readyz', async () => {
  await waitReady();
  ready = true;
});

if (ready) {
  await step('Chromium starts', async () => {
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-proxy-server'],
      viewport: { width: 1280, height: 900 },
      locale: 'ko-KR',
      timezoneId: 'Asia/Seoul',
    });
  });
}
if (ctx) {
  ctx.setDefaultTimeout(15000);
  const page = ctx.pages()[0] || (await ctx.newPage());
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // the screens run under a Content-Security-Policy without inline script or style
  const cspViolations = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()); });
  const classifyCalls = [];
  page.on('request', (r) => { if (r.url().endsWith('/api/v1/classify')) classifyCalls.push(r); });
  const visible = (id) => page.waitForSelector(`#${id}:not([hidden])`, { state: 'visible' });
  const fillAll = async (skip = []) => {
    for (const [path, v] of Object.entries(V)) if (!skip.includes(path)) await page.fill(sel(path), v);
  };
  const errText = (path) => page.textContent(`${sel(path)}-err`);
  let result = null;
  let savedId = null;

  await step('input screen renders with a label for every control', async () => {
    await page.goto(`${base}/#/input`);
    await visible('view-input');
    const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, textarea, select')]
      .filter((e) => e.type !== 'hidden' && !(e.id && document.querySelector(`label[for="${CSS.escape(e.id)}"]`)))
      .map((e) => e.id || e.name || e.outerHTML.slice(0, 60)));
    expect(unlabelled.length === 0, `controls without <label for>: ${unlabelled.join(', ')}`);
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Seoul' }).format(new Date());
    expect(await page.inputValue('#f-classified-on') === today, `분류기준일 is not ${today}`);
    expect(await page.$eval('#f-classified-on', (e) => e.readOnly), '분류기준일 is not read-only');
    // Keyboard: the first Tab reaches the skip link, which moves focus without leaving the screen.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.className) === 'skip', 'first Tab is not the skip link');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id) === 'main', 'skip link did not focus the content');
    expect(await page.isVisible('#view-input') && page.url().endsWith('#/input'), 'skip link changed the screen');
  });

  await step('the read-only 분류기준일 is not a Tab stop: Tab from 대표자명 goes to 소재지', async () => {
    await page.focus(sel('company.ceo'));
    await page.keyboard.press('Tab');
    const at = await page.evaluate(() => document.activeElement?.id);
    expect(at === 'f-company-sido', `Tab from 대표자명 lands on ${at}, expected 소재지 (f-company-sido)`);
  });

  await step('업종코드 suggests 업종명 and never writes into what the examiner types', async () => {
    await page.fill(sel('tech.ksic_name'), '');
    await page.fill(sel('tech.ksic_code'), V['tech.ksic_code']);
    // as an examiner does: Tab to 업종명 and start typing once the lookup has answered
    await page.focus(sel('tech.ksic_code'));
    await page.keyboard.press('Tab');
    await page.waitForSelector('#ksic-suggest:not([hidden])', { timeout: 8000 });
    expect(await page.inputValue(sel('tech.ksic_name')) === '', '업종명 was filled without asking');
    const typed = '직접 쓴 업종명';
    await page.keyboard.type(typed);
    await page.waitForTimeout(400);
    const got = await page.inputValue(sel('tech.ksic_name'));
    expect(got === typed, `업종명 is "${got}", expected exactly what was typed ("${typed}")`);
    expect((await page.textContent('#ksic-suggest')).includes(ksic.name5), 'the standard name is not offered');
    await page.click('#ksic-name-use');
    const used = await page.inputValue(sel('tech.ksic_name'));
    expect(used === ksic.name5, `업종명 is "${used}" after choosing the suggestion, expected "${ksic.name5}"`);
    expect(await page.isHidden('#ksic-suggest'), 'the suggestion stays after use');
  });

  await step('a KSIC group or class is kept as typed and its 5-digit codes are offered', async () => {
    const grp = ksic.ksic5.slice(0, 3);
    const cls = ksic.ksic5.slice(0, 4);
    const typed = `${grp};${cls}`;
    await page.fill(sel('tech.ksic_code'), typed);
    expect(await page.inputValue(sel('tech.ksic_code')) === typed, `업종코드 was cut to "${await page.inputValue(sel('tech.ksic_code'))}"`);
    await page.waitForSelector('#ksic-pick:not([hidden]) .pick', { timeout: 8000 });
    const offered = await page.$$eval('#ksic-pick .pick', (els) => els.map((e) => e.dataset.code));
    const want = ksic11.filter((r) => r.ksic5.startsWith(cls)).map((r) => r.ksic5);
    expect(JSON.stringify(offered) === JSON.stringify(want), `offered ${offered.join(',')}, expected ${want.join(',')}`);
    await page.click(`#ksic-pick .pick[data-code="${ksic.ksic5}"]`);
    expect(await page.inputValue(sel('tech.ksic_code')) === ksic.ksic5, 'picking did not set the code');
    await page.waitForSelector('#ksic-pick', { state: 'hidden' });
    if (splitKsic) {
      await page.fill(sel('tech.ksic_code'), splitKsic);
      await page.waitForSelector('#ksic-pick:not([hidden]) .pick', { timeout: 8000 });
      const split = await page.$$eval('#ksic-pick .pick', (els) => els.map((e) => e.dataset.code));
      expect(JSON.stringify(split) === JSON.stringify(splitTo),
        `KSIC-10 ${splitKsic} offers ${split.join(',')}, expected its KSIC-11 codes ${splitTo.join(',')}`);
      const before = classifyCalls.length;
      await page.click('#btn-classify');
      expect(classifyCalls.length === before, `a split KSIC-10 code (${splitKsic}) was sent as it is`);
      expect((await errText('tech.ksic_code')).includes('골라'), 'no request to pick one of the split codes');
    }
    await page.fill(sel('tech.ksic_code'), V['tech.ksic_code']);
    await page.fill(sel('tech.ksic_name'), V['tech.ksic_name']);
  });

  await step('a blank field shows 공란 입력 and nothing is sent', async () => {
    await fillAll(['tech.product_use']);
    await page.fill(sel('tech.product_use'), '  ');
    const before = classifyCalls.length;
    await page.click('#btn-classify');
    expect((await errText('tech.product_use')).includes('공란 입력'), 'no 공란 입력 on 제품용도');
    const el = await page.$(sel('tech.product_use'));
    expect(await el.getAttribute('aria-invalid') === 'true', 'aria-invalid not set');
    expect((await el.getAttribute('aria-describedby') || '').split(' ').includes('f-tech-product_use-err'),
      'error message not tied with aria-describedby');
    expect(await page.evaluate(() => document.activeElement?.id) === 'f-tech-product_use', 'focus is not on the blank field');
    expect(await page.isVisible('#input-summary'), 'no error summary');
    expect(classifyCalls.length === before, 'a request was sent with a blank field');
  });

  await step("a value that says nothing ('없음', '미정', '1') is refused by the server, and each field says why", async () => {
    const nothing = { 'tech.ksic_name': '없음', 'tech.main_product': '미정', 'tech.product_use': '1', 'tech.tech_business_name': '해당 없음' };
    await fillAll();
    for (const [path, v] of Object.entries(nothing)) await page.fill(sel(path), v);
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/classify')),
      page.click('#btn-classify'),
    ]);
    const body = await resp.json().catch(() => null);
    expect(resp.status() === 400 && body?.error?.code === 'blank_field', `classify answered ${resp.status()} ${body?.error?.code}`);
    await page.waitForFunction(() => document.querySelector('#f-tech-ksic_name-err').textContent !== '');
    for (const path of Object.keys(nothing)) {
      const t = await errText(path);
      expect(t.startsWith('공란 입력') && t.includes("'없음'") && t.includes('공란으로 봅니다'), `${path}: "${t}"`);
      expect(await page.getAttribute(sel(path), 'aria-invalid') === 'true', `${path} is not marked invalid`);
    }
    const summary = await page.textContent('#input-summary');
    expect(summary.includes('공란으로 봅니다'), `the summary says "${summary}"`);
    expect(await page.isVisible('#view-input'), 'left the input screen on an error');
    await fillAll();
  });

  await step('an invalid 사업자등록번호 is refused before sending', async () => {
    await page.fill(sel('tech.product_use'), V['tech.product_use']);
    await page.fill(sel('company.brn'), badBrn);
    const before = classifyCalls.length;
    await page.click('#btn-classify');
    const t = await errText('company.brn');
    expect(t.includes('사업자등록번호'), `no 사업자등록번호 error (got "${t}")`);
    expect(await page.getAttribute(sel('company.brn'), 'aria-invalid') === 'true', 'aria-invalid not set on 사업자등록번호');
    expect(await errText('tech.product_use') === '', '제품용도 error was not cleared');
    expect(classifyCalls.length === before, 'a request was sent with an invalid 사업자등록번호');
  });

  await step('기술분류 is checked on the page (two letters, 2-4 digits); server validation errors are shown on their field', async () => {
    await page.fill(sel('company.brn'), V['company.brn']);
    const hint = await page.textContent('#f-tech-tech_class-hint');
    expect(!hint.includes('6자리') && hint.includes('EE01') && hint.includes('EE0101'), `기술분류 hint says "${hint}"`);
    for (const bad of ['1234', 'EE1', 'EE01234', 'E0101']) {
      await page.fill(sel('tech.tech_class'), bad);
      const before = classifyCalls.length;
      await page.click('#btn-classify');
      const t = await errText('tech.tech_class');
      expect(t.includes('기술분류') && t.includes('EE0101'), `기술분류 "${bad}": error "${t}"`);
      expect(classifyCalls.length === before, `기술분류 "${bad}" was sent`);
      expect(await page.evaluate(() => document.activeElement?.id) === 'f-tech-tech_class', `focus not on 기술분류 for "${bad}"`);
    }
    for (const good of ['EE01', 'ee0101']) {
      await page.fill(sel('tech.tech_class'), good);
      await page.route('**/api/v1/classify', (r) => r.abort());
      await page.click('#btn-classify');
      await page.waitForTimeout(100);
      await page.unroute('**/api/v1/classify');
      expect(await errText('tech.tech_class') === '', `기술분류 "${good}" refused: ${await errText('tech.tech_class')}`);
    }
    // the server's own answer to a bad 기술분류, shown on its field
    const real = await fetch(`${base}/api/v1/classify`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ company: { name: V['company.name'], brn: validBrn, ceo: V['company.ceo'] },
        tech: { ...Object.fromEntries(Object.entries(V).filter(([k]) => k.startsWith('tech.')).map(([k, v]) => [k.slice(5), v])),
          tech_class: '1234' } }) });
    const body = await real.json().catch(() => null);
    expect(real.status === 400, `classify with 기술분류 1234 answered ${real.status}, expected 400`);
    expect(body?.error?.code === 'invalid_tech_class', `error.code is ${body?.error?.code}, expected invalid_tech_class`);
    await page.fill(sel('tech.tech_class'), V['tech.tech_class']);
    await page.route('**/api/v1/classify', (r) => r.fulfill({ status: 400, contentType: 'application/json', body: JSON.stringify(body) }));
    await page.click('#btn-classify');
    await page.waitForFunction(() => document.querySelector('#f-tech-tech_class-err').textContent !== '');
    await page.unroute('**/api/v1/classify');
    expect(await errText('tech.tech_class') === body.error.message, `the server's message is not on 기술분류: ${await errText('tech.tech_class')}`);
    expect(await page.getAttribute(sel('tech.tech_class'), 'aria-invalid') === 'true', '기술분류 not marked invalid');
    expect(await page.isVisible('#view-input'), 'left the input screen on an error');
    await page.fill(sel('tech.tech_class'), V['tech.tech_class']);
  });

  await step('over-long text is kept whole, its limit shown, and refused before sending', async () => {
    const cases = [['tech.main_product', '주요제품', 1000, 1500], ['tech.product_use', '제품용도', 3000, 4000],
      ['company.name', '기업명', 100, 150]];
    for (const [path, label, max, n] of cases) {
      const long = '가'.repeat(n);
      await page.fill(sel(path), long);
      const kept = (await page.inputValue(sel(path))).length;
      expect(kept === n, `${label}: ${n} characters typed, ${kept} kept`);
      const count = await page.textContent(`${sel(path)}-count`);
      expect(count.includes(max.toLocaleString('ko-KR')), `${label}: the counter says "${count}"`);
      expect(await page.$eval(`${sel(path)}-count`, (e) => e.classList.contains('over')), `${label}: the counter is not marked over`);
      const before = classifyCalls.length;
      await page.click('#btn-classify');
      const t = await errText(path);
      expect(t.includes(label) && t.includes(`최대 ${max.toLocaleString('ko-KR')}자`), `${label}: error "${t}"`);
      expect(classifyCalls.length === before, `${label} of ${n} characters was sent`);
      expect(await page.evaluate(() => document.activeElement?.id) === sel(path).slice(1), `focus is not on ${label}`);
      await page.fill(sel(path), V[path]);
      expect(await errText(path) === '', `${label}: the error stays once the text is short enough`);
    }
  });

  await step('an unknown 업종코드 is said once, under its field', async () => {
    expect(unknownKsic, 'no unused 5-digit KSIC code found');
    await page.fill(sel('tech.ksic_code'), unknownKsic);
    await page.waitForFunction(() => /등록되지|존재하지/.test(document.querySelector('#f-tech-ksic_code-hint').textContent),
      null, { timeout: 8000 }).catch(() => {});
    await page.click('#btn-classify');
    await page.waitForFunction(() => document.querySelector('#f-tech-ksic_code-err').textContent !== '', null, { timeout: 8000 })
      .catch(() => {});
    // whatever answered (the lookup or the server), the field says it once
    await page.waitForTimeout(500);
    const said = await page.$$eval('#f-tech-ksic_code ~ *', (els) => els.filter((e) => !e.hidden && e.offsetParent !== null
      && /등록되지|존재하지/.test(e.textContent)).map((e) => e.textContent));
    expect(said.length === 1, `the unknown code is reported ${said.length} times under the field: ${said.join(' | ')}`);
    expect(await page.getAttribute(sel('tech.ksic_code'), 'aria-invalid') === 'true', '업종코드 not marked invalid');
  });

  await step('a rule that overrides the engine says so beside 해당 가능성, and reasons carry Korean labels, not codes', async () => {
    // 적용원칙 1: a capacitor maker with no innovation-field word; the engine alone finds it applicable
    // (before any judgment is saved: a saved 해당 없음 would sway the engine's nearest neighbours)
    const capKsic = ksic11.find((r) => r.name5.includes('축전기'));
    expect(capKsic, 'no capacitor KSIC code in the data');
    const nine2 = '220990001';
    await page.click('.nav a[data-route="input"]');
    await visible('view-input');
    await fillAll();
    await page.fill(sel('company.brn'), nine2 + brnCheckDigit(nine2));
    await page.fill(sel('tech.ksic_code'), capKsic.ksic5);
    await page.fill(sel('tech.ksic_name'), capKsic.name5);
    await page.fill(sel('tech.main_product'), '콘덴서(축전기) 제조');
    await page.fill(sel('tech.product_use'), '전자기기용 콘덴서');
    await page.fill(sel('tech.tech_business_name'), '콘덴서 사업');
    try {
      const [resp] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/v1/classify')),
        page.click('#btn-classify'),
      ]);
      const res = await resp.json();
      await visible('view-result');
      const ruleReasons = (res.reasons || []).filter((r) => r.rule !== 'engine');
      console.log(`# override: applicable=${res.applicable} p=${res.p_applicable} reasons=${(res.reasons || []).map((r) => `${r.code}/${r.rule}`)}`);
      expect(res.applicable === false && ruleReasons.some((r) => r.code === 'generic_supplier')
        && !(res.reasons || []).some((r) => r.rule === 'engine'),
      `the capacitor maker is not a rule's 해당 없음 over the engine: ${JSON.stringify(res.reasons)}`);
      const said = await page.textContent('#summary-applicable');
      expect(said.includes(`엔진은 해당 가능성을 ${probText(res.p_applicable)}로 보았으나 적용원칙에 따라 해당 없음으로 판정했습니다`),
        `해당 가능성 says "${said}"`);
      expect(!/가능성이 (다소 )?높습니다/.test(said), `해당 가능성 still reads as applicable: "${said}"`);
      expect(await page.isVisible('#na-override'), 'the 해당 없음 panel does not say the rule overrode the engine');
      expect((await page.textContent('#items-note')).includes('추천이 아니라 참고'), 'the items are not marked as reference only');
      // a reference item's probability is read apart from the low 해당 가능성 (it may be higher)
      const labels = await page.$$eval('#result-items .score-label', (els) => els.map((e) => e.textContent));
      expect(labels.length > 0 && labels.every((l) => l === '해당한다면 이 품목일 확률'),
        `a 해당 없음 answer's items are labelled "${labels.join(', ')}"`);
      expect((await page.textContent('#items-note')).includes('해당 가능성과는 따로'), 'the note does not say how to read them');
      const na = await page.$$eval('#na-reasons li', (els) => els.map((e) => e.textContent));
      expect(na.length === res.reasons.length, `${na.length} reasons shown, the answer has ${res.reasons.length}`);
      for (const [i, r] of res.reasons.entries()) {
        expect(!na[i].includes(r.code), `reason shows its code "${r.code}": ${na[i]}`);
      }
      expect(na.some((t) => t.includes('적용원칙 1 범용 제품 공급')), `no Korean label for generic_supplier: ${na.join(' | ')}`);
      const panel = await page.textContent('#result-body');
      expect(!/\b(not_innovation|generic_supplier|wholesale_retail|merchandise_only|insufficient_info|all_items_excluded|near_threshold|low_top_score|rule_error|unknown_words)\b/.test(panel),
        'a reason code is shown on the result');
    } finally {
      // the steps after this one start from the input screen
      await page.click('.nav a[data-route="input"]');
      await visible('view-input');
    }
  });

  await step('Enter submits; the result shows the items worth showing, as probabilities, with keywords and focus on its heading', async () => {
    await fillAll();
    await shot(page, 'screen-input.png');
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/classify'), { timeout: 30000 }),
      page.press(sel('company.name'), 'Enter'),
    ]);
    expect(resp.status() === 200, `classify answered ${resp.status()}: ${await resp.text()}`);
    result = await resp.json();
    const sent = JSON.parse(resp.request().postData());
    for (const [path, v] of Object.entries(V)) {
      const [g, k] = path.split('.');
      const want = path === 'company.brn' ? validBrn : v.trim();
      expect(sent[g]?.[k] === want, `request ${path} is "${sent[g]?.[k]}", expected "${want}"`);
    }
    await visible('view-result');
    await page.waitForFunction(() => document.activeElement?.id === 'result-heading', null, { timeout: 3000 })
      .catch(() => {});
    expect(await page.evaluate(() => document.activeElement?.id) === 'result-heading', 'focus did not move to the result heading');
    const items = await page.$$eval('#result-items li.item[data-code]', (els) => els.map((e) => ({
      code: e.querySelector('.item-code')?.textContent, name: e.querySelector('h3')?.textContent,
      kws: [...e.querySelectorAll('.keywords li')].map((k) => k.textContent),
      bar: Number(e.querySelector('.score-bar')?.getAttribute('aria-valuenow')),
      score: e.querySelector('.score-val')?.textContent,
    })));
    console.log(`# applicable=${result.applicable} items=${items.map((i) => `${i.code}:${i.score}:${i.kws.join('/')}`).join(' ')}`);
    expect(result.applicable === true, `the row was judged not applicable (${JSON.stringify(result.reasons)})`);
    // rank 1 always; ranks 2-3 only at ALT_MIN_SCORE or more, never padded with 0.00 fillers
    const want = result.items.filter((it) => it.rank === 1 || it.score >= ALT_MIN_SCORE);
    expect(items.length === want.length, `${items.length} items shown, expected ${want.length} (scores ${result.items.map((i) => i.score)})`);
    expect(await page.isVisible('#minor-candidates') === (want.length < result.items.length),
      'the line naming the candidates left out does not match them');
    if (want.length < result.items.length) {
      const minor = await page.textContent('#minor-candidates');
      for (const it of result.items.filter((x) => !want.includes(x))) {
        expect(minor.includes(it.code) && minor.includes(probText(it.score)), `"${minor}" does not name ${it.code} ${probText(it.score)}`);
      }
    }
    const listed = await page.textContent('#result-items');
    expect(!(result.items.length > 1 && listed.includes('다른 후보 없음')), `"다른 후보 없음" while the answer has ${result.items.length} items`);
    const gap = await page.textContent('#summary-gap');
    expect(!(result.items.length > 1 && gap.includes('다른 후보가 없')), `the gap says "${gap}" while the answer has a 2순위`);
    if (result.items.length > 1) {
      const pts = `${Math.round(result.confidence_gap * 100)}%p`;
      expect(gap.includes(pts), `the gap says "${gap}", expected ${pts}`);
    }
    for (const [i, it] of items.entries()) {
      const t = taxItems.get(it.code);
      expect(t, `item ${it.code} is not in the taxonomy`);
      expect(it.name === t.name, `item ${it.code} shown as "${it.name}", taxonomy says "${t.name}"`);
      expect(it.kws.length > 0, `item ${it.code} shows no keywords`);
      expect(it.bar >= 0 && it.bar <= 100, `item ${it.code} score bar ${it.bar}`);
      expect(it.score === probText(want[i].score), `item ${it.code} shows "${it.score}", expected ${probText(want[i].score)}`);
    }
    const marks = await page.$$eval('#result-tech mark, #result-items .basis mark', (els) => els.map((e) => e.textContent));
    expect(marks.length > 0, 'no keyword is highlighted with <mark>');
    const shownKws = new Set(want.flatMap((i) => [...i.keywords, ...(i.terms || [])].map((k) => k.toLowerCase())));
    expect(marks.every((m) => shownKws.has(m.toLowerCase())), `a <mark> is not a keyword or index term: ${marks.join(', ')}`);
    const techMarks = new Set((await page.$$eval('#result-tech mark', (els) => els.map((e) => e.textContent.toLowerCase()))));
    for (const term of want.flatMap((i) => i.terms || [])) {
      const inInput = Object.values(result.tech).some((v) => String(v).toLowerCase().includes(term.toLowerCase()));
      if (inInput) expect(techMarks.has(term.toLowerCase()), `index term "${term}" is not highlighted in the input`);
    }
    expect(await page.isVisible('#review-badge') === !!result.needs_review, 'needs_review badge does not match');
    // 해당 가능성 and the rank-1/rank-2 gap in words
    const applicable = await page.textContent('#summary-applicable');
    expect(applicable.includes(probText(result.p_applicable)), `해당 가능성 shows "${applicable}", expected ${probText(result.p_applicable)}`);
    // examiners' header and footer: no engine hash, rule hash or server path
    const chrome = `${await page.textContent('#result-meta')} ${await page.textContent('.foot')}`;
    for (const v of [result.engine_version, result.rules_version, result.lexicon_version]) {
      expect(!v || !chrome.includes(v), `header or footer shows "${v}"`);
    }
    expect(!/\/(srv|work|home|var|tmp)\//.test(chrome), `header or footer shows a server path: ${chrome}`);
    await shot(page, 'screen-result.png');
  });

  await step('재분류 goes back to the input with every value kept', async () => {
    await page.click('#btn-reclassify');
    await visible('view-input');
    for (const [path, v] of Object.entries(V)) {
      const got = await page.inputValue(sel(path));
      expect(got === v, `${path} is "${got}" after 재분류, expected "${v}"`);
    }
  });

  await step('저장 saves the judgment and shows its id', async () => {
    await page.click('.nav a[data-route="result"]');
    await visible('view-result');
    const radios = await page.$$eval('#choice-list input[type=radio]', (els) => els.map((e) => ({ v: e.value, c: e.checked })));
    const shownItems = (result?.items || []).filter((it) => it.rank === 1 || it.score >= ALT_MIN_SCORE);
    expect(radios.length === shownItems.length + 2, `${radios.length} choices shown`);
    expect(radios[0]?.c && radios[0].v === result.items[0].code, 'rank 1 is not the default choice');
    const unlabelled = await page.$$eval('#save-form input, #save-form textarea',
      (els) => els.filter((e) => !document.querySelector(`label[for="${e.id}"]`)).length);
    expect(unlabelled === 0, 'a save-form control has no label');
    // 다른 품목코드 takes input, and a Tab stop, only once its choice is chosen
    expect(await page.isDisabled('#f-other-code'), '다른 품목코드 is editable while not chosen');
    await page.focus('#f-comment');
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate(() => document.activeElement?.id) !== 'f-other-code', '다른 품목코드 is in the Tab order while not chosen');
    await page.check('#choice-list input[value="__other"]');
    expect(await page.isEnabled('#f-other-code'), '다른 품목코드 stays disabled when chosen');
    await page.check(`#choice-list input[value="${result.items[0].code}"]`);
    expect(await page.isDisabled('#f-other-code'), '다른 품목코드 stays editable after choosing rank 1 again');
    await page.fill('#f-comment', '종단간 시험 저장');
    await page.focus('#btn-save');
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/judgments') && r.request().method() === 'POST'),
      page.keyboard.press('Enter'),
    ]);
    expect(resp.status() === 201, `judgments answered ${resp.status()}, expected 201`);
    const sent = JSON.parse(resp.request().postData());
    expect(sent.chosen_item === result.items[0].code, `chosen_item sent ${sent.chosen_item}`);
    expect(sent.result && sent.company && sent.tech, 'save body lacks result/company/tech');
    const body = await resp.json();
    await page.waitForSelector('#saved-id');
    savedId = (await page.textContent('#saved-id')).trim();
    expect(savedId && savedId === String(body.id), `shown id "${savedId}" vs answer "${body.id}"`);
    expect((await page.textContent('#save-msg')).includes('저장되었습니다'), 'the save is not confirmed');
    const focused = await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName);
    expect(focused === 'save-msg', `after 저장 with Enter focus is on ${focused}, expected the confirmation`);
    console.log(`# saved ${savedId}`);
  });

  await step('판별 이력 lists the saved judgment by 사업자등록번호 and opens it', async () => {
    expect(savedId, 'nothing was saved');
    await page.click('.nav a[data-route="history"]');
    await visible('view-history');
    await page.fill('#f-history-brn', validBrn);
    await page.press('#f-history-brn', 'Enter');
    await page.waitForSelector(`#history-table tbody tr[data-id="${savedId}"]`);
    const first = await page.getAttribute('#history-table tbody tr', 'data-id');
    expect(first === savedId, `newest row is ${first}, expected ${savedId}`);
    await page.click(`#history-table tbody tr[data-id="${savedId}"] a`);
    await page.waitForFunction((id) => document.querySelector('#judgment-id')?.textContent === id, savedId);
    const choice = await page.textContent('#judgment-choice');
    expect(choice.includes(result.items[0].code), `stored choice shows "${choice}"`);
    expect((await page.textContent('#judgment-detail')).includes('종단간 시험 저장'), 'comment not shown');
  });

  const naComment = '자체 생산 설비 없이 양극재를 사서 되파는 유통 기업으로 보여 해당 없음으로 판단함. 다음 심사 때 매출 구성표를 받아 제품매출 비중을 다시 확인할 것';
  let naId = null;
  await step('해당 없음 is saved with a reason; reopened from 판별 이력 it shows what was saved, read-only', async () => {
    // a fresh answer for the same company: 재분류 then 판별
    await page.click('.nav a[data-route="input"]');
    await visible('view-input');
    const [cresp] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/classify')),
      page.click('#btn-classify'),
    ]);
    const answer = await cresp.json();
    await visible('view-result');
    expect(await page.isEnabled('#btn-save'), 'a new answer cannot be saved');
    // the answer unlocks the innovation programmes; a 해당 없음 decision must not keep them
    const eligibleShown = async () => page.$$eval('#programmes-list li.programme',
      (els) => els.filter((e) => e.textContent.includes('해당') && !e.textContent.includes('확인 필요')).map((e) => e.dataset.id));
    expect((answer.programmes || []).some((p) => p.id === 'kibo-guarantee' && p.status === 'eligible'),
      'the answer does not unlock the 기술보증기금 programme: pick another company for this step');
    expect((await eligibleShown()).includes('kibo-guarantee'), 'the 기술보증기금 programme is not shown as 해당');
    await page.check('#choice-list input[value=""]');
    await page.waitForSelector('#none-reason-box:not([hidden])');
    await page.selectOption('#f-none-reason', '');
    const before = await page.$$eval('#saved-id', (e) => e.length);
    await page.click('#btn-save');
    expect((await page.textContent('#f-none-reason-err')).includes('사유'), '해당 없음 was saved without a reason');
    expect(await page.$$eval('#saved-id', (e) => e.length) === before, 'saved without a reason');
    const options = await page.$$eval('#f-none-reason option', (els) => els.map((e) => e.textContent));
    for (const n of ['적용원칙 1', '적용원칙 2', '적용원칙 3', '기타']) {
      expect(options.some((o) => o.includes(n)), `no "${n}" among the reasons`);
    }
    await page.selectOption('#f-none-reason', 'wholesale_retail');
    await page.fill('#f-comment', naComment);
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/judgments') && r.request().method() === 'POST'),
      page.click('#btn-save'),
    ]);
    expect(resp.status() === 201, `judgments answered ${resp.status()}`);
    const sent = JSON.parse(resp.request().postData());
    expect(sent.chosen_item === null && sent.none_reason === 'wholesale_retail', `sent ${sent.chosen_item}/${sent.none_reason}`);
    const stored = await resp.json();
    naId = stored.id;
    expect(stored.programmes_basis === 'decision', `programmes kept on "${stored.programmes_basis}"`);
    expect(!(stored.programmes || []).some((p) => p.id === 'kibo-guarantee' && p.status === 'eligible'),
      'a 해당 없음 judgment keeps the 기술보증기금 programme as 해당');
    expect(!(await eligibleShown()).includes('kibo-guarantee'), 'after saving 해당 없음 the screen still shows 기술보증기금 as 해당');
    // open it from 판별 이력, then on the result screen
    await page.goto(`${base}/#/history?brn=${validBrn}&id=${naId}`);
    await page.waitForFunction((id) => document.querySelector('#judgment-id')?.textContent === id, naId);
    const choice = await page.textContent('#judgment-choice');
    expect(choice.includes('해당 없음') && choice.includes('적용원칙 2'), `stored choice shows "${choice}"`);
    expect((await page.textContent('#judgment-comment')) === naComment, 'comment not shown in the history');
    await page.click('#judgment-detail button');
    await visible('view-result');
    const checked = await page.$eval('#choice-list input:checked', (e) => e.value).catch(() => null);
    expect(checked === '', `reopened with "${checked}" chosen, expected 해당 없음`);
    expect(!(await eligibleShown()).includes('kibo-guarantee'), 'the reopened 해당 없음 judgment shows 기술보증기금 as 해당');
    expect(await page.inputValue('#f-comment') === naComment, 'reopened with another comment');
    expect(await page.inputValue('#f-none-reason') === 'wholesale_retail', 'reopened without the reason');
    expect(await page.$eval('#save-fields', (e) => e.disabled), 'the saved choice can be changed');
    expect(await page.$eval('#f-comment', (e) => e.readOnly), 'the saved comment can be edited');
    expect(await page.isDisabled('#btn-save'), 'the saved judgment can be saved again');
    expect(!(await page.textContent('#choice-list')).includes('추천 확정'), 'a saved 해당 없음 still says 추천 확정');
    const msg = await page.textContent('#save-msg');
    expect(!msg.includes('저장되었습니다') && msg.includes('저장된 판별'), `a judgment opened again says "${msg}"`);
    expect(await page.$('#saved-id') === null, 'a judgment opened again is shown as just saved');
    expect((await page.textContent('#stored-id')) === naId, `the stored judgment's number is not ${naId}`);
    const at = await page.textContent('#stored-at').catch(() => '');
    expect(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/.test(at), `the stored judgment's time is "${at}"`);
  });

  await step('판별 이력 reads at 1280 px (no word broken) and at 390 px (cards, 의견 visible)', async () => {
    await page.goto(`${base}/#/history?brn=${validBrn}&id=${naId || savedId}`);
    await page.waitForSelector('#history-table tbody tr .c-comment');
    // every company cell holds its name on one line, whatever the comment's length
    const lines = await page.$$eval('#history-table tbody td.c-company .v', (els) => els.map((e) => {
      const r = document.createRange();
      r.selectNodeContents(e);
      return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size;
    }));
    expect(lines.length > 0 && lines.every((n) => n === 1), `company names wrap over ${lines.join(',')} lines at 1280 px`);
    await shot(page, 'screen-history.png');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(200);
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(w <= 391, `판별 이력 is ${w} px wide at 390 px`);
    const inner = await page.$eval('.table-wrap', (e) => e.scrollWidth - e.clientWidth);
    expect(inner <= 1, `the history table scrolls sideways by ${inner} px`);
    const box = await page.$eval('#history-table tbody td.c-comment', (e) => {
      const r = e.getBoundingClientRect();
      return { left: r.left, right: r.right, visible: e.offsetParent !== null };
    });
    expect(box.visible && box.left >= 0 && box.right <= 391, `의견 is not visible at 390 px (${JSON.stringify(box)})`);
    await shot(page, 'screen-history-narrow.png');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  await step('an answer that needs review says why, naming the field, with 해당 가능성', async () => {
    expect(tradeKsic, 'no wholesale KSIC code in the data');
    await page.click('.nav a[data-route="input"]');
    await visible('view-input');
    await page.fill(sel('tech.ksic_code'), tradeKsic.ksic5);
    await page.fill(sel('tech.ksic_name'), tradeKsic.name5);
    await page.fill(sel('tech.main_product'), '리튬이온 배터리 양극재');
    await page.fill(sel('tech.product_use'), '자체 공장에서 생산하여 전기차 배터리 업체에 공급');
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/classify')),
      page.click('#btn-classify'),
    ]);
    const res = await resp.json();
    await visible('view-result');
    expect(res.needs_review === true, `needs_review is ${res.needs_review}`);
    await page.waitForSelector('#review-panel:not([hidden])');
    const why = await page.textContent('#review-reasons');
    for (const r of res.review_reasons || []) expect(why.includes(r.message), `review reason "${r.message}" not shown`);
    expect(why.includes('제품용도') && !why.includes('주요제품에'), `the reason names the wrong field: ${why}`);
    expect((await page.textContent('#summary-applicable')).includes(probText(res.p_applicable)), '해당 가능성 not shown');
    await shot(page, 'screen-result-review.png');
    await page.click('.nav a[data-route="input"]');
    await fillAll();
  });

  await step('품목 찾기 finds an item by name and shows its definition', async () => {
    const it = taxItems.get(result?.items?.[0]?.code);
    expect(it, 'no item to look for');
    await page.click('.nav a[data-route="items"]');
    await visible('view-items');
    await page.fill('#f-search', it.name);
    await page.press('#f-search', 'Enter');
    await page.waitForSelector(`#search-results button[data-code="${it.code}"]`);
    await page.click(`#search-results button[data-code="${it.code}"]`);
    await page.waitForFunction((n) => document.querySelector('#item-detail-title')?.textContent === n, it.name);
    const text = await page.textContent('#item-detail');
    const firstLine = it.definition.split('\n')[0].trim();
    expect(text.includes(firstLine.slice(0, 30)), 'definition not shown');
    // the item's line of the index-term dictionary: terms, KSIC codes, confusable items with cues
    const lx = lexItems.get(it.code);
    if (lx) {
      await page.waitForSelector('#lexicon-terms li');
      const terms = await page.$$eval('#lexicon-terms li', (els) => els.map((e) => e.textContent));
      expect(terms.length === lx.terms.length && terms[0] === lx.terms[0], `${terms.length} terms shown, expected ${lx.terms.length}`);
      const ksicText = await page.textContent('#lexicon-ksic');
      expect(lx.ksic.every((c) => ksicText.includes(c)), 'KSIC codes not shown');
      if (lx.confusable.length) {
        const conf = await page.textContent('#lexicon-confusable');
        expect(lx.confusable.every((c) => conf.includes(c.code) && conf.includes(c.cue)), 'confusable items or cues not shown');
      }
    }
    await shot(page, 'screen-items.png');
  });

  await step('품목 찾기 counts every match, finds Latin words whole in any case, and reads 2차 as 이차', async () => {
    const api = await (await fetch(`${base}/api/v1/taxonomy/search?q=AI&limit=240`)).json();
    expect(Number.isFinite(api.total) && api.total > 20, `the search answers total ${api.total}`);
    await page.goto(`${base}/#/items?q=ai`);
    await page.waitForSelector('#search-results');
    const status = await page.textContent('#items-status');
    expect(status.startsWith(`${api.total}건`), `status says "${status}", expected ${api.total}건`);
    const hits = await page.$$eval('#search-results .tbtn', (els) => els.map((e) => ({ code: e.dataset.code, text: e.textContent })));
    expect(hits.length === api.total, `${hits.length} items listed, ${api.total} match`);
    for (const hit of hits) {
      const t = taxItems.get(hit.code);
      const ok = hasToken(t.name, 'ai') || hasToken(t.definition, 'ai') || hasToken(t.examples, 'ai') || hasToken(hit.text, 'ai');
      expect(ok, `'ai' lists ${hit.code} ${t.name}, which has the letters only inside a word`);
    }
    // every item named with 이차전지 is found by 2차전지
    await page.goto(`${base}/#/items?q=${encodeURIComponent('2차전지')}`);
    await page.waitForSelector('#search-results');
    const codes = await page.$$eval('#search-results .tbtn', (els) => els.map((e) => e.dataset.code));
    const named = taxonomy.items.filter((it) => it.name.includes('이차전지')).map((it) => it.code);
    expect(named.length > 0 && named.every((c) => codes.includes(c)), `2차전지 finds ${codes.join(',')}, not all of ${named.join(',')}`);
  });

  await step('an item code in lower case opens the item', async () => {
    const it = taxonomy.items.find((x) => x.code !== result?.items?.[0]?.code && /[A-Z]/.test(x.code));
    await page.goto(`${base}/#/items`);
    await page.goto(`${base}/#/items?code=${it.code.toLowerCase()}`);
    await page.waitForFunction((n) => document.querySelector('#item-detail-title')?.textContent === n, it.name, { timeout: 8000 })
      .catch(() => {});
    const title = await page.textContent('#item-detail').catch(() => '');
    expect(title.includes(it.name), `${it.code.toLowerCase()} shows "${title.slice(0, 60)}"`);
  });

  await step('연계 우대지원: 소재지 없이, 서울특별시 강남구, 강원특별자치도 정선군 (panel at 1280 and 390 px)', async () => {
    expect(progIg.length > 0 && progRegional.length > 0, `programmes.json lists ${progIg.length} + ${progRegional.length} programmes`);
    expect(inRegion('강원', '정선군') && !inRegion('서울', '강남구'), 'regions-2025.json no longer has 정선군 in and 강남구 out');
    // classify the labelled row (applicable, as the step above checks) at one address; the answer and the panel
    const classifyAt = async (sido, sigungu) => {
      await page.click('.nav a[data-route="input"]');
      await visible('view-input');
      await fillAll();
      await page.selectOption('#f-company-sido', sido);
      if (sido) {
        await page.waitForFunction((v) => [...document.querySelector('#f-company-sigungu').options].some((o) => o.value === v),
          sigungu);
        await page.selectOption('#f-company-sigungu', sigungu);
      }
      const [resp] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/v1/classify')),
        page.click('#btn-classify'),
      ]);
      expect(resp.status() === 200, `classify at ${sido} ${sigungu} answered ${resp.status()}: ${await resp.text()}`);
      const sent = JSON.parse(resp.request().postData());
      const want = sido ? { sido, sigungu } : undefined;
      expect(JSON.stringify(sent.company.address) === JSON.stringify(want),
        `company.address sent ${JSON.stringify(sent.company.address)}, expected ${JSON.stringify(want)}`);
      const res = await resp.json();
      expect(res.applicable === true, `judged not applicable at ${sido} ${sigungu}`);
      await visible('view-result');
      await page.waitForSelector('#programmes-panel:not([hidden])');
      const shown = await page.$$eval('#programmes-list li.programme', (els) => els.map((e) => ({ id: e.dataset.id, text: e.textContent })));
      const ids = shown.map((p) => p.id);
      const api = (res.programmes || []).map((p) => p.id);
      expect(JSON.stringify(ids) === JSON.stringify(api), `the panel lists ${ids.join(',')}, the answer ${api.join(',')}`);
      for (const p of res.programmes) {
        const t = shown.find((x) => x.id === p.id).text;
        for (const part of [p.name, p.agency, p.benefit, p.why, ...(p.to_check || [])]) {
          expect(!part || t.includes(part), `${p.id} does not show "${part}"`);
        }
      }
      expect((await page.textContent('#programmes-note')).includes(sido ? `${sido} ${sigungu}` : '소재지 입력 없음'),
        `the panel does not say where (${sido} ${sigungu})`);
      return { res, ids, byId: new Map(res.programmes.map((p) => [p.id, p])) };
    };
    const sameSet = (a, b) => a.length === b.length && a.every((x) => b.includes(x));

    // no address: the innovation-growth programmes, and the regional one asks for the address
    let r = await classifyAt('', '');
    expect(sameSet(r.ids, [...progIg, ...progRegional]), `without an address: ${r.ids.join(',')}`);
    for (const id of progRegional) {
      const p = r.byId.get(id);
      expect(p.status === 'check' && p.why.includes('소재지를 입력하면 지역 지원사업 해당 여부를 확인합니다'),
        `${id} without an address: ${p.status} "${p.why}"`);
      expect((await page.textContent(`#programmes-list li[data-id="${id}"]`)).includes('확인 필요'), `${id} is not marked 확인 필요`);
    }
    for (const id of progIg) expect(r.byId.get(id).status === 'eligible', `${id} is ${r.byId.get(id).status}`);

    // 서울특별시 강남구: not a regional programme's area
    r = await classifyAt('서울특별시', '강남구');
    expect(sameSet(r.ids, progIg), `서울특별시 강남구 lists ${r.ids.join(',')}, expected ${progIg.join(',')}`);

    // 강원특별자치도 정선군: all of them, the regional one with what remains to be checked
    r = await classifyAt('강원특별자치도', '정선군');
    expect(sameSet(r.ids, [...progIg, ...progRegional]), `강원특별자치도 정선군 lists ${r.ids.join(',')}`);
    for (const id of progRegional) {
      const p = r.byId.get(id);
      expect(p.why.includes('정선군'), `${id}: why "${p.why}" does not name the district`);
      expect(p.to_check.includes('중소기업 여부') && p.to_check.some((c) => /타겟|연고산업/.test(c)),
        `${id}: to_check ${JSON.stringify(p.to_check)} lacks 중소기업 여부 or the district's target industry`);
      const li = await page.textContent(`#programmes-list li[data-id="${id}"]`);
      expect(li.includes('확인할 것'), `${id} does not say what to check`);
    }
    await shot(page, 'screen-programmes.png', '#programmes-panel');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(200);
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(w <= 391, `the result with the panel is ${w} px wide at 390 px`);
    const over = await page.$$eval('#programmes-panel *', (els) => els.filter((e) => e.getBoundingClientRect().right > 391)
      .map((e) => e.className || e.tagName));
    expect(over.length === 0, `panel parts past 390 px: ${over.join(', ')}`);
    await shot(page, 'screen-programmes-narrow.png', '#programmes-panel');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  // Another company of the same row, so its judgments leave the row's own history as it is.
  const nine3 = '220990003';
  const brn3 = nine3 + brnCheckDigit(nine3);
  const addrOf = () => page.evaluate(() => ({
    sido: document.querySelector('#f-company-sido').value, sigungu: document.querySelector('#f-company-sigungu').value,
  }));
  const chooseAddress = async (sido, sigungu) => {
    await page.selectOption('#f-company-sido', sido);
    if (!sido) return;
    await page.waitForFunction((v) => [...document.querySelector('#f-company-sigungu').options].some((o) => o.value === v), sigungu);
    await page.selectOption('#f-company-sigungu', sigungu);
  };
  /** The 기업 정보 card's row, by its label. */
  const companyRow = (label) => page.$$eval('#result-company dt', (els, l) => els.filter((e) => e.textContent === l)
    .map((e) => e.nextElementSibling.textContent), label);

  await step('a long word in 기술사업명 stays inside a 390 px screen (keyword chips wrap)', async () => {
    // one word without spaces, wider than the screen's cards: it comes back as a keyword chip
    const longWord = '전고체전지용황화물계고체전해질대량양산공정기술개발및사업화';
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.click('.nav a[data-route="input"]');
      await visible('view-input');
      await fillAll();
      await page.fill(sel('tech.tech_business_name'), longWord);
      const [resp] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/v1/classify')),
        page.click('#btn-classify'),
      ]);
      expect(resp.status() === 200, `classify answered ${resp.status()}`);
      await visible('view-result');
      const chips = await page.$$eval('#result-items .chips li', (els) => els.map((e) => e.textContent));
      console.log(`# long word: ${chips.filter((c) => c.length > 12).length} long chips`);
      const w = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(w <= 390, `the result is ${w} px wide at 390 px with "${longWord}"`);
      const over = await page.$$eval('#result-body *', (els) => els.filter((e) => e.getBoundingClientRect().right > 391)
        .map((e) => `${e.tagName}.${e.className}`));
      expect(over.length === 0, `parts past 390 px: ${[...new Set(over)].join(', ')}`);
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.click('.nav a[data-route="input"]');
      await fillAll();
    }
  });

  await step('소재지 is kept across a reload (province, then district)', async () => {
    await page.click('.nav a[data-route="input"]');
    await visible('view-input');
    await fillAll();
    await chooseAddress('서울특별시', '강남구');
    await page.reload();
    await visible('view-input');
    await page.waitForFunction(() => document.querySelector('#f-company-sigungu').value !== '', null, { timeout: 5000 })
      .catch(() => {});
    let a = await addrOf();
    expect(a.sido === '서울특별시' && a.sigungu === '강남구', `after a reload 소재지 is ${JSON.stringify(a)}`);
    expect(await page.isEnabled('#f-company-sigungu'), '시·군·구 is off after a reload');
  });

  await step('입력 지우기 empties 소재지 with the other fields, also after a reload', async () => {
    await page.click('.nav a[data-route="input"]');
    await visible('view-input');
    await fillAll();
    await chooseAddress('강원특별자치도', '정선군');
    await page.click('#btn-clear');
    let a = await addrOf();
    expect(a.sido === '' && a.sigungu === '', `입력 지우기 left 소재지 ${JSON.stringify(a)}`);
    expect(await page.isDisabled('#f-company-sigungu'), '시·군·구 is still on after 입력 지우기');
    for (const path of Object.keys(V)) expect(await page.inputValue(sel(path)) === '', `입력 지우기 left ${path}`);
    await page.reload();
    await visible('view-input');
    await page.waitForFunction(() => document.querySelectorAll('#f-company-sido option').length > 1);
    a = await addrOf();
    expect(a.sido === '' && a.sigungu === '', `after 입력 지우기 and a reload 소재지 is ${JSON.stringify(a)}`);
    await fillAll();
  });

  await step('the result shows 소재지; a judgment opened from 판별 이력 brings its own 소재지, or none', async () => {
    const saveAt = async (sido, sigungu) => {
      await page.click('.nav a[data-route="input"]');
      await visible('view-input');
      await fillAll();
      await page.fill(sel('company.brn'), brn3);
      await chooseAddress(sido, sigungu);
      await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/v1/classify')), page.click('#btn-classify')]);
      await visible('view-result');
      const where = await companyRow('소재지');
      expect(where.length === 1 && where[0].includes(`${sido} ${sigungu}`), `기업 정보 shows 소재지 ${JSON.stringify(where)}`);
      const [resp] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/v1/judgments') && r.request().method() === 'POST'),
        page.click('#btn-save'),
      ]);
      expect(resp.status() === 201, `save at ${sido} ${sigungu} answered ${resp.status()}`);
      const stored = await resp.json();
      // the panel after 저장 is the server's evaluation of the decision: what remains to check stays
      if (inRegion('강원', sigungu) && sido === '강원특별자치도') {
        await page.waitForSelector('#saved-id');
        for (const id of progRegional) {
          const p = (stored.programmes || []).find((x) => x.id === id);
          expect(p && Array.isArray(p.to_check) && p.to_check.includes('중소기업 여부'),
            `the saved ${id} at ${sigungu} lost what to check: ${JSON.stringify(p)}`);
          const li = await page.textContent(`#programmes-list li[data-id="${id}"]`).catch(() => '');
          expect(li.includes('확인할 것') && p.to_check.every((c) => li.includes(c)), `after 저장 ${id} shows "${li}"`);
        }
      }
      return stored.id;
    };
    const jFirst = await saveAt('강원특별자치도', '정선군');
    await saveAt('서울특별시', '강남구');
    const open = async (brn, id) => {
      await page.goto(`${base}/#/history?brn=${brn}&id=${id}`);
      await page.waitForFunction((x) => document.querySelector('#judgment-id')?.textContent === x, id);
      await page.click('#judgment-detail button:has-text("분류결과 화면으로 열기")');
      await visible('view-result');
    };
    // the form holds another address; opening the first judgment brings 정선군 back
    await page.click('.nav a[data-route="input"]');
    await chooseAddress('부산광역시', '해운대구');
    await open(brn3, jFirst);
    let where = await companyRow('소재지');
    expect(where.length === 1 && where[0].includes('강원특별자치도 정선군'), `the opened judgment shows 소재지 ${JSON.stringify(where)}`);
    await page.click('.nav a[data-route="input"]');
    await visible('view-input');
    let a = await addrOf();
    expect(a.sido === '강원특별자치도' && a.sigungu === '정선군', `the form holds 소재지 ${JSON.stringify(a)} for a judgment at 정선군`);
    // a judgment saved without an address leaves none in the form
    await open(validBrn, naId || savedId);
    where = await companyRow('소재지');
    expect(where.length === 1 && !/[가-힣]{2,}[시도] /.test(where[0]), `a judgment without an address shows 소재지 ${JSON.stringify(where)}`);
    await page.click('.nav a[data-route="input"]');
    a = await addrOf();
    expect(a.sido === '' && a.sigungu === '', `the form keeps 소재지 ${JSON.stringify(a)} of another company`);
    await fillAll();
  });

  await step('a superseded or voided judgment opened again says so (by which judgment, why)', async () => {
    // two judgments of one company, saved and voided through the API: the first superseded by the second
    const nine4 = '220990004';
    const brn4 = nine4 + brnCheckDigit(nine4);
    const apiPost = async (path, body) => {
      const r = await fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      return { status: r.status, data: await r.json().catch(() => null) };
    };
    const saveVia = async (sido, sigungu, top = false) => {
      const company = { name: V['company.name'], brn: brn4, ceo: V['company.ceo'], address: { sido, sigungu } };
      const tech = Object.fromEntries(Object.entries(V).filter(([k]) => k.startsWith('tech.')).map(([k, x]) => [k.slice(5), x]));
      const c = await apiPost('/api/v1/classify', { company, tech });
      expect(c.status === 200, `classify answered ${c.status}`);
      const decision = top ? { chosen_item: c.data.items[0].code } : { chosen_item: null, none_reason: 'other' };
      const j = await apiPost('/api/v1/judgments', { company, tech, result: c.data, ...decision, comment: '시험용 판별' });
      expect(j.status === 201, `save answered ${j.status}`);
      if (top) expect((j.data.programmes || []).some((p) => p.status === 'eligible'), 'the saved rank 1 unlocks no programme');
      return j.data.id;
    };
    const jFirst = await saveVia('강원특별자치도', '정선군');
    // the second takes the answer's rank 1: its programmes are the innovation-growth ones, 해당
    const jSecond = await saveVia('서울특별시', '강남구', true);
    const reason = '시험용 무효: 사업자등록번호 오기';
    const v = await apiPost(`/api/v1/judgments/${jSecond}/void`, { reason });
    expect(v.status === 200, `void answered ${v.status}`);
    const open = async (id) => {
      await page.goto(`${base}/#/history?brn=${brn4}&id=${id}`);
      await page.waitForFunction((x) => document.querySelector('#judgment-id')?.textContent === x, id);
      await page.click('#judgment-detail button:has-text("분류결과 화면으로 열기")');
      await visible('view-result');
      return page.textContent('#save-msg');
    };
    let msg = await open(jSecond);
    expect(msg.includes('무효') && msg.includes(reason), `a voided judgment says "${msg}"`);
    expect(!msg.startsWith('저장된 판별입니다'), `a voided judgment reads as a current one: "${msg}"`);
    // a voided judgment leads to no support programme: no 해당, and the panel says why
    await page.waitForSelector('#programmes-panel:not([hidden])');
    let note = await page.textContent('#programmes-note');
    expect(note.includes('무효') && !/지원사업 \d+건/.test(note), `the voided judgment's programmes say "${note}"`);
    const offered = await page.$$eval('#programmes-list li.programme', (els) => els.map((e) => e.dataset.id));
    expect(offered.length === 0, `the voided judgment still offers ${offered.join(', ')}`);
    expect(await page.$$eval('#programmes-panel .badge-ok', (e) => e.length) === 0, 'the voided judgment shows 해당 badges');
    // last, so that the result shown next is the one at 정선군 (with its regional programme)
    msg = await open(jFirst);
    expect(msg.includes('대체') && msg.includes(jSecond), `a superseded judgment says "${msg}"`);
    expect(!msg.startsWith('저장된 판별입니다'), `a superseded judgment reads as a current one: "${msg}"`);
    note = await page.textContent('#programmes-note');
    expect(note.includes('대체') && note.includes(jSecond), `the superseded judgment's programmes say "${note}"`);
    await page.click('.nav a[data-route="input"]');
    await fillAll();
  });

  await step('the result prints with its 연계 우대지원 panel, without menus, buttons or an unsaved form', async () => {
    await page.click('.nav a[data-route="result"]');
    await visible('view-result');
    await page.emulateMedia({ media: 'print' });
    const onScreen = await page.evaluate(() => document.querySelectorAll('#programmes-list li.programme').length);
    const shown = await page.evaluate(() => Object.fromEntries(['.top', '.foot', '#btn-reclassify', '#btn-print', '#result-items',
      '#programmes-panel'].map((q) => [q, document.querySelector(q).getClientRects().length > 0])));
    const printedProgrammes = await page.$$eval('#programmes-list li.programme', (els) => els.filter((e) => e.getClientRects().length > 0
      && e.textContent.trim()).length);
    const saveShown = await page.evaluate(() => document.querySelector('#save-form').getClientRects().length > 0);
    await page.emulateMedia({ media: 'screen' });
    expect(!shown['.top'] && !shown['.foot'], 'the menu or footer is printed');
    expect(!shown['#btn-reclassify'] && !shown['#btn-print'], 'buttons are printed');
    expect(shown['#result-items'], 'the items are not printed');
    expect(onScreen > 0, 'no 연계 우대지원 on the result to print');
    expect(shown['#programmes-panel'] && printedProgrammes === onScreen,
      `the 연계 우대지원 panel prints ${shown['#programmes-panel'] ? printedProgrammes : 'no'} of ${onScreen} programmes`);
    const saved = await page.evaluate(() => document.querySelector('#save-form').classList.contains('is-saved'));
    expect(saveShown === saved, `the decision form is ${saveShown ? '' : 'not '}printed for a${saved ? ' saved' : 'n unsaved'} result`);
  });

  await step('상태 shows the taxonomy, engine and rules versions', async () => {
    await page.click('.nav a[data-route="status"]');
    await visible('view-status');
    await page.waitForSelector('#status-rules');
    const text = await page.textContent('#status-cards');
    for (const v of [result?.taxonomy_version, result?.engine_version, result?.rules_version]) {
      expect(v && text.includes(v), `status does not show version ${v}`);
    }
    const kind = await page.$$eval('#status-rules dt', (els) => els.filter((e) => e.textContent === '종류')
      .map((e) => e.nextElementSibling.textContent));
    expect(kind.length === 1 && kind[0] === '적용원칙 규칙', `the rules' kind reads ${JSON.stringify(kind)}`);
    // what the server reports besides: authentication (off here: no users) and the support programmes
    const st = await (await fetch(`${base}/api/v1/status`)).json();
    expect(st.auth?.enabled === false && st.programmes?.version, `the status answers auth ${JSON.stringify(st.auth)}, programmes ${st.programmes?.version}`);
    const auth = await page.textContent('#status-auth').catch(() => '');
    expect(auth.includes('인증 없이 실행 중') && auth.includes('루프백'), `상태 says of authentication "${auth}"`);
    await page.waitForSelector('#status-programmes', { timeout: 3000 }).catch(() => {});
    const prog = await page.textContent('#status-programmes').catch(() => '');
    expect(prog.includes('연계 우대지원') && prog.includes(st.programmes.version), `the programmes card reads "${prog}"`);
    const pkind = await page.$$eval('#status-programmes dt', (els) => els.filter((e) => e.textContent === '종류')
      .map((e) => e.nextElementSibling.textContent));
    expect(pkind.length === 1 && pkind[0] === '연계 우대지원', `the programmes' kind reads ${JSON.stringify(pkind)}`);
    // without users every screen is offered
    const nav = await page.$$eval('.nav a', (els) => els.filter((e) => e.offsetParent !== null).map((e) => e.dataset.route));
    expect(nav.join(',') === 'input,result,items,history,status', `the menu offers ${nav.join(',')} without users`);
    await shot(page, 'screen-status.png');
  });

  await step('narrow (390 px) screens fit without horizontal scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [route, name] of [['input', 'screen-input-narrow.png'], ['result', 'screen-result-narrow.png'],
      ['items', 'screen-items-narrow.png']]) {
      await page.click(`.nav a[data-route="${route}"]`);
      await visible(`view-${route}`);
      const w = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(w <= 391, `#/${route} is ${w} px wide at 390 px`);
      await shot(page, name);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  // With users in the store: the login page, the session cookie, the CSRF header on a change, logout; what one
  // user leaves for the next; what each role is offered.
  const igcBin = join(dirname(igcd), 'igc');
  if (!/\.[cm]?js$/.test(igcd) && existsSync(igcBin)) {
    const authDb = join(tmp, 'auth-db');
    const tokens = {};
    let srv2 = null;
    let base2 = null;
    await step('with users: igcd starts with a reviewer, an examiner, a policy and an admin user', async () => {
      for (const [name, role] of [['e2e.kim', 'reviewer'], ['e2e.choi', 'examiner'], ['e2e.lee', 'policy'], ['e2e.park', 'admin']]) {
        const add = spawnSync(igcBin, ['--db', authDb, 'users', 'add', name, '--role', role], { encoding: 'utf8' });
        expect(add.status === 0, `igc users add ${name} exited ${add.status}: ${add.stderr}`);
        tokens[role] = add.stdout.trim().split('\n').pop();
        expect(/^igc_[0-9a-f]{64}$/.test(tokens[role]), `token line is "${tokens[role]}"`);
      }
      const port2 = await freePort();
      base2 = `http://127.0.0.1:${port2}`;
      srv2 = spawn(igcd, ['--listen', `127.0.0.1:${port2}`, '--db', authDb, '--lexicon-dir', join(tmp, 'lexicon2'),
        '--data', dataDir, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
      srv2.stdout.pipe(log, { end: false });
      srv2.stderr.pipe(log, { end: false });
      process.on('exit', () => srv2.kill('SIGKILL'));
      const t0 = Date.now();
      for (;;) {
        const ok = await fetch(`${base2}/readyz`).then((r) => r.ok).catch(() => false);
        if (ok) break;
        if (Date.now() - t0 > 90000) throw new Check('the second igcd did not become ready');
        await sleep(200);
      }
    });
    const login = async (token) => {
      await visible('view-login');
      await page.fill('#f-login-token', token);
      await page.click('#btn-login');
      await page.waitForSelector('#view-login', { state: 'hidden' });
    };
    const logout = async () => {
      if (await page.isVisible('#btn-logout')) await page.click('#btn-logout');
      await visible('view-login');
    };
    /** The screens freshly opened, nobody signed in (whatever the step before left). */
    const signedOut = async () => {
      await page.goto(`${base2}/#/input`);
      await page.waitForFunction(() => !document.querySelector('#view-login').hidden || !document.querySelector('#who').hidden);
      await logout();
    };
    const toScreen = async (route) => {
      await page.evaluate((r) => { location.hash = `#/${r}`; }, route);
      // the screen, the explanation of a screen the role may not use, or the login once a session has ended
      await page.waitForFunction((r) => [`#view-${r}`, '#view-denied', '#view-login']
        .some((q) => document.querySelector(q) && !document.querySelector(q).hidden), route);
    };
    const classifyHere = async () => {
      await toScreen('input');
      await fillAll();
      await chooseAddress('강원특별자치도', '정선군');
      const [resp] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/v1/classify')),
        page.click('#btn-classify'),
      ]);
      expect(resp.status() === 200, `classify through the session answered ${resp.status()}`);
      await visible('view-result');
      return resp;
    };
    /** Everything the page holds of a company: text (hidden parts too), control values, sessionStorage. */
    const pageHolds = () => page.evaluate(() => [document.body.textContent,
      ...[...document.querySelectorAll('input, textarea, select')].map((e) => e.value),
      ...Object.keys(sessionStorage).map((k) => sessionStorage.getItem(k))].join('\n'));
    const privateParts = (comment) => [V['company.name'], V['company.ceo'], V['company.brn'], validBrn, V['tech.main_product'], comment];
    const nothingOf = async (who, comment) => {
      await toScreen('result');
      expect(await page.isVisible('#result-empty') || await page.isVisible('#view-denied'),
        `#/result shows a result after ${who}`);
      expect(!(await page.isVisible('#result-body')), `#/result shows the previous user's result after ${who}`);
      await toScreen('input');
      for (const path of Object.keys(V)) {
        expect(await page.inputValue(sel(path)) === '', `${path} holds "${await page.inputValue(sel(path))}" after ${who}`);
      }
      const a = await addrOf();
      expect(a.sido === '' && a.sigungu === '', `소재지 holds ${JSON.stringify(a)} after ${who}`);
      const held = await pageHolds();
      for (const part of privateParts(comment)) expect(!held.includes(part), `the page still holds "${part}" after ${who}`);
    };

    if (srv2) {
      try {
        await step('with users: login page, classify and save through the session (CSRF header), void as reviewer, logout', async () => {
          const api = await fetch(`${base2}/api/v1/taxonomy`);
          expect(api.status === 401, `GET /api/v1/taxonomy without a token answered ${api.status}`);
          await page.goto(`${base2}/#/input`);
          await visible('view-login');
          await shot(page, 'screen-login.png');
          expect(!(await page.isVisible('#view-input')), 'the input screen shows before login');
          await page.fill('#f-login-token', 'igc_wrong');
          await page.click('#btn-login');
          await page.waitForFunction(() => document.querySelector('#f-login-token-err').textContent !== '');
          await page.fill('#f-login-token', tokens.reviewer);
          await page.click('#btn-login');
          await visible('view-input');
          expect((await page.textContent('#who-name')).includes('e2e.kim'), 'the signed-in user is not shown');
          // the login form is gone: focus goes to the heading of the screen it opened
          await page.waitForFunction(() => document.activeElement?.id === 'input-heading', null, { timeout: 3000 }).catch(() => {});
          const focused = await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName);
          expect(focused === 'input-heading', `after login focus is on ${focused}, expected the screen's heading`);
          // the provinces, refused before sign-in, are there after it without a reload
          await page.waitForFunction(() => document.querySelectorAll('#f-company-sido option').length > 1, null,
            { timeout: 5000 }).catch(() => {});
          const nsido = await page.$$eval('#f-company-sido option', (o) => o.length);
          expect(nsido > 10, `the 소재지 list after sign-in has ${nsido} options`);
          const cookies = await ctx.cookies(base2);
          const c = cookies.find((x) => x.name === 'igc_session');
          expect(c && c.httpOnly && c.sameSite === 'Strict', `session cookie ${JSON.stringify(c)}`);
          await fillAll();
          const [resp] = await Promise.all([
            page.waitForResponse((r) => r.url().endsWith('/api/v1/classify')),
            page.click('#btn-classify'),
          ]);
          expect(resp.status() === 200, `classify through the session answered ${resp.status()}`);
          expect(!!resp.request().headers()['x-csrf-token'], 'classify sent no X-CSRF-Token');
          await visible('view-result');
          // saved by the signed-in user, then voided by them as a reviewer from 판별 이력
          await page.fill('#f-comment', '인증 시험 저장');
          const [saved] = await Promise.all([
            page.waitForResponse((r) => r.url().endsWith('/api/v1/judgments') && r.request().method() === 'POST'),
            page.click('#btn-save'),
          ]);
          expect(saved.status() === 201, `save through the session answered ${saved.status()}`);
          const sj = await saved.json();
          expect(sj.examiner === 'e2e.kim', `saved by ${sj.examiner}`);
          await page.goto(`${base2}/#/history?brn=${validBrn}&id=${sj.id}`);
          await page.waitForFunction((id) => document.querySelector('#judgment-id')?.textContent === id, sj.id);
          expect((await page.textContent('#judgment-examiner')) === 'e2e.kim', 'the examiner is not shown');
          // an empty reason is asked for on the page, before the server refuses it
          let voids = 0;
          const onVoid = (q) => { if (q.url().endsWith('/void')) voids++; };
          page.on('request', onVoid);
          await page.fill('#f-void-reason', '  ');
          await page.click('#btn-void');
          await page.waitForTimeout(200);
          page.off('request', onVoid);
          expect(voids === 0, 'a void with an empty reason was sent');
          expect((await page.textContent('#void-err')).includes('무효 처리 사유'), `no message for the empty reason: "${await page.textContent('#void-err')}"`);
          expect(await page.evaluate(() => document.activeElement?.id) === 'f-void-reason', 'focus is not on the void reason');
          expect(await page.getAttribute('#f-void-reason', 'aria-invalid') === 'true', 'the void reason is not marked invalid');
          await page.fill('#f-void-reason', '시험용 무효');
          const [voided] = await Promise.all([
            page.waitForResponse((r) => r.url().endsWith('/void')),
            page.click('#btn-void'),
          ]);
          expect(voided.status() === 200, `void answered ${voided.status()}`);
          await page.waitForFunction(() => (document.querySelector('#judgment-status')?.textContent || '').includes('무효'));
          await page.click('#btn-logout');
          await visible('view-login');
          const after = await page.evaluate(async () => (await fetch('/api/v1/status')).status);
          expect(after === 401, `after logout GET /api/v1/status answered ${after}`);
        });

        /** Requests for judgments (a list or one record) made from now on by a page; stop() ends the count. */
        const judgmentReads = (pg) => {
          const seen = [];
          const on = (q) => { if (/\/api\/v1\/judgments(\?|\/|$)/.test(new URL(q.url()).pathname + new URL(q.url()).search)
            && q.method() === 'GET') seen.push(q.url()); };
          pg.on('request', on);
          return { seen, stop: () => pg.off('request', on) };
        };
        /** Classifies and saves as the signed-in user; the judgment's id. */
        const saveHere = async (comment) => {
          await classifyHere();
          await page.fill('#f-comment', comment);
          const [saved] = await Promise.all([
            page.waitForResponse((r) => r.url().endsWith('/api/v1/judgments') && r.request().method() === 'POST'),
            page.click('#btn-save'),
          ]);
          expect(saved.status() === 201, `save answered ${saved.status()}`);
          return (await saved.json()).id;
        };
        const openInHistory = async (pg, id) => {
          await pg.goto(`${base2}/#/history?brn=${validBrn}&id=${id}`);
          await pg.waitForFunction((x) => document.querySelector('#judgment-id')?.textContent === x, id);
        };

        await step('after 로그아웃, or a session that ends, the next user finds nothing of the previous one', async () => {
          const comment = '개인 의견: 대표자 면담 결과 반영';
          await signedOut();
          await login(tokens.reviewer);
          await openInHistory(page, await saveHere(comment));
          await toScreen('input');
          await logout();
          await login(tokens.policy);
          await nothingOf('로그아웃 and another user\'s login', comment);
          // the session ends without 로그아웃 (expired, revoked): the login page, then another user
          await logout();
          await login(tokens.reviewer);
          await classifyHere();
          await page.fill('#f-comment', comment);
          await ctx.clearCookies();
          await toScreen('status');
          await visible('view-login');
          await login(tokens.policy);
          await nothingOf('an ended session and another user\'s login', comment);
          await logout();
        });

        /** The judgment the previous user opened is neither shown nor asked for; the address names no company. */
        const noJudgmentOf = async (pg, who, comment, reads) => {
          await pg.waitForTimeout(300); // a lookup the route would start has started by now
          reads.stop();
          expect(reads.seen.length === 0, `after ${who} the page asked for ${reads.seen.join(', ')}`);
          const url = pg.url();
          expect(!/[?&](brn|id)=/.test(url), `after ${who} the address is ${url}`);
          expect(await pg.inputValue('#f-history-brn') === '', `after ${who} 판별 이력 holds "${await pg.inputValue('#f-history-brn')}"`);
          expect(!(await pg.isVisible('#judgment-detail')), `after ${who} a judgment is open`);
          const text = await pg.evaluate(() => document.body.textContent);
          for (const part of [V['company.name'], V['company.ceo'], V['company.brn'], comment]) {
            expect(!text.includes(part), `after ${who} the page shows "${part}"`);
          }
        };

        await step('after 로그아웃, or a session that ends, the next user lands on their home: the judgment opened before is neither shown nor asked for', async () => {
          const comment = '앞 사용자의 의견: 대표자 면담 내용';
          await signedOut();
          await login(tokens.reviewer);
          const id = await saveHere(comment);
          await openInHistory(page, id);
          await page.click('#btn-logout');
          await visible('view-login');
          expect(!/[?&](brn|id)=/.test(page.url()), `after 로그아웃 the address is ${page.url()}`);
          let reads = judgmentReads(page);
          await login(tokens.examiner);
          await visible('view-input');
          await noJudgmentOf(page, '로그아웃 and another user\'s login', comment, reads);
          // the session ends without 로그아웃 while the judgment is open: a reload shows the login, another user signs in
          await logout();
          await login(tokens.reviewer);
          await openInHistory(page, id);
          await ctx.clearCookies();
          await page.reload();
          await visible('view-login');
          reads = judgmentReads(page);
          await login(tokens.examiner);
          await visible('view-input');
          await noJudgmentOf(page, 'an ended session and another user\'s login', comment, reads);
          await logout();
        });

        /** In tab p: 로그아웃, then another user signs in with token. */
        const relogin = async (p, token) => {
          await p.click('#btn-logout');
          await p.waitForSelector('#view-login:not([hidden])');
          await p.fill('#f-login-token', token);
          await p.click('#btn-login');
          await p.waitForSelector('#view-login', { state: 'hidden' });
        };

        await step('a tab whose session became another user\'s (signed in from another tab) clears itself, before 저장 and when shown again', async () => {
          const comment = '저장하지 않은 kim의 의견';
          await signedOut();
          await login(tokens.reviewer);
          const kept = await saveHere('두 탭 시험용 판별');
          await classifyHere();
          await page.fill('#f-comment', comment);
          // in another tab of the same browser: 로그아웃, then someone else signs in
          const page2 = await ctx.newPage();
          try {
            await page2.goto(`${base2}/#/input`);
            await page2.waitForSelector('#who:not([hidden])');
            await relogin(page2, tokens.examiner);
            // back in the first tab, 저장: nothing is saved as the other user, and the tab forgets kim's work
            let saves = 0;
            const onSave = (q) => { if (q.url().endsWith('/api/v1/judgments') && q.method() === 'POST') saves++; };
            page.on('request', onSave);
            await page.click('#btn-save');
            await page.waitForSelector('#app-notice:not([hidden])');
            await page.waitForTimeout(200);
            page.off('request', onSave);
            expect(saves === 0, `저장 was sent ${saves} times under the other user's session`);
            const notice = await page.textContent('#app-notice');
            expect(notice.includes('다른 사용자(e2e.choi)'), `the tab says "${notice}"`);
            expect((await page.textContent('#who-name')).includes('e2e.choi'), `the tab names ${await page.textContent('#who-name')}`);
            const held = await pageHolds();
            for (const part of [...privateParts(comment)]) expect(!held.includes(part), `the tab still holds "${part}"`);
            // the same when the tab is shown again (focus, visibility) with a judgment open
            await openInHistory(page, kept);
            await relogin(page2, tokens.reviewer);
            const reads = judgmentReads(page);
            await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
            await page.waitForFunction(() => (document.querySelector('#app-notice')?.textContent || '').includes('e2e.kim'));
            expect((await page.textContent('#who-name')).includes('e2e.kim'), `the tab names ${await page.textContent('#who-name')}`);
            await noJudgmentOf(page, 'another user\'s login in another tab', comment, reads);
          } finally {
            await page2.close();
          }
          await logout();
        });

        await step('a void reason typed before the session expired is kept through a new login, and the page says the void was not done', async () => {
          const why = '만료 전에 적은 무효 사유: 사업자등록번호 오기';
          await signedOut();
          await login(tokens.reviewer);
          const id = await saveHere('무효 시험용 판별');
          await openInHistory(page, id);
          await page.fill('#f-void-reason', why);
          await ctx.clearCookies();
          const [refused] = await Promise.all([
            page.waitForResponse((r) => r.url().endsWith('/void')),
            page.click('#btn-void'),
          ]);
          expect(refused.status() === 401, `the void without a session answered ${refused.status()}`);
          await visible('view-login');
          await page.waitForFunction(() => document.querySelector('#login-notice').textContent.includes('무효'), null,
            { timeout: 3000 }).catch(() => {});
          const notice = await page.textContent('#login-notice');
          expect(notice.includes('무효 처리하지 못했습니다'), `the login page says "${notice}"`);
          await login(tokens.reviewer);
          await page.waitForFunction((x) => document.querySelector('#judgment-id')?.textContent === x, id);
          expect(await page.inputValue('#f-void-reason') === why, `the reason is "${await page.inputValue('#f-void-reason')}" after the login`);
          await page.waitForFunction(() => (document.querySelector('#void-err')?.textContent || '').includes('무효'), null,
            { timeout: 3000 }).catch(() => {});
          const said = await page.textContent('#void-err');
          expect(said.includes('무효 처리하지 못했습니다'), `the judgment says "${said}"`);
          expect(!(await page.textContent('#judgment-status')).includes('무효'), 'the judgment reads as voided');
          // drawn again (the screen may be drawn twice after a login; here by reloading it): the note is still there
          await page.reload();
          await page.waitForFunction((x) => document.querySelector('#judgment-id')?.textContent === x, id);
          await page.waitForFunction(() => (document.querySelector('#void-err')?.textContent || '').includes('무효'), null,
            { timeout: 3000 }).catch(() => {});
          const again = await page.textContent('#void-err');
          expect(again.includes('무효 처리하지 못했습니다'), `drawn again, the judgment says "${again}"`);
          expect(await page.inputValue('#f-void-reason') === why, 'the reason was lost when drawn again');
          await shot(page, 'screen-void-again.png', '#review-actions');
          await page.setViewportSize({ width: 390, height: 844 });
          await shot(page, 'screen-void-again-narrow.png', '#review-actions');
          await page.setViewportSize({ width: 1280, height: 900 });
          const [voided] = await Promise.all([
            page.waitForResponse((r) => r.url().endsWith('/void')),
            page.click('#btn-void'),
          ]);
          expect(voided.status() === 200, `the void after the login answered ${voided.status()}`);
          expect(JSON.parse(voided.request().postData()).reason === why, 'another reason was sent');
          await page.waitForFunction(() => (document.querySelector('#judgment-status')?.textContent || '').includes('무효'));
          await logout();
        });

        await step('a comment typed before the session expired is kept through a new login, with a plain notice', async () => {
          const comment = '만료 전에 적은 의견: 매출 구성 확인 필요';
          await signedOut();
          await login(tokens.reviewer);
          await classifyHere();
          await page.check('#choice-list input[value=""]');
          await page.selectOption('#f-none-reason', 'insufficient_info');
          await page.fill('#f-comment', comment);
          await ctx.clearCookies(); // the session has ended on the server's side
          const [refused] = await Promise.all([
            page.waitForResponse((r) => r.url().endsWith('/api/v1/judgments') && r.request().method() === 'POST'),
            page.click('#btn-save'),
          ]);
          expect(refused.status() === 401, `the save without a session answered ${refused.status()}`);
          await visible('view-login');
          const notice = await page.textContent('#login-notice').catch(() => '');
          expect(notice.includes('로그인이 만료되었습니다') && notice.includes('입력한 내용'), `the login page says "${notice}"`);
          await login(tokens.reviewer);
          await visible('view-result');
          expect(await page.inputValue('#f-comment') === comment, `the comment is "${await page.inputValue('#f-comment')}" after the login`);
          const checked = await page.$eval('#choice-list input:checked', (e) => e.value).catch(() => null);
          expect(checked === '', `the choice is "${checked}" after the login, expected 해당 없음`);
          expect(await page.inputValue('#f-none-reason') === 'insufficient_info', 'the 해당 없음 reason was lost');
          const [saved] = await Promise.all([
            page.waitForResponse((r) => r.url().endsWith('/api/v1/judgments') && r.request().method() === 'POST'),
            page.click('#btn-save'),
          ]);
          expect(saved.status() === 201, `the save after the login answered ${saved.status()}`);
          const sent = JSON.parse(saved.request().postData());
          expect(sent.comment === comment && sent.none_reason === 'insufficient_info', `saved ${sent.comment}/${sent.none_reason}`);
          await logout();
        });

        await step('each role is offered what it may use: policy neither saves nor reads 판별 이력, admin does not classify', async () => {
          const nav = () => page.$$eval('.nav a', (els) => els.filter((e) => e.offsetParent !== null).map((e) => e.dataset.route).join(','));
          await signedOut();
          await login(tokens.policy);
          expect(await nav() === 'input,result,items,status', `정책담당 is offered ${await nav()}`);
          await toScreen('history');
          expect(!(await page.isVisible('#view-history')), '정책담당 is shown 판별 이력');
          const why = await page.textContent('#view-denied').catch(() => '');
          expect(why.includes('판별 이력') && why.includes('심사역'), `판별 이력 for 정책담당 says "${why}"`);
          await classifyHere();
          expect(!(await page.isVisible('#btn-save')) && !(await page.isVisible('#save-fields')), '정책담당 is offered 저장');
          expect((await page.textContent('#saved-note')).includes('저장'), '정책담당 is not told why there is no 저장');
          expect(await page.isVisible('#btn-reclassify'), '재분류 is gone for 정책담당');
          await logout();
          await login(tokens.admin);
          expect(await nav() === 'items,status', `관리자 is offered ${await nav()}`);
          await toScreen('input');
          expect(!(await page.isVisible('#view-input')), '관리자 is shown 기업정보 입력');
          await toScreen('status');
          await page.waitForSelector('#status-auth');
          const auth = await page.textContent('#status-auth');
          expect(auth.includes('켜짐') && !auth.includes('인증 없이'), `상태 with users says "${auth}"`);
          await logout();
        });
      } finally {
        srv2.kill('SIGTERM');
        await page.goto(`${base}/#/input`).catch(() => {});
      }
    }
  }

  // The revision switch (operations.md 10a) through the admin API, then what the screens show of it. The
  // new revision and its crosswalk come from the data directory; codes are read from them, never written here.
  const revFile = join(dataDir, 'taxonomy', 'igc-v7-draft.json');
  const cwFile = join(dataDir, 'taxonomy', 'crosswalk-v6-v7.csv');
  if (!/\.[cm]?js$/.test(igcd) && existsSync(revFile) && existsSync(cwFile)) {
    await step('after a revision switch: 상태 shows both revisions and the job, 품목 찾기 the crosswalk, 판별 이력 the re-classification', async () => {
      const rev = JSON.parse(readFileSync(revFile, 'utf8'));
      const cwText = readFileSync(cwFile, 'utf8');
      const post = (path, body) => fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body) });
      let r = await post('/api/v1/taxonomy/revisions', { taxonomy: rev, crosswalk: cwText });
      expect(r.status === 201, `staging answered ${r.status}`);
      for (let i = 0; i < 300; i++) {
        const st = await (await fetch(`${base}/api/v1/taxonomy/revisions`)).json();
        if (st.staged?.state !== 'building') break;
        await sleep(100);
      }
      r = await post('/api/v1/taxonomy/activate', { version: rev.version });
      expect(r.status === 200, `activation answered ${r.status}`);
      r = await post('/api/v1/reclassify', {});
      expect(r.status === 202, `the job answered ${r.status}`);
      const { job } = await r.json();
      for (let i = 0; i < 600; i++) {
        const j = await (await fetch(`${base}/api/v1/reclassify/${job}`)).json();
        if (j.state !== 'running') break;
        await sleep(100);
      }
      await page.click('.nav a[data-route="status"]');
      await page.click('#btn-status-refresh');
      await page.waitForSelector('#status-reclass');
      expect((await page.textContent('#rev-active')).includes(rev.version), 'status does not show the active revision');
      expect((await page.textContent('#rev-previous')).includes(taxonomy.version), 'status does not show the previous revision');
      expect((await page.textContent('#reclass-state')) === '완료', 'the job is not shown done');
      // an item of the new revision that came from a split: its crosswalk names the old item
      const splitRow = cwText.split('\n').map((l) => l.split(',')).find((c) => c[4] === 'split');
      await page.goto(`${base}/#/items?code=${encodeURIComponent(splitRow[2])}`);
      await page.waitForSelector('#crosswalk-from');
      const from = await page.textContent('#crosswalk-from');
      expect(from.includes(splitRow[0]) && from.includes('분할'), `the item's crosswalk reads "${from}"`);
      // the company's current judgment (the 해당 없음 one superseded the first) keeps its revision and
      // shows its re-classification
      await page.goto(`${base}/#/history?brn=${validBrn}&id=${naId || savedId}`);
      await page.waitForSelector('#judgment-reclass');
      expect((await page.textContent('#judgment-revision')).includes(taxonomy.version), 'the judgment lost its revision');
      expect((await page.textContent('#judgment-reclass')).includes(rev.version), 'the re-classification names no revision');
      expect(await page.$('#history-table td.c-reclass'), 'the history list has no re-classification column');
      await shot(page, 'screen-history-reclass.png');
    });
  }

  await step('no script errors on any screen', async () => {
    expect(pageErrors.length === 0, pageErrors.join('; '));
  });

  await step('no Content-Security-Policy violation on any screen', async () => {
    expect(cspViolations.length === 0, cspViolations.join('; '));
  });
}

clearTimeout(watchdog);
await cleanup();
if (shots.length) console.log(`# screenshots: ${shots.join(', ')} in ${shotsDir}${docsDir ? ` and ${docsDir}` : ''}`);
finish();
