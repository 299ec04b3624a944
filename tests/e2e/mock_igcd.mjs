#!/usr/bin/env node
// A stand-in for igcd that follows the documented JSON API closely enough to develop and
// check the screens without the C server: same flags (--listen HOST:PORT --db DIR --data DIR),
// the static files read from http/static on every request, the real taxonomy and KSIC tables,
// and a naive character-bigram scorer. Run: node tests/e2e/mock_igcd.mjs --listen 127.0.0.1:8088
import { createServer } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { join, dirname, extname, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCsv } from './csv.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
};
const [host, port] = arg('--listen', '127.0.0.1:8088').split(':');
const dataDir = arg('--data', process.env.IGC_DATA || join(root, '..', 'shared', 'data'));
const staticDir = join(root, 'http', 'static');

const tx = JSON.parse(readFileSync(join(dataDir, 'taxonomy', 'igc-v6.json'), 'utf8'));
const themeName = Object.fromEntries(tx.themes.map((t) => [t.code, t.name]));
const fieldName = Object.fromEntries(tx.fields.map((f) => [f.code, f.name]));
const ksic = new Map(readCsv(join(dataDir, 'ksic', 'ksic11_hierarchy.csv')).map((r) => [r.ksic5, r]));
// the index-term dictionary as shipped (no staff copy, no reloads)
const lexPath = join(dataDir, 'taxonomy', 'igc-v6-lexicon.jsonl');
const lexicon = new Map(existsSync(lexPath)
  ? readFileSync(lexPath, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)).map((x) => [x.code, x])
  : []);
const judgments = [];
const startedAt = new Date().toISOString();

const bigrams = (s) => {
  const t = String(s).replace(/\s+/g, '');
  const out = new Set();
  for (let i = 0; i + 1 < t.length; i++) out.add(t.slice(i, i + 2));
  return out;
};
const itemText = new Map(tx.items.map((it) => [it.code, `${it.name} ${it.definition} ${it.examples}`]));
const itemGrams = new Map(tx.items.map((it) => [it.code, bigrams(itemText.get(it.code))]));

function brnValid(d) {
  if (!/^\d{10}$/.test(d)) return false;
  const w = [1, 3, 7, 1, 3, 7, 1, 3, 5];
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(d[i]) * w[i];
  sum += Math.floor((Number(d[8]) * 5) / 10);
  return (10 - (sum % 10)) % 10 === Number(d[9]);
}

const FIELDS = ['company.name', 'company.brn', 'company.ceo', 'tech.ksic_code', 'tech.ksic_name',
  'tech.main_product', 'tech.product_use', 'tech.tech_business_name', 'tech.tech_class'];

function fail(res, status, code, message, fields) {
  send(res, status, { error: { code, message, ...(fields ? { fields } : {}) } });
}
function send(res, status, obj) {
  const body = Buffer.from(JSON.stringify(obj));
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length });
  res.end(body);
}

// As igcd: a description of the business that says nothing ("없음", "미정", digits or marks only) is blank too.
const DESCRIBES = ['tech.ksic_name', 'tech.main_product', 'tech.product_use', 'tech.tech_business_name'];
const PLACEHOLDERS = ['없음', '없다', '없슴', '미정', '미상', '모름', '해당없음', '해당사항없음', '미입력', '입력없음', '공란',
  'na', 'none', 'null', 'nil', 'tbd', 'unknown'];
function saysNothing(v) {
  const k = v.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
  return !/\p{L}/u.test(k) || PLACEHOLDERS.includes(k);
}

function classify(body) {
  const get = (p) => p.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), body);
  const empty = (f) => typeof get(f) !== 'string' || get(f).trim() === '';
  const blank = FIELDS.filter((f) => empty(f) || (DESCRIBES.includes(f) && saysNothing(get(f))));
  if (blank.length) {
    const nothing = blank.some((f) => !empty(f));
    return [400, { error: { code: 'blank_field', fields: blank, message: `공란 입력: 필수 항목을 입력해 주세요.${nothing
      ? " ('없음', '미정'이나 숫자만 쓴 값처럼 사업 내용을 말하지 않는 값도 공란으로 봅니다.)" : ''}` } }];
  }
  if (!brnValid(get('company.brn').replace(/-/g, ''))) {
    return [400, { error: { code: 'invalid_brn', message: '사업자등록번호가 올바르지 않습니다.', fields: ['company.brn'] } }];
  }
  if (!ksic.has(get('tech.ksic_code'))) {
    return [400, { error: { code: 'invalid_ksic', message: '등록되지 않은 업종코드입니다.', fields: ['tech.ksic_code'] } }];
  }
  const t0 = performance.now();
  const text = ['tech.ksic_name', 'tech.main_product', 'tech.product_use', 'tech.tech_business_name'].map(get).join(' ');
  const q = bigrams(text);
  const scored = tx.items.map((it) => {
    const g = itemGrams.get(it.code);
    let hit = 0;
    for (const b of q) if (g.has(b)) hit++;
    return { it, s: q.size ? hit / q.size : 0 };
  }).sort((a, b) => b.s - a.s).slice(0, 3);
  const words = [...new Set(text.split(/[\s,/·()]+/).filter((w) => w.length >= 2))];
  const items = scored.map(({ it, s }, i) => {
    const g = itemGrams.get(it.code);
    const kws = words.filter((w) => [...bigrams(w)].some((b) => g.has(b))).slice(0, 4);
    return {
      rank: i + 1, code: it.code, name: it.name, theme: it.theme, theme_name: themeName[it.theme],
      field: it.field, field_name: fieldName[it.field], score: Math.round(Math.min(1, s * 1.6) * 100) / 100,
      basis: `입력한 ${kws.length ? kws.join(', ') : '기술 정보'}이(가) 품목 '${it.name}'의 정의와 예시에 나타납니다.`,
      keywords: kws.length ? kws : words.slice(0, 1),
    };
  });
  const retail = /도매|소매/.test(get('tech.ksic_name'));
  const brn = get('company.brn').replace(/-/g, '');
  return [200, {
    classified_on: new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Seoul' }).format(new Date()),
    applicable: !retail,
    reasons: retail ? [{ code: 'wholesale_retail', message: '도소매업만 영위하는 기업은 혁신성장 품목에 해당하지 않습니다.', rule: 'mock.retail' }] : [],
    needs_review: items.length > 1 && items[0].score - items[1].score < 0.05,
    review_reasons: items.length > 1 && items[0].score - items[1].score < 0.05
      ? [{ code: 'low_top_score', message: '1순위와 2순위의 점수가 비슷합니다 (모의 서버).', rule: 'engine' }] : [],
    p_applicable: retail ? 0.2 : 0.8,
    confidence_gap: items.length > 1 ? Math.round((items[0].score - items[1].score) * 1000) / 1000 : items[0]?.score || 0,
    items,
    taxonomy_version: tx.version, engine_version: 'mock-0', rules_version: 'mock-rules-0',
    elapsed_ms: Math.round((performance.now() - t0) * 10) / 10,
    company: { ...body.company, brn: `${brn[0]}*********` }, tech: body.tech,
  }];
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.svg': 'image/svg+xml' };

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname;
  try {
    if (p === '/readyz' || p === '/healthz') return send(res, 200, { ok: true });
    // no users here: open, as igcd without users
    if (p === '/api/v1/session' && req.method === 'GET') return send(res, 200, { auth: false, user: null, role: 'open', learn_from: 'save' });
    if (p === '/api/v1/classify' && req.method === 'POST') {
      let body;
      try { body = JSON.parse(await readBody(req)); } catch { return fail(res, 400, 'invalid_json', 'JSON 형식이 올바르지 않습니다.'); }
      const [st, out] = classify(body);
      return send(res, st, out);
    }
    if (p === '/api/v1/judgments' && req.method === 'POST') {
      let body;
      try { body = JSON.parse(await readBody(req)); } catch { return fail(res, 400, 'invalid_json', 'JSON 형식이 올바르지 않습니다.'); }
      const id = `J${String(judgments.length + 1).padStart(8, '0')}`;
      const chosen = typeof body.chosen_item === 'string'
        ? tx.items.find((x) => x.code.toUpperCase() === body.chosen_item.trim().toUpperCase()) : null;
      if (typeof body.chosen_item === 'string' && !chosen) return fail(res, 400, 'unknown_item', '선택한 품목코드가 현재 분류체계에 없습니다.', ['chosen_item']);
      // one current judgment per company: the one before is superseded by this one
      const prev = judgments.find((j) => j.company?.brn === body.company?.brn && j.status === 'current');
      if (prev) Object.assign(prev, { status: 'superseded', superseded_by: id });
      judgments.unshift({ id, saved_at: new Date().toISOString(), ...body, chosen_item: chosen ? chosen.code : null,
        chosen_item_name: chosen?.name, none_reason: chosen ? undefined : body.none_reason || undefined,
        rules_version: body.result?.rules_version, examiner: null, status: 'current', confirmed: true,
        ...(prev ? { supersedes: prev.id } : {}) });
      return send(res, 201, { id, examiner: null, status: 'current', confirmed: true });
    }
    if (p === '/api/v1/judgments') {
      const brn = url.searchParams.get('brn') || '';
      const rows = judgments.filter((j) => j.company?.brn === brn)
        .map((j) => ({ id: j.id, saved_at: j.saved_at, chosen_item: j.chosen_item, chosen_item_name: j.chosen_item_name,
          none_reason: j.none_reason, company_name: j.company?.name, comment: j.comment, status: j.status,
          superseded_by: j.superseded_by, void_reason: j.void_reason, confirmed: j.confirmed }));
      return send(res, 200, { judgments: rows });
    }
    let m;
    if ((m = p.match(/^\/api\/v1\/judgments\/([^/]+)\/void$/)) && req.method === 'POST') {
      const j = judgments.find((x) => x.id === decodeURIComponent(m[1]));
      if (!j) return fail(res, 404, 'unknown_judgment', '판별을 찾을 수 없습니다.');
      let body = {};
      try { body = JSON.parse(await readBody(req) || '{}'); } catch { return fail(res, 400, 'invalid_json', 'JSON 형식이 올바르지 않습니다.'); }
      if (typeof body.reason !== 'string' || !body.reason.trim()) return fail(res, 400, 'blank_field', '무효 처리 사유를 적어 주세요.', ['reason']);
      Object.assign(j, { status: 'voided', voided_by: null, voided_at: new Date().toISOString(), void_reason: body.reason.trim() });
      return send(res, 200, j);
    }
    if ((m = p.match(/^\/api\/v1\/judgments\/([^/]+)$/))) {
      const j = judgments.find((x) => x.id === decodeURIComponent(m[1]));
      return j ? send(res, 200, j) : fail(res, 404, 'not_found', '판별을 찾을 수 없습니다.');
    }
    if (p === '/api/v1/taxonomy') {
      return send(res, 200, {
        version: tx.version, themes: tx.themes.map(({ code, name }) => ({ code, name })),
        fields: tx.fields.map(({ code, name, theme }) => ({ code, name, theme })),
        items: tx.items.map(({ code, name, theme, field }) => ({ code, name, theme, field })),
      });
    }
    if (p === '/api/v1/taxonomy/search') {
      // naive: case-insensitive substring (the real server: whole Latin words, index terms, ranking)
      const q = (url.searchParams.get('q') || '').trim();
      const limit = Number(url.searchParams.get('limit') || 20);
      const all = q ? tx.items.filter((it) => itemText.get(it.code).toLowerCase().includes(q.toLowerCase())) : [];
      const items = all.slice(0, limit).map((it) => {
        const t = itemText.get(it.code);
        const at = t.toLowerCase().indexOf(q.toLowerCase());
        return { code: it.code, name: it.name, theme: it.theme, field: it.field, snippet: t.slice(Math.max(0, at - 20), at + 40), terms: [] };
      });
      return send(res, 200, { query: q, total: all.length, partial: false, items });
    }
    if ((m = p.match(/^\/api\/v1\/taxonomy\/items\/([^/]+)$/))) {
      const it = tx.items.find((x) => x.code.toUpperCase() === decodeURIComponent(m[1]).trim().toUpperCase());
      if (!it) return fail(res, 404, 'not_found', '품목을 찾을 수 없습니다.');
      return send(res, 200, { code: it.code, name: it.name, theme: it.theme, theme_name: themeName[it.theme],
        field: it.field, field_name: fieldName[it.field], definition: it.definition, examples: it.examples, notes: it.notes });
    }
    if ((m = p.match(/^\/api\/v1\/lexicon\/items\/([^/]+)$/))) {
      const it = tx.items.find((x) => x.code.toUpperCase() === decodeURIComponent(m[1]).trim().toUpperCase());
      if (!it) return fail(res, 404, 'unknown_item', '해당 품목코드를 찾을 수 없습니다.', ['code']);
      const x = lexicon.get(it.code);
      const name = (c) => tx.items.find((y) => y.code === c)?.name || '';
      return send(res, 200, { code: it.code, name: it.name, listed: !!x, version: 'mock-lexicon-0',
        terms: x?.terms || [], ksic: (x?.ksic || []).map((c) => ({ code: c, name: ksic.get(c)?.name5 || '' })),
        confusable: (x?.confusable || []).map((c) => ({ code: c.code, name: name(c.code), cue: c.cue })),
        not_applicable_cues: x?.not_applicable_cues || [] });
    }
    if ((m = p.match(/^\/api\/v1\/ksic\/([^/]+)$/))) {
      const code = decodeURIComponent(m[1]);
      if (/^\d{2,4}$/.test(code)) { // a prefix: its 5-digit codes to pick from
        const under = [...ksic.values()].filter((r) => r.ksic5.startsWith(code));
        if (!under.length) return fail(res, 404, 'unknown_ksic', '존재하지 않는 업종코드입니다.', ['code']);
        const f = under[0];
        return send(res, 200, { code, name: code.length === 2 ? f.div2_name : code.length === 3 ? f.grp3_name : f.cls4_name,
          level: code.length, section: f.sec, section_name: f.sec_name, division_name: f.div2_name,
          ...(code.length >= 3 ? { group_name: f.grp3_name } : {}),
          candidates: under.map((r) => ({ code: r.ksic5, name: r.name5 })) });
      }
      const k = ksic.get(code);
      if (!k) return fail(res, 404, 'not_found', '업종코드를 찾을 수 없습니다.');
      return send(res, 200, { code: k.ksic5, name: k.name5, level: 5, section: k.sec, section_name: k.sec_name,
        division_name: k.div2_name, group_name: k.grp3_name });
    }
    if (p === '/api/v1/status') {
      // no users here: open, as igcd without users
      return send(res, 200, { taxonomy_version: tx.version, engine_version: 'mock-0',
        auth: { enabled: false, learn_from: 'save' },
        rules: { version: 'mock-rules-0', kind: 'rules', loaded_at: startedAt, last_error: null, count: 3 },
        programmes: { version: 'mock-programmes-0', kind: 'programmes', loaded_at: startedAt, last_error: null, count: 0 },
        store: { judgments: judgments.length },
        lexicon: { version: 'mock-lexicon-0', path: lexPath, loaded_at: startedAt, items: lexicon.size,
          terms: [...lexicon.values()].reduce((n, x) => n + x.terms.length, 0), last_error: null } });
    }
    if (p.startsWith('/api/')) return fail(res, 404, 'not_found', '없는 경로입니다.');
    const file = normalize(join(staticDir, p === '/' ? 'index.html' : p));
    if (file.startsWith(staticDir) && existsSync(file) && TYPES[extname(file)]) {
      const body = readFileSync(file);
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)], 'Content-Length': body.length });
      return res.end(body);
    }
    return fail(res, 404, 'not_found', '없는 경로입니다.');
  } catch (e) {
    return fail(res, 500, 'internal', String(e));
  }
});
server.listen(Number(port), host, () => process.stderr.write(`mock igcd listening on ${host}:${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
