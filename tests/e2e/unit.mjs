#!/usr/bin/env node
// Browser-free checks of the web screens: the pure helpers in http/static/util.js, JS syntax of
// every script, and the static HTML (labels, local-only assets). Prints "N passed, M failed".
import { readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const here = dirname(fileURLToPath(import.meta.url));
const staticDir = resolve(here, '..', '..', 'http', 'static');
const U = await import(join(staticDir, 'util.js'));

let passed = 0;
let failed = 0;
function test(name, fn) {
  try {
    fn();
    passed++;
    console.log(`ok ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok ${name}: ${e.message}`);
  }
}

// Reference check digit, written independently from util.js.
function refValid(d) {
  if (!/^\d{10}$/.test(d)) return false;
  const w = [1, 3, 7, 1, 3, 7, 1, 3, 5];
  let s = 0;
  for (let i = 0; i < 9; i++) s += (d.charCodeAt(i) - 48) * w[i];
  s += Math.floor(((d.charCodeAt(8) - 48) * 5) / 10);
  return (10 - (s % 10)) % 10 === d.charCodeAt(9) - 48;
}

test('brnValid accepts real registration numbers, with or without hyphens', () => {
  for (const b of ['124-81-00998', '1248100998', '220-81-62517', ' 220 81 62517 ']) assert.equal(U.brnValid(b), true, b);
});

test('brnValid rejects a wrong check digit, wrong length and non-digits', () => {
  for (const b of ['124-81-00997', '1248100990', '124810099', '12481009981', '12481OO998', '', null, undefined, 'abc-de-fghij']) {
    assert.equal(U.brnValid(b), false, String(b));
  }
});

test('brnValid agrees with an independent implementation on 5000 numbers', () => {
  let seed = 12345;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed; };
  let valid = 0;
  for (let i = 0; i < 5000; i++) {
    const d = String(rnd() % 10000000000).padStart(10, '0');
    assert.equal(U.brnValid(d), refValid(d), d);
    if (refValid(d)) valid++;
  }
  assert.ok(valid > 300 && valid < 700, `about one in ten should be valid, got ${valid}`);
});

test('brnComplete yields valid numbers whose last digit is the only valid one', () => {
  for (const nine of ['124810099', '000000000', '999999999', '220816251']) {
    const full = U.brnComplete(nine);
    assert.equal(full.length, 10);
    assert.ok(refValid(full), full);
    for (let k = 0; k < 10; k++) if (String(k) !== full[9]) assert.equal(U.brnValid(nine + k), false);
  }
  assert.throws(() => U.brnComplete('12345'));
});

test('brnFormat and brnDigits', () => {
  assert.equal(U.brnFormat('1248100998'), '124-81-00998');
  assert.equal(U.brnFormat('124-81-00998'), '124-81-00998');
  assert.equal(U.brnFormat('12*******'), '12*******');
  assert.equal(U.brnDigits(' 124-81 00998'), '1248100998');
});

test('todaySeoul switches date at 15:00 UTC', () => {
  assert.equal(U.todaySeoul(new Date('2026-11-22T14:59:59Z')), '2026-11-22');
  assert.equal(U.todaySeoul(new Date('2026-11-22T15:00:00Z')), '2026-11-23');
  assert.equal(U.todaySeoul(new Date('2026-12-31T20:00:00Z')), '2027-01-01');
});

test('formatSeoul shows UTC timestamps in Seoul time', () => {
  assert.equal(U.formatSeoul('2026-11-22T15:04:00Z'), '2026-11-23 00:04');
  assert.equal(U.formatSeoul('not a date'), 'not a date');
  assert.equal(U.formatSeoul(''), '');
});

test('isBlank treats ASCII and ideographic spaces as blank', () => {
  for (const v of ['', '   ', '\t\n', '\u3000\u3000', null, undefined]) assert.equal(U.isBlank(v), true, JSON.stringify(v));
  for (const v of ['a', ' 가 ', '0']) assert.equal(U.isBlank(v), false, v);
});

const join2 = (segs) => segs.map((s) => s.text).join('');
const marks = (segs) => segs.filter((s) => s.mark).map((s) => s.text);

test('highlightSegments marks every occurrence and keeps the text intact', () => {
  const text = '이차전지 양극재와 이차전지 음극재 제조';
  const segs = U.highlightSegments(text, ['이차전지', '음극재']);
  assert.equal(join2(segs), text);
  assert.deepEqual(marks(segs), ['이차전지', '이차전지', '음극재']);
});

test('highlightSegments prefers the longest keyword and never overlaps', () => {
  const segs = U.highlightSegments('반도체장비 부품', ['반도체', '반도체장비', '장비']);
  assert.deepEqual(marks(segs), ['반도체장비']);
  assert.equal(join2(segs), '반도체장비 부품');
  const rep = U.highlightSegments('ababab', ['abab']);
  assert.deepEqual(marks(rep), ['abab']);
  assert.equal(join2(rep), 'ababab');
});

test('highlightSegments is case-insensitive and keeps the original case', () => {
  const segs = U.highlightSegments('IoT 센서와 iot 플랫폼', ['IOT']);
  assert.deepEqual(marks(segs), ['IoT', 'iot']);
});

test('highlightSegments handles empty input and odd keywords', () => {
  assert.deepEqual(U.highlightSegments('', ['a']), []);
  assert.deepEqual(U.highlightSegments(null, null), []);
  assert.deepEqual(U.highlightSegments('abc', []), [{ text: 'abc', mark: false }]);
  assert.deepEqual(marks(U.highlightSegments('abc', ['', '  ', null, 'b'])), ['b']);
  assert.deepEqual(marks(U.highlightSegments('<b>x</b>', ['<b>'])), ['<b>']);
});

test('scorePercent clamps and rounds', () => {
  assert.equal(U.scorePercent(0.834), 83);
  assert.equal(U.scorePercent(1.7), 100);
  assert.equal(U.scorePercent(-1), 0);
  assert.equal(U.scorePercent('x'), 0);
  assert.equal(U.fieldId('tech.product_use'), 'f-tech-product_use');
});

test('visibleItems keeps rank 1 and leaves out later ranks below ALT_MIN_SCORE', () => {
  assert.equal(U.ALT_MIN_SCORE, 0.05);
  const items = [{ rank: 2, score: 0.04 }, { rank: 1, score: 0.02 }, { rank: 3, score: 0.05 }];
  const v = U.visibleItems(items);
  assert.deepEqual(v.shown.map((i) => i.rank), [1, 3]);
  assert.equal(v.hidden, 1);
  assert.deepEqual(v.rest.map((i) => i.rank), [2]);
  assert.deepEqual(U.visibleItems(null), { shown: [], hidden: 0, rest: [] });
  assert.equal(U.visibleItems([{ rank: 1, score: 0.9 }, { rank: 2, score: 0.001 }, { rank: 3, score: 0 }]).hidden, 2);
});

test('probText writes probabilities as whole percents an examiner compares', () => {
  assert.equal(U.probText(0.624), '62%');
  assert.equal(U.probText(1), '100%');
  assert.equal(U.probText(0.004), '1% 미만');
  assert.equal(U.probText(0), '0%');
  assert.equal(U.probText(1.3), '100%');
  assert.equal(U.probText(null), '-');
  assert.equal(U.probText('x'), '-');
});

test('applicabilityWords and gapWords say the numbers in words', () => {
  assert.match(U.applicabilityWords(0.93), /높습니다/);
  assert.match(U.applicabilityWords(0.5), /어렵습니다/);
  assert.match(U.applicabilityWords(0.05), /매우 낮습니다/);
  assert.equal(U.applicabilityWords(undefined), '');
  assert.match(U.gapWords(0.8), /뚜렷/);
  assert.match(U.gapWords(0.12), /12%p만 높습니다/);
  assert.match(U.gapWords(0.01), /거의 같습니다/);
  assert.match(U.gapWords(0.01, false), /다른 후보가 없어/);
});

test('gapWords says "no other candidate" only when the answer has no rank 2', () => {
  // rank 2 at 2 %: left out of the list, but it is there
  const hidden = U.gapWords(0.79, true, false);
  assert.doesNotMatch(hidden, /다른 후보가 없/);
  assert.match(hidden, /79%p/);
  assert.match(hidden, /5% 미만/);
  assert.match(U.gapWords(0.4, false, false), /다른 후보가 없어/);
});

test('reason and kind codes read as Korean labels; an unknown code falls back to itself', () => {
  const want = {
    not_innovation: '혁신성장 근거 부족', generic_supplier: '적용원칙 1 범용 제품 공급', wholesale_retail: '적용원칙 2 도소매(유통)',
    merchandise_only: '적용원칙 3 상품 판매만', insufficient_info: '정보 부족', all_items_excluded: '후보 모두 제외',
  };
  for (const [c, l] of Object.entries(want)) assert.equal(U.reasonLabel(c), l, c);
  for (const c of ['near_threshold', 'low_top_score', 'rule', 'rule_error', 'unknown_words']) {
    assert.ok(U.reasonLabel(c) && !/[a-z_]/.test(U.reasonLabel(c)), c);
  }
  assert.equal(U.reasonLabel('new_code'), 'new_code');
  assert.equal(U.kindLabel('rules'), '적용원칙 규칙');
  assert.equal(U.kindLabel('programmes'), '연계 우대지원');
  assert.equal(U.kindLabel('other'), 'other');
});

test('ruleOverride: rules made it 해당 없음 although the engine found it applicable', () => {
  const gs = { code: 'generic_supplier', message: '…', rule: 'generic_supplier' };
  const ni = { code: 'not_innovation', message: '…', rule: 'engine' };
  assert.deepEqual(U.ruleOverride({ applicable: false, p_applicable: 0.74, reasons: [gs] }), [gs]);
  assert.deepEqual(U.ruleOverride({ applicable: false, reasons: [{ code: 'all_items_excluded', rule: 'rules' }] }).map((r) => r.code),
    ['all_items_excluded']);
  assert.equal(U.ruleOverride({ applicable: false, p_applicable: 0.5, reasons: [gs, ni] }), null); // the engine said no too
  assert.equal(U.ruleOverride({ applicable: false, reasons: [ni] }), null);
  assert.equal(U.ruleOverride({ applicable: true, reasons: [] }), null);
  assert.equal(U.ruleOverride(null), null);
});

test('field limits are the server\'s, counted as it counts (trimmed, code points), and said with the field', () => {
  assert.deepEqual(U.FIELD_LIMITS, {
    'company.name': 100, 'company.brn': 20, 'company.ceo': 50, 'tech.ksic_code': 10, 'tech.ksic_name': 100,
    'tech.main_product': 1000, 'tech.product_use': 3000, 'tech.tech_business_name': 300, 'tech.tech_class': 20,
  });
  assert.equal(U.charCount('  가나다  '), 3);
  assert.equal(U.charCount('𠀀a'), 2);
  assert.equal(U.tooLongMessage('주요제품', 1000, 1500), '주요제품 항목이 너무 깁니다 (최대 1,000자, 지금 1,500자).');
  assert.equal(U.tooLongMessage('기업명', 100), '기업명 항목이 너무 깁니다 (최대 100자).');
});

test('techClassValid: two letters and 2-4 digits', () => {
  for (const t of ['EE01', 'EE0101', 'ee010', ' LB0302 ']) assert.equal(U.techClassValid(t), true, t);
  for (const t of ['1234', 'EE1', 'EE01234', 'E0101', 'EEE01', 'EE01A', '', null]) assert.equal(U.techClassValid(t), false, String(t));
});

test('ksicInput keeps every code typed and looks up the most specific', () => {
  assert.deepEqual(U.ksicInput('282;2820'), { codes: ['282', '2820'], code: '2820', bad: [] });
  assert.deepEqual(U.ksicInput(' 28202 '), { codes: ['28202'], code: '28202', bad: [] });
  assert.equal(U.ksicInput('28202;282').code, '28202');
  assert.equal(U.ksicInput('282, 2630').code, '282');
  assert.deepEqual(U.ksicInput('28a02').bad, ['28a02']);
  assert.deepEqual(U.ksicInput('123456').bad, ['123456']);
  assert.deepEqual(U.ksicInput(''), { codes: [], code: '', bad: [] });
});

test('none reasons are the API codes, each with a label, 적용원칙 1-3 and 기타 among them', () => {
  const codes = U.NONE_REASONS.map(([c]) => c);
  assert.deepEqual(codes, ['generic_supplier', 'wholesale_retail', 'merchandise_only', 'not_innovation', 'insufficient_info', 'other']);
  for (const n of ['적용원칙 1', '적용원칙 2', '적용원칙 3', '기타']) assert.ok(U.NONE_REASONS.some(([, l]) => l.includes(n)), n);
  assert.match(U.noneReasonLabel('wholesale_retail'), /적용원칙 2/);
  assert.equal(U.noneReasonLabel('zzz'), 'zzz');
  assert.equal(U.normalizeItemCode(' b60001 '), 'B60001');
  assert.equal(U.normalizeItemCode('ｂ６０００１'), 'B60001');
});

test('search marks: words, 2차 read as 이차, parts of a long word, Latin marked whole only', () => {
  assert.deepEqual(U.searchMarks('2차전지 소재'), ['2차전지', '소재', '이차전지']);
  assert.deepEqual(U.searchMarks('면역진단', true), ['면역진단', '면역', '진단']);
  assert.deepEqual(U.searchMarks('면역진단'), ['면역진단']);
  const segs = U.highlightSegments('AI칩, Chain, ai 기반', ['ai'], { wholeLatin: true });
  assert.deepEqual(marks(segs), ['AI', 'ai']);
  assert.deepEqual(marks(U.highlightSegments('Chain', ['ai'])), ['ai']); // keywords: substrings, as before
});

test('screens and 저장 per role follow the role table of docs/security.md; without users all are offered', () => {
  // classify: examiner, reviewer, policy; save and read judgments: examiner, reviewer; admin: the reads
  const screens = ['input', 'result', 'items', 'history', 'status'];
  const want = {
    examiner: { input: true, result: true, items: true, history: true, status: true, save: true },
    reviewer: { input: true, result: true, items: true, history: true, status: true, save: true },
    policy: { input: true, result: true, items: true, history: false, status: true, save: false },
    admin: { input: false, result: false, items: true, history: false, status: true, save: false },
    unknown: { input: false, result: false, items: true, history: false, status: true, save: false },
  };
  for (const [role, w] of Object.entries(want)) {
    for (const sc of screens) assert.equal(U.screenAllowed(sc, true, role), w[sc], `${role} ${sc}`);
    assert.equal(U.saveAllowed(true, role), w.save, `${role} 저장`);
  }
  for (const sc of screens) assert.equal(U.screenAllowed(sc, false, 'open'), true, `open ${sc}`);
  assert.equal(U.saveAllowed(false, 'open'), true);
});

test('addressText writes a 소재지 on one line, nothing without a province', () => {
  assert.equal(U.addressText({ sido: '강원특별자치도', sigungu: '정선군' }), '강원특별자치도 정선군');
  assert.equal(U.addressText({ sido: '세종특별자치시', sigungu: '' }), '세종특별자치시');
  for (const a of [null, undefined, {}, { sido: '' }, { sigungu: '정선군' }]) assert.equal(U.addressText(a), '', JSON.stringify(a));
});

test('blankMessage: an empty field is 공란 입력; a value that says nothing is told why it counts as blank', () => {
  for (const v of ['', '  ', '\u3000', null, undefined]) assert.equal(U.blankMessage(v), '공란 입력', JSON.stringify(v));
  for (const v of ['없음', '미정', '1', '해당 없음', '-']) {
    const m = U.blankMessage(v);
    assert.ok(m.startsWith('공란 입력') && m.includes("'없음'") && m.includes('공란으로 봅니다'), `${v}: ${m}`);
  }
});

test('programmesNote: a voided judgment offers no programme, a superseded one says it was replaced', () => {
  const cur = U.programmesNote(6, '강원특별자치도 정선군', null);
  assert.equal(cur.list, true);
  assert.match(cur.text, /^이 판별로 연계되는 지원사업 6건 \(강원특별자치도 정선군\)/);
  assert.equal(U.programmesNote(5, '소재지 입력 없음', { status: 'current' }).text, U.programmesNote(5, '소재지 입력 없음', null).text);
  const voided = U.programmesNote(5, '서울특별시 강남구', { status: 'voided' });
  assert.equal(voided.list, false);
  assert.match(voided.text, /무효 처리된 판별이므로 연계 지원사업을 안내하지 않습니다/);
  assert.doesNotMatch(voided.text, /5건/);
  const sup = U.programmesNote(1, '강원특별자치도 정선군', { status: 'superseded', superseded_by: 'abc123' });
  assert.equal(sup.list, true);
  assert.ok(sup.text.includes('대체된 판별') && sup.text.includes('abc123'), sup.text);
});

const files = readdirSync(staticDir);
test('every script in http/static parses', () => {
  const js = files.filter((f) => f.endsWith('.js'));
  assert.ok(js.includes('app.js'));
  for (const f of js) {
    const r = spawnSync(process.execPath, ['--input-type=module', '--check'], { input: readFileSync(join(staticDir, f)) });
    assert.equal(r.status, 0, `${f}: ${r.stderr}`);
  }
});

const html = readFileSync(join(staticDir, 'index.html'), 'utf8');
test('index.html: every input has a <label for> and every label points at a control', () => {
  const ids = [...html.matchAll(/<(?:input|textarea|select)\b[^>]*\bid="([^"]+)"/g)].map((m) => m[1]);
  const fors = new Set([...html.matchAll(/<label\b[^>]*\bfor="([^"]+)"/g)].map((m) => m[1]));
  assert.ok(ids.length >= 12, `only ${ids.length} controls`);
  for (const id of ids) assert.ok(fors.has(id), `no label for ${id}`);
  for (const f of fors) assert.ok(ids.includes(f), `label for missing control ${f}`);
});

test('index.html: form fields carry the API field names and error slots', () => {
  for (const f of ['company.name', 'company.brn', 'company.ceo', 'tech.ksic_code', 'tech.ksic_name',
    'tech.main_product', 'tech.product_use', 'tech.tech_business_name', 'tech.tech_class']) {
    const id = U.fieldId(f);
    assert.ok(html.includes(`id="${id}" name="${f}"`), `control for ${f}`);
    assert.ok(html.includes(`id="${id}-err"`), `error slot for ${f}`);
  }
});

test('index.html: the company form cuts nothing (no maxlength); the limits are checked by the page', () => {
  for (const f of Object.keys(U.FIELD_LIMITS)) {
    const tag = html.match(new RegExp(`<(?:input|textarea) id="${U.fieldId(f)}"[^>]*>`))?.[0] || '';
    assert.ok(tag, f);
    assert.doesNotMatch(tag, /maxlength/, `${f} has a maxlength`);
  }
  assert.doesNotMatch(html.match(/<textarea id="f-comment"[^>]*>/)[0], /maxlength/, 'the comment has a maxlength');
  assert.doesNotMatch(html, /코드 6자리/);
});

test('index.html: a read-only field is not a Tab stop (분류기준일)', () => {
  const ro = [...html.matchAll(/<input\b[^>]*\breadonly\b[^>]*>/g)].map((m) => m[0]);
  assert.ok(ro.some((t) => t.includes('id="f-classified-on"')), 'the 분류기준일 field is not read-only');
  for (const t of ro) assert.match(t, /tabindex="-1"/, t);
});

test('assets are local: no remote scripts, styles or fonts, and every reference exists', () => {
  const refs = [...html.matchAll(/\b(?:src|href)="([^"#][^"]*)"/g)].map((m) => m[1]);
  for (const r of refs) {
    assert.ok(!/^[a-z]+:|^\/\//i.test(r), `remote reference ${r}`);
    assert.ok(files.includes(r.replace(/^\//, '')), `missing file for ${r}`);
  }
  const css = readFileSync(join(staticDir, 'style.css'), 'utf8');
  assert.ok(!/url\(\s*["']?(https?:)?\/\//i.test(css) && !/@import/i.test(css), 'remote reference in style.css');
  for (const f of files.filter((x) => x.endsWith('.js'))) {
    const src = readFileSync(join(staticDir, f), 'utf8');
    for (const m of src.matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)) {
      assert.ok(m[1].startsWith('./') && files.includes(m[1].slice(2)), `${f} imports ${m[1]}`);
    }
  }
});

console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
