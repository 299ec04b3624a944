// 혁신성장 품목 판별: the examiners' screens. A hash-routed single page over the igcd API.
// Everything shown comes from API responses; only the field labels of the form live here.
import { get, post, del, enc, setCsrf } from './api.js';
import {
  brnDigits, brnValid, brnFormat, todaySeoul, formatSeoul, isBlank,
  highlightSegments, scorePercent, fieldId, ALT_MIN_SCORE, visibleItems, probText, applicabilityWords, gapWords,
  ksicInput, NONE_REASONS, noneReasonLabel, normalizeItemCode, searchMarks, reasonLabel, kindLabel, ruleOverride,
  FIELD_LIMITS, charCount, tooLongMessage, techClassValid, addressText, SCREEN_ROLES, screenAllowed, saveAllowed,
  blankMessage, programmesNote,
} from './util.js';

// ---------------------------------------------------------------- DOM helpers

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

/** Builds an element; strings become text nodes, so API text is never parsed as HTML. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    // through the CSSOM: the Content-Security-Policy refuses style attributes
    else if (k === 'style') el.style.cssText = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  return append(el, ...children);
}
function append(el, ...children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
function clear(el) {
  el.replaceChildren();
  return el;
}
/** Text with the given keywords wrapped in <mark>. */
function marked(text, keywords, opts) {
  const frag = document.createDocumentFragment();
  for (const s of highlightSegments(text, keywords, opts)) {
    frag.append(s.mark ? h('mark', { title: `기여 키워드: ${s.keyword}` }, s.text) : document.createTextNode(s.text));
  }
  return frag;
}
/** Multi-line text as paragraphs. */
function paragraphs(text) {
  return String(text ?? '').split(/\n+/).map((t) => t.trim()).filter(Boolean).map((t) => h('p', null, t));
}
const show = (el, on = true) => { el.hidden = !on; };

// ---------------------------------------------------------------- state

const FIELDS = [
  ['company.name', '기업명'],
  ['company.brn', '사업자등록번호'],
  ['company.ceo', '대표자명'],
  ['tech.ksic_code', '업종코드'],
  ['tech.ksic_name', '업종명'],
  ['tech.main_product', '주요제품'],
  ['tech.product_use', '제품용도'],
  ['tech.tech_business_name', '기술사업명'],
  ['tech.tech_class', '기술분류'],
];
const LABEL = Object.fromEntries(FIELDS);
const BLANK_MSG = '공란 입력';
const TECH_CLASS_MSG = '기술분류 코드 형식이 올바르지 않습니다. 영문 2자와 숫자 2~4자리로 적어 주세요 (예: EE01, EE0101).';
// Fields with a character counter under them (the others are short codes checked by their format).
const COUNTED = ['company.name', 'company.ceo', 'tech.ksic_name', 'tech.main_product', 'tech.product_use',
  'tech.tech_business_name'];

const state = {
  input: null,    // {company, tech} as last sent to /classify
  result: null,   // the /classify answer
  saved: null,    // {id} once the result is saved
  justSaved: null, // the id saved on this screen just now (not one opened again)
  decision: null, // what is chosen and typed in the save form, not saved yet (kept through a new login)
  resumeSave: false, // the last save was refused because the login had expired
  taxonomy: null, // GET /api/v1/taxonomy, loaded on demand
};

const store = {
  get(k) {
    try { return JSON.parse(sessionStorage.getItem(k) || 'null'); } catch { return null; }
  },
  set(k, v) {
    try { sessionStorage.setItem(k, JSON.stringify(v)); } catch { /* storage full or disabled */ }
  },
  remove(k) {
    try { sessionStorage.removeItem(k); } catch { /* storage disabled */ }
  },
};

/** The result screen as it is, kept for a reload of the page. */
function keepLast() {
  store.set('igc.last', { input: state.input, result: state.result, saved: state.saved, decision: state.decision });
}

// ---------------------------------------------------------------- router

const TITLES = { input: '기업정보 입력', result: '분류결과', items: '품목 찾기', history: '판별 이력', status: '상태' };
let currentView = null;
let routedOnce = false; // the first route (page load) leaves focus where the browser put it

// What the signed-in role may use (SCREEN_ROLES in util.js). The server refuses the calls anyway:
// this only keeps a role from being offered what can only fail.
const mayUse = (name) => screenAllowed(name, session.auth, session.role);
const maySave = () => saveAllowed(session.auth, session.role);

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [name, query] = raw.split('?');
  // no screen named: the first one this role may use (an administrator does not classify)
  const home = mayUse('input') ? 'input' : 'status';
  return { name: TITLES[name] ? name : home, params: new URLSearchParams(query || '') };
}

function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

// Who is signed in: {auth: false} on a server without users (open, this computer only).
const session = { auth: false, user: null, role: 'open', learnFrom: 'save' };

function route() {
  const login = session.auth && !session.user;
  show($('.nav'), !login);
  if (login) {
    for (const v of $$('.view')) show(v, v.dataset.view === 'login');
    document.title = '로그인 - 혁신성장 품목 판별';
    currentView = 'login';
    $('#f-login-token').focus();
    return;
  }
  const { name, params } = parseHash();
  const changed = name !== currentView;
  currentView = name;
  const allowed = mayUse(name);
  for (const v of $$('.view')) show(v, v.dataset.view === (allowed ? name : 'denied'));
  for (const a of $$('.nav a')) {
    show(a.parentElement, mayUse(a.dataset.route));
    if (a.dataset.route === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${TITLES[name]} - 혁신성장 품목 판별`;
  if (allowed) {
    const enter = { input: enterInput, result: enterResult, items: enterItems, history: enterHistory, status: enterStatus }[name];
    enter(params);
  } else {
    showDenied(name);
  }
  // Focus follows navigation so keyboard and screen-reader users land on the new screen.
  if (changed && routedOnce) $(`#${allowed ? name : 'denied'}-heading`)?.focus();
  routedOnce = true;
}

/** A screen this role may not use (opened by its address): which roles may, instead of calls that fail. */
function showDenied(name) {
  $('#denied-heading').textContent = TITLES[name];
  const roles = SCREEN_ROLES[name].map((r) => ROLE_KO[r] || r).join('·');
  $('#denied-text').textContent = `${TITLES[name]} 화면은 ${roles} 역할만 쓸 수 있습니다 (지금 역할: ${
    ROLE_KO[session.role] || session.role}). 위 메뉴에서 다른 화면을 고르십시오.`;
}

// ---------------------------------------------------------------- 기업정보 입력

const form = $('#classify-form');
const control = (path) => document.getElementById(fieldId(path));

function formValues() {
  const v = { company: {}, tech: {} };
  for (const [path] of FIELDS) {
    const [grp, key] = path.split('.');
    v[grp][key] = control(path).value;
  }
  return v;
}

/** Puts a company into the form whole: a field or 소재지 it lacks is left empty, not another company's. */
function setFormValues(v) {
  for (const [path] of FIELDS) {
    const [grp, key] = path.split('.');
    const val = v?.[grp]?.[key];
    control(path).value = typeof val === 'string' ? val : '';
  }
  for (const path of COUNTED) updateCount(path);
  setAddress(v?.company?.address);
}

/** Empties the form, 소재지 included, and what was shown about the values in it. */
function clearForm() {
  for (const [path] of FIELDS) control(path).value = '';
  setAddress(null);
  for (const path of COUNTED) updateCount(path);
  clearErrors();
  onKsicInput();
}

function describedBy(el, withError) {
  const hint = document.getElementById(`${el.id}-hint`);
  const ids = [hint ? hint.id : null, withError ? `${el.id}-err` : null].filter(Boolean);
  if (ids.length) el.setAttribute('aria-describedby', ids.join(' '));
  else el.removeAttribute('aria-describedby');
}

function setFieldError(path, msg) {
  const el = control(path);
  if (!el) return false;
  document.getElementById(`${el.id}-err`).textContent = msg;
  el.setAttribute('aria-invalid', 'true');
  describedBy(el, true);
  if (path === 'tech.ksic_code') setKsicHint(KSIC_HINT, 'hint'); // the error says it: once, not in the hint too
  return true;
}

function clearFieldError(path) {
  const el = control(path);
  if (!el) return;
  document.getElementById(`${el.id}-err`).textContent = '';
  el.removeAttribute('aria-invalid');
  describedBy(el, false);
}

function clearErrors() {
  for (const [path] of FIELDS) clearFieldError(path);
  show(clear($('#input-summary')), false);
}

/** Error summary above the form: each entry moves focus to its field. */
function showSummary(title, entries) {
  const box = clear($('#input-summary'));
  box.append(h('strong', null, title));
  if (entries.length) {
    box.append(h('ul', null, entries.map(([path, msg]) => h('li', { dataset: { path } },
      control(path)
        ? h('a', { href: `#${fieldId(path)}`, onclick: (e) => { e.preventDefault(); control(path).focus(); } }, `${LABEL[path] || path}: ${msg}`)
        : `${path}: ${msg}`))));
  }
  show(box);
}

/** Client-side checks; returns [[path, message], ...]. */
function validate(v) {
  const errs = [];
  for (const [path] of FIELDS) {
    const [grp, key] = path.split('.');
    const val = v[grp][key];
    if (isBlank(val)) errs.push([path, BLANK_MSG]);
    else if (charCount(val) > FIELD_LIMITS[path]) {
      errs.push([path, tooLongMessage(LABEL[path], FIELD_LIMITS[path], charCount(val))]);
    } else if (path === 'company.brn' && !brnValid(val)) {
      errs.push([path, '사업자등록번호가 올바르지 않습니다. 숫자 10자리와 검증번호를 확인해 주세요.']);
    } else if (path === 'tech.ksic_code') {
      const m = ksicCheck(val);
      if (m) errs.push([path, m]);
    } else if (path === 'tech.tech_class' && !techClassValid(val)) {
      errs.push([path, TECH_CLASS_MSG]);
    }
  }
  return errs;
}

function requestBody(v) {
  const t = (s) => String(s).trim();
  return {
    company: { name: t(v.company.name), brn: brnDigits(v.company.brn), ceo: t(v.company.ceo), ...addressPart() },
    tech: {
      ksic_code: t(v.tech.ksic_code), ksic_name: t(v.tech.ksic_name), main_product: t(v.tech.main_product),
      product_use: t(v.tech.product_use), tech_business_name: t(v.tech.tech_business_name),
      tech_class: t(v.tech.tech_class).toUpperCase(),
    },
  };
}

async function onClassify(e) {
  e.preventDefault();
  clearErrors();
  const v = formValues();
  const errs = validate(v);
  if (errs.length) {
    for (const [path, msg] of errs) setFieldError(path, msg);
    showSummary(`입력 내용을 확인해 주세요 (${errs.length}건)`, errs);
    control(errs[0][0]).focus();
    return;
  }
  const body = requestBody(v);
  const btn = $('#btn-classify');
  btn.disabled = true;
  btn.textContent = '판별 중…';
  form.setAttribute('aria-busy', 'true');
  const r = await post('/api/v1/classify', body);
  btn.disabled = false;
  btn.textContent = '판별';
  form.removeAttribute('aria-busy');
  if (!r.ok) {
    const fields = r.error.fields || [];
    const entries = [];
    for (const path of fields) {
      // a value that says nothing ("없음") is blank to the server: the field says why
      const msg = r.error.code === 'blank_field' ? blankMessage(control(path)?.value) : r.error.message;
      if (setFieldError(path, msg)) entries.push([path, msg]);
    }
    showSummary(entries.length ? `입력 내용을 확인해 주세요 (${entries.length}건)` : r.error.message, entries);
    const first = fields.map(control).find(Boolean);
    (first || $('#input-heading')).focus();
    return;
  }
  state.input = body;
  state.result = r.data;
  state.saved = null;
  state.justSaved = null;
  state.decision = null;
  state.resumeSave = false;
  keepLast();
  go('#/result'); // the route change moves focus to the result heading
}

// KSIC lookup: names the code, offers the 5-digit codes under a prefix (or those a split KSIC-10
// code became) to pick, and suggests the standard 업종명. Nothing is ever written into a field
// the examiner types in: the suggestion is used only when they press its button.
let ksicSeq = 0;
let ksicTimer = 0;
let ksicInfo = null; // {raw, status: 'ok'|'pick'|'split'|'unknown'|'error', k} for what the field holds
const KSIC_HINT = '한국표준산업분류 세세분류 5자리. 앞자리(예: 282)를 넣으면 고를 수 있는 5자리 코드를 보여 줍니다.';

function setKsicHint(text, cls) {
  const hint = $('#f-tech-ksic_code-hint');
  hint.textContent = text;
  hint.className = cls;
}

/** The message for 업종코드 that stops sending, or '' when it can be sent. */
function ksicCheck(val) {
  const raw = String(val).trim();
  const { codes, code, bad } = ksicInput(raw);
  if (bad.length || !code) return '업종코드는 숫자 5자리입니다 (앞자리 2~4자리를 넣으면 목록에서 고를 수 있습니다).';
  const info = ksicInfo && ksicInfo.raw === raw ? ksicInfo : null;
  if (info?.status === 'unknown') return '등록되지 않은 업종코드입니다. 코드를 확인해 주세요.';
  if (info?.status === 'split') {
    return `구 코드 ${info.k.mapped_from}(KSIC 10차)는 11차에서 여러 코드로 나뉘었습니다. 아래 목록에서 하나를 골라 주세요.`;
  }
  if (codes.length > 1 || code.length < 5) return '업종코드 5자리를 아래 목록에서 골라 주세요.';
  return '';
}

function onKsicInput() {
  clearTimeout(ksicTimer);
  ksicSeq++; // an answer still on its way is for another value
  ksicInfo = null;
  const raw = control('tech.ksic_code').value.trim();
  const { code, bad } = ksicInput(raw);
  show(clear($('#ksic-suggest')), false);
  show(clear($('#ksic-pick')), false);
  setKsicHint(KSIC_HINT, 'hint');
  if (bad.length || !code) return;
  ksicTimer = setTimeout(() => lookupKsic(raw, code), 200);
}

/** Buttons for the 5-digit codes to choose from; choosing one puts it in the field. */
function showKsicPick(title, cands) {
  const box = clear($('#ksic-pick'));
  box.append(h('p', { id: 'ksic-pick-title', class: 'pick-title' }, title),
    h('ul', { class: 'pick-list' }, cands.map((c) => h('li', null, h('button', {
      type: 'button', class: 'pick', dataset: { code: c.code },
      onclick: () => {
        const el = control('tech.ksic_code');
        el.value = c.code;
        clearFieldError('tech.ksic_code');
        saveDraft();
        onKsicInput();
        clearTimeout(ksicTimer);
        lookupKsic(c.code, c.code);
        el.focus();
      },
    }, h('span', { class: 'code' }, c.code), ' ', c.name || '')))));
  show(box);
}

/** Offers the standard 업종명 when the field holds something else (never fills it by itself). */
function offerKsicName(name) {
  const box = clear($('#ksic-suggest'));
  const nameEl = control('tech.ksic_name');
  if (!name || nameEl.value.trim() === name) {
    show(box, false);
    return;
  }
  box.append(isBlank(nameEl.value) ? '표준 업종명: ' : '입력한 업종명과 다른 표준 업종명: ', h('strong', null, name), ' ',
    h('button', {
      type: 'button', class: 'btn-link', id: 'ksic-name-use', onclick: () => {
        nameEl.value = name;
        show(box, false);
        clearFieldError('tech.ksic_name');
        saveDraft();
        nameEl.focus();
      },
    }, '이 이름 쓰기'));
  show(box);
}

async function lookupKsic(raw, code) {
  const seq = ++ksicSeq;
  const r = await get(`/api/v1/ksic/${enc(code)}`);
  if (seq !== ksicSeq || control('tech.ksic_code').value.trim() !== raw) return;
  if (!r.ok) {
    ksicInfo = { raw, status: r.status === 404 ? 'unknown' : 'error' };
    // an error already shown on the field says it; the hint does not repeat it
    const hasErr = control('tech.ksic_code').getAttribute('aria-invalid') === 'true';
    if (r.status === 404 && !hasErr) setKsicHint('등록되지 않은 업종코드입니다. 코드를 확인해 주세요.', 'hint warn');
    else setKsicHint(KSIC_HINT, 'hint');
    return;
  }
  const k = r.data || {};
  const cands = Array.isArray(k.candidates) ? k.candidates : [];
  const path = [k.section_name, k.division_name, k.group_name].filter(Boolean).join(' › ');
  if (k.split) {
    ksicInfo = { raw, status: 'split', k };
    setKsicHint(`구 코드 ${k.mapped_from}(KSIC 10차)는 11차에서 ${cands.length}개 코드로 나뉘었습니다. 아래에서 하나를 골라 주세요.`, 'hint warn');
    showKsicPick(`구 코드 ${k.mapped_from}가 나뉜 11차 코드`, cands);
    return;
  }
  if (k.level < 5 || raw !== k.code) {
    ksicInfo = { raw, status: 'pick', k };
    const list = cands.length ? cands : [{ code: k.code, name: k.name }];
    setKsicHint(`${k.code} ${k.name || ''}${path ? ` (${path})` : ''}`, 'hint ok');
    showKsicPick(`${k.code} 아래의 세세분류 ${list.length}개: 하나를 골라 주세요`, list);
    return;
  }
  ksicInfo = { raw, status: 'ok', k };
  setKsicHint(`${k.name || ''}${path ? ` (${path})` : ''}${k.mapped_from ? ` · 구 코드 ${k.mapped_from}에서 변환` : ''}`, 'hint ok');
  offerKsicName(k.name);
}

/** "123 / 1,000자" under a field (only the limit while it is empty); marked when over. */
function updateCount(path) {
  const el = document.getElementById(`${fieldId(path)}-count`);
  if (!el) return;
  const max = FIELD_LIMITS[path];
  const n = charCount(control(path).value);
  el.textContent = n ? `${n.toLocaleString('ko-KR')} / ${max.toLocaleString('ko-KR')}자` : `최대 ${max.toLocaleString('ko-KR')}자`;
  el.classList.toggle('over', n > max);
}

function saveDraft() {
  const v = formValues();
  // a 소재지 still waiting for the province list is kept as it was
  const address = pendingAddress || addressPart().address;
  if (address) v.company.address = address;
  store.set('igc.form', v);
}

function enterInput() {
  $('#f-classified-on').value = todaySeoul();
}

function initInput() {
  $('#f-classified-on').value = todaySeoul();
  const draft = store.get('igc.form');
  if (draft) setFormValues(draft);
  form.addEventListener('submit', onClassify);
  // Nothing typed or pasted is ever cut: the limit is shown under the field, a value over it is
  // said at once and refused on 판별 (as the server's field_too_long would).
  for (const path of COUNTED) {
    const err = document.getElementById(`${fieldId(path)}-err`);
    err.before(h('p', { class: 'count', id: `${fieldId(path)}-count` }));
    updateCount(path);
  }
  form.addEventListener('input', (e) => {
    const path = e.target.name;
    if (path && LABEL[path] && e.target.getAttribute('aria-invalid') === 'true' && !isBlank(e.target.value)) {
      clearFieldError(path);
      // the summary above the form forgets a corrected field, and goes when none is left
      const box = $('#input-summary');
      $(`li[data-path="${CSS.escape(path)}"]`, box)?.remove();
      if (!$('li', box)) show(clear(box), false);
    }
    if (COUNTED.includes(path)) {
      updateCount(path);
      const n = charCount(e.target.value);
      if (n > FIELD_LIMITS[path]) setFieldError(path, tooLongMessage(LABEL[path], FIELD_LIMITS[path], n));
    }
    saveDraft();
  });
  control('tech.ksic_code').addEventListener('input', onKsicInput);
  control('tech.ksic_name').addEventListener('input', () => {
    const box = $('#ksic-suggest');
    if (!box.hidden && ksicInfo?.status === 'ok') offerKsicName(ksicInfo.k.name);
  });
  if (!isBlank(control('tech.ksic_code').value)) onKsicInput(); // a restored draft
  $('#btn-clear').addEventListener('click', () => {
    clearForm();
    saveDraft();
    control('company.name').focus();
  });
}

// ---------------------------------------------------------------- 분류결과

function itemCrumbs(it) {
  const theme = [it.theme, it.theme_name].filter(Boolean).join(' ');
  const field = [it.field, it.field_name].filter(Boolean).join(' ');
  return [theme, field].filter(Boolean).join(' › ');
}

// Names for the engine's score components; unknown ones are shown as sent.
const SIGNAL_LABELS = {
  lexical: '어휘 일치', dense: '의미 유사도', knn: '과거 판별', ksic_prior: '업종 연관', lexicon: '색인어', cases: '사례 사전',
};

/** The per-signal values, folded away: they are relative values for the curious, not probabilities. */
function signalsDetails(sig) {
  if (!sig || typeof sig !== 'object') return null;
  const parts = Object.entries(sig).filter(([, v]) => Number.isFinite(Number(v)))
    .map(([k, v]) => `${SIGNAL_LABELS[k] || k} ${Number(v).toFixed(2)}`);
  if (!parts.length) return null;
  return h('details', { class: 'signals' }, h('summary', null, '점수 구성 보기'),
    h('p', { class: 'muted' }, parts.join(' · ')),
    h('p', { class: 'muted small' }, '신호마다 가장 잘 맞는 품목을 1로 둔 상대값입니다. 품목끼리 비교할 수 있는 값은 위의 확률입니다.'));
}

function renderItem(it, marks, na) {
  const pct = scorePercent(it.score);
  // an item's probability is that it is the firm's item if the firm qualifies: under a 해당 없음
  // answer it reads apart from (and may exceed) the low 해당 가능성
  const label = na ? '해당한다면 이 품목일 확률' : '맞을 확률';
  const prob = probText(it.score);
  const kws = Array.isArray(it.keywords) ? it.keywords : [];
  const terms = Array.isArray(it.terms) ? it.terms : [];
  return h('li', { class: `item rank-${it.rank}`, dataset: { code: it.code } },
    h('div', { class: 'item-head' },
      h('span', { class: 'rank' }, `${it.rank}순위`),
      h('div', { class: 'item-title' },
        h('h3', null, it.name || it.code),
        h('div', { class: 'crumbs' }, h('span', { class: 'code item-code' }, it.code), ' ', itemCrumbs(it)))),
    h('div', { class: 'score' },
      h('span', { class: 'muted score-label' }, label),
      h('div', {
        class: 'score-bar', role: 'meter', 'aria-label': label, 'aria-valuemin': 0, 'aria-valuemax': 100,
        'aria-valuenow': pct, 'aria-valuetext': prob,
      }, h('span', { style: `width:${pct}%` })),
      h('span', { class: 'score-val' }, prob)),
    h('h4', null, '분류근거'),
    h('p', { class: 'basis' }, it.basis ? marked(it.basis, marks) : '—'),
    h('h4', null, '기여 키워드'),
    kws.length ? h('ul', { class: 'chips keywords' }, kws.map((k) => h('li', null, k))) : h('p', { class: 'muted' }, '없음'),
    terms.length ? [h('h4', null, '입력에서 찾은 색인어'), h('ul', { class: 'chips terms' }, terms.map((k) => h('li', null, k)))] : null,
    signalsDetails(it.signals),
    h('div', { class: 'item-foot no-print' },
      h('a', { href: `#/items?code=${enc(it.code)}`, class: 'btn btn-ghost btn-small' }, '품목 정의 보기')));
}

function dlRows(dl, rows) {
  clear(dl);
  for (const [k, v] of rows) dl.append(h('dt', null, k), h('dd', null, v == null || v === '' ? '—' : v));
}

/** Why the answer needs review, in words (review_reasons; older answers: review_note). */
function reviewReasons(res) {
  if (!res.needs_review) return [];
  const rr = Array.isArray(res.review_reasons) ? res.review_reasons.map((r) => r.message || reasonLabel(r.code)).filter(Boolean) : [];
  if (rr.length) return rr;
  return [res.review_note || '해당 여부나 품목이 분명하지 않아 심사역의 확인이 필요합니다.'];
}

function renderResult() {
  const res = state.result;
  show($('#result-empty'), !res);
  show($('#result-body'), !!res);
  show($('#result-tools'), !!res);
  show($('#review-badge'), !!res?.needs_review);
  if (!res) {
    $('#result-meta').textContent = '';
    return;
  }
  const input = state.input || { company: res.company || {}, tech: res.tech || {} };
  const { shown: items, hidden, rest } = visibleItems(res.items);
  const marks = items.flatMap((it) => [...(Array.isArray(it.keywords) ? it.keywords : []),
    ...(Array.isArray(it.terms) ? it.terms : [])]);
  // examiners see the date and the standard's revision; engine and rule versions are folded below
  const meta = [
    res.classified_on && `분류기준일 ${res.classified_on}`,
    res.taxonomy_version && `분류체계 ${res.taxonomy_version}`,
  ].filter(Boolean);
  $('#result-meta').textContent = meta.join(' · ');
  dlRows($('#result-versions-list'), [
    ['분류체계', res.taxonomy_version], ['엔진', res.engine_version], ['규칙', res.rules_version],
    ['색인어 사전', res.lexicon_version],
    ['처리 시간', Number.isFinite(res.elapsed_ms) ? `${res.elapsed_ms} ms` : ''],
  ]);

  const reasons = Array.isArray(res.reasons) ? res.reasons : [];
  // each reason ends with its short label (적용원칙 1 범용 제품 공급), never the API's code
  const reasonLi = (r) => h('li', { dataset: { code: r.code || '' } }, r.message || reasonLabel(r.code),
    r.code && r.message ? h('span', { class: 'badge badge-muted reason-code' }, reasonLabel(r.code)) : null);
  const na = res.applicable === false;
  // rules made it 해당 없음 although the engine found it applicable: say so, or the verdict reads twice
  const override = ruleOverride(res);
  const overrideText = override
    ? `엔진은 해당 가능성을 ${probText(res.p_applicable)}로 보았으나 적용원칙에 따라 해당 없음으로 판정했습니다 (${
      [...new Set(override.map((r) => reasonLabel(r.code)))].join(', ')}).` : '';
  show($('#na-panel'), na);
  $('#na-override').textContent = overrideText;
  show($('#na-override'), !!override);
  append(clear($('#na-reasons')), na ? reasons.map(reasonLi) : []);
  show($('#notes-panel'), !na && reasons.length > 0);
  append(clear($('#notes-list')), !na ? reasons.map(reasonLi) : []);

  const why = reviewReasons(res);
  show($('#review-panel'), why.length > 0);
  append(clear($('#review-reasons')), why.map((m) => h('li', null, m)));
  const summary = [];
  if (Number.isFinite(Number(res.p_applicable))) {
    summary.push(['해당 가능성', h('span', { id: 'summary-applicable' },
      h('strong', null, probText(res.p_applicable)), ` — ${override ? overrideText : applicabilityWords(res.p_applicable)}`)]);
  }
  if (items.length && !na) {
    // the answer's rank 2, shown or not: "no other candidate" only when the answer has none
    summary.push(['1·2순위 차이', h('span', { id: 'summary-gap' },
      gapWords(res.confidence_gap, items.length + hidden > 1, items.length > 1))]);
  }
  dlRows($('#summary-list'), summary);
  show($('#result-summary'), summary.length > 0);

  $('#items-title').textContent = na ? '참고: 유사 품목 (해당 없음 판정)' : '혁신성장 품목코드 추천';
  show($('#items-title'), !na || items.length > 0);
  $('#items-note').textContent = !items.length ? ''
    : `${override ? '적용원칙에 따라 해당 없음으로 판정했으므로 아래 품목은 추천이 아니라 참고입니다. ' : ''
    }${na ? '해당한다면 이 품목일 확률: 해당하는 기업이라고 볼 때 그 품목이 맞을 확률로, 위의 해당 가능성과는 따로 봅니다. '
      : '맞을 확률: 과거 판별에서 이만한 확률로 추천된 품목이 실제로 맞은 비율에 가깝습니다. '}세 품목의 합은 100%를 넘지 않습니다.`;
  show($('#items-note'), items.length > 0);
  const list = clear($('#result-items'));
  list.classList.toggle('na', na);
  if (!items.length && !na) list.append(h('li', { class: 'card muted' }, '추천할 품목이 없습니다.'));
  for (const it of items) list.append(renderItem(it, marks, na));
  if (items.length && hidden) {
    // the answer's later ranks below the floor: named in one line, not shown as candidates
    list.append(h('li', { class: 'item none-more', id: 'minor-candidates' },
      h('strong', null, `맞을 확률 ${Math.round(ALT_MIN_SCORE * 100)}% 미만인 후보 ${hidden}개`),
      h('span', { class: 'muted' }, ' — 목록에서 뺐습니다: ',
        rest.map((it, i) => [i ? ', ' : '', `${it.rank}순위 `, h('span', { class: 'code' }, it.code),
          ` ${it.name || ''} ${probText(it.score)}`]))));
  }

  const c = input.company || {};
  const t = input.tech || {};
  dlRows($('#result-company'), [
    ['기업명', c.name], ['사업자등록번호', brnFormat(c.brn)], ['대표자명', c.ceo],
    // the address the 연계 우대지원 below were judged on
    ['소재지', addressText(c.address) || '입력 없음'], ['분류기준일', res.classified_on],
  ]);
  dlRows($('#result-tech'), [
    ['업종코드', t.ksic_code],
    ['업종명', marked(t.ksic_name, marks)],
    ['주요제품', marked(t.main_product, marks)],
    ['제품용도', marked(t.product_use, marks)],
    ['기술사업명', marked(t.tech_business_name, marks)],
    ['기술분류', t.tech_class],
  ]);
  renderProgrammes(res, c.address, state.saved);
  renderPrevious(res);
  renderSaveForm(items, na, res);
}

/** 이 기업의 이전 판별: the company's own judgments, never among its similar ones. */
function renderPrevious(res) {
  const box = $('#result-previous');
  if (!box) return;
  const prev = Array.isArray(res.previous_judgments) ? res.previous_judgments : [];
  clear(box);
  show(box, prev.length > 0);
  if (!prev.length) return;
  box.append(h('h2', { class: 'sec-title' }, '이 기업의 이전 판별'),
    h('ul', { class: 'tlist' }, prev.map((j) => h('li', null,
      h('a', { href: `#/history?brn=${enc(brnDigits(res.company?.brn || ''))}&id=${enc(j.id)}`, class: 'code' }, formatSeoul(j.saved_at)),
      ' ', choiceLabel(j.chosen_item, j.chosen_item_name, j.none_reason),
      j.examiner ? h('span', { class: 'muted' }, ` · ${j.examiner}`) : null, ' ', statusBadge(j)))));
}

// ---- 소재지 and 연계 우대지원 ----

let regions = [];

/** {address: {sido, sigungu}} when a province is chosen, else {} (the address is optional). */
function addressPart() {
  const sido = $('#f-company-sido').value;
  return sido ? { address: { sido, sigungu: $('#f-company-sigungu').value } } : {};
}

// A 소재지 to show once the province list has come (a restored draft, a judgment opened before it).
let pendingAddress = null;

/** Chooses the province, then fills and chooses the district; null clears both. */
function setAddress(addr) {
  const sido = typeof addr?.sido === 'string' ? addr.sido : '';
  if (sido && !regions.length) {
    pendingAddress = { sido, sigungu: addr.sigungu || '' };
    return;
  }
  pendingAddress = null;
  const known = regions.some((x) => x.sido === sido) ? sido : '';
  $('#f-company-sido').value = known;
  fillSigungu(known, known ? addr.sigungu || '' : '');
}

function fillSigungu(sido, chosen) {
  const sel = clear($('#f-company-sigungu'));
  const r = regions.find((x) => x.sido === sido);
  const list = r ? r.sigungu : [];
  sel.append(h('option', { value: '' }, list.length || !r ? '시·군·구 선택' : '(시·군·구 없음)'));
  for (const name of list) sel.append(h('option', { value: name, selected: name === chosen || null }, name));
  sel.disabled = !list.length;
}

// The provinces, asked for again until they come: before sign-in the list answers 401.
let regionsLoading = null;
function loadRegions() {
  if (regions.length) return Promise.resolve();
  regionsLoading ??= get('/api/v1/regions').then((r) => {
    regions = r.ok && Array.isArray(r.data?.regions) ? r.data.regions : [];
    const sel = $('#f-company-sido');
    for (const x of regions) sel.append(h('option', { value: x.sido }, x.sido));
    regionsLoading = null;
    if (pendingAddress && regions.length) setAddress(pendingAddress);
  });
  return regionsLoading;
}

function initAddress() {
  const sel = $('#f-company-sido');
  sel.addEventListener('change', () => {
    fillSigungu(sel.value, '');
    saveDraft(); // after the district list is refilled: the old district is not this province's
  });
  loadRegions();
}

const PROGRAMME_STATUS = { eligible: ['해당', 'badge-ok'], check: ['확인 필요', 'badge-warn'], ended: ['기간 종료', 'badge-muted'] };

/** The answer's programmes, or those kept with the saved judgment shown (saved: what became of it). */
function renderProgrammes(res, address, saved) {
  const all = Array.isArray(res.programmes) ? res.programmes : [];
  show($('#programmes-panel'), all.length > 0);
  const where = addressText(address) || '소재지 입력 없음';
  const note = programmesNote(all.length, where, saved);
  $('#programmes-note').textContent = note.text;
  const list = note.list ? all : [];
  append(clear($('#programmes-list')), list.map((p) => {
    const [label, cls] = PROGRAMME_STATUS[p.status] || [p.status || '', 'badge-muted'];
    const period = p.period && (p.period.from || p.period.to) ? `${p.period.from || ''} ~ ${p.period.to || ''}` : '';
    const toCheck = Array.isArray(p.to_check) ? p.to_check : [];
    return h('li', { class: 'programme', 'data-id': p.id },
      h('div', { class: 'programme-head' },
        h('strong', null, p.name || p.id), ' ', h('span', { class: `badge ${cls}` }, label)),
      h('p', { class: 'muted' }, p.agency || '', period ? ' · 기간 ' : '',
        period ? h('span', { class: 'nowrap' }, period) : ''),
      h('p', null, h('span', { class: 'programme-label' }, '우대 내용 '), p.benefit || ''),
      h('p', null, h('span', { class: 'programme-label' }, '근거 '), p.why || ''),
      toCheck.length ? h('div', { class: 'programme-check' }, h('span', { class: 'programme-label' }, '확인할 것 '),
        h('ul', null, toCheck.map((t) => h('li', null, t)))) : null);
  }));
}

function renderSaveForm(items, na, res) {
  const saved = state.saved;
  if (saved && saved.id && !('chosen_item' in saved)) {
    // an older record of this session knows only the id: read what was saved
    get(`/api/v1/judgments/${enc(saved.id)}`).then((r) => {
      if (!r.ok || state.saved !== saved) return;
      state.saved = savedFrom(r.data, saved.id);
      keepLast();
      renderProgrammes(res, state.input?.company?.address, state.saved);
      renderSaveForm(items, na, res);
    });
  }
  // a role that may not save (정책담당) sees the result, and why there is nothing to save
  const may = maySave();
  for (const el of [$('#save-fields'), $('#save-comment'), $('#btn-save')]) show(el, may);
  const savedCode = saved && 'chosen_item' in saved ? (saved.chosen_item || '') : null;
  const inList = !!savedCode && items.some((it) => it.code === savedCode);
  // what was chosen and typed before (another screen, a new login) unless it names nothing shown now
  const values = ['', '__other', ...items.map((it) => it.code)];
  const d = !saved && state.decision && values.includes(state.decision.choice) ? state.decision : null;
  const box = clear($('#choice-list'));
  const radio = (value, checked, ...label) => {
    const id = `choice-${box.children.length}`;
    return h('label', { class: 'choice', for: id },
      h('input', { type: 'radio', name: 'choice', id, value, checked: checked || null }), h('span', null, ...label));
  };
  const pick = (value, byDefault) => (d ? d.choice === value : byDefault);
  items.forEach((it, i) => box.append(radio(it.code, saved ? savedCode === it.code : pick(it.code, !na && i === 0),
    h('strong', null, `${it.rank}순위 `), h('span', { class: 'code' }, it.code), ` ${it.name || ''}`,
    i === 0 && !na && !saved ? h('span', { class: 'muted' }, ' (추천 확정)') : null)));
  box.append(radio('', saved ? savedCode === '' : pick('', na || !items.length), h('strong', null, '해당 없음')));
  box.append(radio('__other', saved ? !!savedCode && !inList : pick('__other', false), h('strong', null, '다른 품목코드 직접 입력'),
    saved && savedCode && !inList && saved.chosen_item_name ? ` ${saved.chosen_item_name}` : null));
  $('#f-other-code').value = saved ? (savedCode && !inList ? savedCode : '') : d?.other || '';
  show($('.choice-other'), may && (!saved || (!!savedCode && !inList)));
  for (const id of ['f-other-code', 'f-none-reason', 'f-comment']) {
    $(`#${id}-err`).textContent = '';
    $(`#${id}`).removeAttribute('aria-invalid');
  }
  // 해당 없음 needs a reason; an engine or rule reason of this answer is offered first
  const sel = clear($('#f-none-reason'));
  sel.append(h('option', { value: '' }, '사유를 고르십시오'));
  for (const [code, label] of NONE_REASONS) sel.append(h('option', { value: code }, label));
  const suggested = (Array.isArray(res?.reasons) ? res.reasons : []).map((r) => r.code)
    .find((c) => NONE_REASONS.some(([k]) => k === c));
  sel.value = saved ? saved.none_reason || '' : d ? d.none_reason || '' : suggested || '';
  $('#f-comment').value = saved ? saved.comment || '' : d?.comment || '';
  $('#f-comment').readOnly = !!saved;
  $('#save-fields').disabled = !!saved;
  $('#save-form').classList.toggle('is-saved', !!saved);
  $('#save-title').textContent = saved ? `${SAVED_TITLE[saved.status] || SAVED_TITLE.current} (읽기 전용)` : '판별 저장';
  const note = $('#saved-note');
  note.textContent = saved ? '저장된 판단을 읽기 전용으로 보여 줍니다. 바꾸려면 재분류해 새로 저장하십시오.'
    : may ? '' : `${ROLE_KO[session.role] || session.role} 역할은 판별을 저장할 수 없습니다. 저장은 심사역·검토자가 합니다.`;
  show(note, !!note.textContent);
  updateNoneReason();
  const msg = clear($('#save-msg'));
  msg.className = '';
  const btn = $('#btn-save');
  if (saved) {
    btn.disabled = true;
    btn.textContent = '저장됨';
    showSaved(saved, state.justSaved === saved.id);
  } else {
    btn.disabled = false;
    btn.textContent = '저장';
    if (state.resumeSave && may) {
      // back from a new login after a save the expired session refused
      msg.className = 'alert alert-info';
      msg.append('로그인이 만료되어 저장하지 못했습니다. 입력한 내용은 그대로 있으니 저장을 다시 누르십시오.');
    }
  }
  state.resumeSave = false;
}

/** What the screen keeps of the save form while it is not saved. */
function noteDecision() {
  if (!state.result || state.saved) return;
  state.decision = {
    choice: $('input[name="choice"]:checked', $('#save-form'))?.value ?? null,
    other: $('#f-other-code').value, none_reason: $('#f-none-reason').value, comment: $('#f-comment').value,
  };
  keepLast();
}

/** The saved decision as the result screen keeps it, from a stored judgment (with what became of it). */
function savedFrom(j, id) {
  return {
    id: String(j?.id || id), chosen_item: j?.chosen_item ?? null, chosen_item_name: j?.chosen_item_name || '',
    none_reason: j?.none_reason || '', comment: j?.comment || '', saved_at: j?.saved_at || '',
    status: j?.status || 'current', superseded_by: j?.superseded_by || '', void_reason: j?.void_reason || '',
    voided_by: j?.voided_by || '',
  };
}

const SAVED_TITLE = { current: '저장된 판별', superseded: '대체된 판별', voided: '무효 처리된 판별' };

/**
 * The reason list is shown while 해당 없음 is chosen; 기타 makes the comment required. 다른 품목코드
 * takes input (and a Tab stop) only while its choice is chosen.
 */
function updateNoneReason() {
  const choice = $('input[name="choice"]:checked', $('#save-form'))?.value;
  show($('#none-reason-box'), choice === '');
  $('#f-other-code').disabled = choice !== '__other';
  $('#f-comment-opt').textContent = choice === '' && $('#f-none-reason').value === 'other' ? '(기타 사유: 필수)' : '(선택)';
}

/**
 * The save message: "저장되었습니다" right after 저장 on this screen (fresh); for a judgment opened
 * again (판별 이력, or this result shown later) that it is a stored one, with its number and time.
 */
function showSaved(saved, fresh) {
  const msg = clear($('#save-msg'));
  // a judgment replaced by a later one, or voided, is no longer the company's decision: say so first
  const status = fresh ? 'current' : saved.status || 'current';
  msg.className = fresh ? 'alert alert-ok' : status === 'current' ? 'alert alert-info' : 'alert alert-warn';
  const brn = brnDigits(state.input?.company?.brn || '');
  const when = saved.saved_at ? formatSeoul(saved.saved_at) : '';
  const lead = fresh ? '저장되었습니다.' : `${SAVED_TITLE[status] || SAVED_TITLE.current}입니다.`;
  append(msg, `${lead} 판별번호 `,
    h('strong', { id: fresh ? 'saved-id' : 'stored-id', class: 'code' }, saved.id),
    when ? [' · 저장일시 ', h('span', { id: fresh ? null : 'stored-at' }, when)] : null, ' ',
    status === 'superseded' && saved.superseded_by
      ? h('span', { id: 'stored-status' }, '· 대체한 판별 ', h('span', { class: 'code' }, saved.superseded_by), ' ') : null,
    status === 'voided' && saved.void_reason
      ? h('span', { id: 'stored-status' }, `· 무효 사유: ${saved.void_reason}${saved.voided_by ? ` (${saved.voided_by})` : ''} `) : null,
    h('a', { href: `#/history?brn=${enc(brn)}&id=${enc(saved.id)}` }, '판별 이력에서 보기'));
}

function fieldFail(id, m) {
  const el = $(`#${id}`);
  $(`#${id}-err`).textContent = m;
  el.setAttribute('aria-invalid', 'true');
  el.focus();
}

async function onSave(e) {
  e.preventDefault();
  if (!state.result || state.saved) return;
  const choice = $('input[name="choice"]:checked', $('#save-form'))?.value ?? '';
  for (const id of ['f-other-code', 'f-none-reason', 'f-comment']) {
    $(`#${id}-err`).textContent = '';
    $(`#${id}`).removeAttribute('aria-invalid');
  }
  const comment = $('#f-comment').value.trim();
  if (charCount(comment) > 1000) return fieldFail('f-comment', `의견이 너무 깁니다 (최대 1,000자, 지금 ${charCount(comment).toLocaleString('ko-KR')}자).`);
  let chosen = choice || null;
  let chosenName = '';
  let noneReason = '';
  if (choice === '__other') {
    const code = normalizeItemCode($('#f-other-code').value);
    if (!code) return fieldFail('f-other-code', BLANK_MSG);
    const r = await get(`/api/v1/taxonomy/items/${enc(code)}`);
    if (!r.ok) return fieldFail('f-other-code', r.status === 404 ? '해당 품목코드를 찾을 수 없습니다.' : r.error.message);
    chosen = r.data?.code || code;
    chosenName = r.data?.name || '';
  } else if (choice === '') {
    noneReason = $('#f-none-reason').value;
    if (!noneReason) return fieldFail('f-none-reason', '해당 없음 사유를 골라 주세요.');
    if (noneReason === 'other' && !comment) return fieldFail('f-comment', '기타 사유를 의견에 적어 주세요.');
  } else {
    chosenName = (state.result.items || []).find((it) => it.code === choice)?.name || '';
  }
  // another tab may have signed in as someone else: nothing is saved in their name
  if (!(await checkSession('save'))) return;
  const btn = $('#btn-save');
  btn.disabled = true;
  noteDecision(); // kept should the login have expired
  const r = await post('/api/v1/judgments', {
    company: state.input.company, tech: state.input.tech, result: state.result,
    chosen_item: chosen, comment, ...(chosen ? {} : { none_reason: noneReason }),
  });
  if (!r.ok || !r.data?.id) {
    btn.disabled = false;
    const msg = clear($('#save-msg'));
    if (r.status === 401) {
      // the login page is shown now; what was chosen and typed waits for the same user to come back
      state.resumeSave = true;
      loginNotice(EXPIRED_SAVE);
      msg.className = 'alert alert-warn';
      msg.append(EXPIRED_SAVE);
      return;
    }
    msg.className = 'alert alert-error';
    msg.append(r.ok ? '저장 응답에 판별번호가 없습니다.' : `저장하지 못했습니다: ${r.error.message}`);
    return;
  }
  state.saved = {
    id: String(r.data.id), chosen_item: chosen, chosen_item_name: chosenName, none_reason: noneReason,
    comment, saved_at: r.data.saved_at || new Date().toISOString(),
  };
  state.justSaved = state.saved.id;
  state.decision = null;
  // the support programmes kept with the judgment are the decision's (해당 없음 unlocks no innovation programme)
  if (Array.isArray(r.data.programmes)) {
    state.result = { ...state.result, programmes: r.data.programmes };
    renderProgrammes(state.result, state.input?.company?.address, state.saved);
  }
  keepLast();
  const res = state.result;
  renderSaveForm(visibleItems(res.items).shown, res.applicable === false, res);
  // the button just pressed is now disabled: keyboard focus goes to what happened
  $('#save-msg').focus();
}

function enterResult() {
  renderResult();
}

function initResult() {
  const last = store.get('igc.last');
  if (last && last.result) {
    Object.assign(state, { input: last.input, result: last.result, saved: last.saved, decision: last.decision || null });
  }
  $('#save-form').addEventListener('submit', onSave);
  $('#save-form').addEventListener('change', () => {
    updateNoneReason();
    noteDecision();
  });
  $('#save-form').addEventListener('input', noteDecision);
  $('#btn-reclassify').addEventListener('click', () => {
    // The form itself still holds what was typed (exactly, hyphens and spaces included).
    go('#/input');
  });
  $('#btn-print').addEventListener('click', () => window.print());
  window.addEventListener('beforeprint', () => { $('#result-versions').open = true; }); // filed with the versions
}

// ---------------------------------------------------------------- 품목 찾기

async function loadTaxonomy() {
  if (state.taxonomy) return state.taxonomy;
  const r = await get('/api/v1/taxonomy');
  if (r.ok && r.data) state.taxonomy = r.data;
  return state.taxonomy;
}

function itemName(code) {
  const it = state.taxonomy?.items?.find((x) => x.code === code);
  return it ? it.name : '';
}

let itemsTreeBuilt = false;
let lastSearch = null;
let pendingDetailFocus = false; // focus the detail only when the examiner picked an item

function itemButton(it, q, partial = false) {
  const params = new URLSearchParams();
  if (q) params.set('q', q);
  params.set('code', it.code);
  const terms = Array.isArray(it.terms) ? it.terms : [];
  const marks = q ? [...searchMarks(q, partial), ...terms] : [];
  return h('li', null, h('button', {
    type: 'button', class: 'tbtn', dataset: { code: it.code },
    onclick: () => { pendingDetailFocus = true; go(`#/items?${params}`); },
  }, h('span', { class: 'code' }, it.code), ' ', h('strong', null, marked(it.name || '', marks, { wholeLatin: true })),
  it.snippet ? h('span', { class: 'snip' }, marked(it.snippet, marks, { wholeLatin: true })) : null,
  terms.length ? h('span', { class: 'snip terms-hit' }, `색인어: ${terms.join(', ')}`) : null));
}

async function showTree() {
  const listEl = $('#items-list');
  if (itemsTreeBuilt) return;
  $('#items-list-title').textContent = '전체 품목';
  $('#items-status').textContent = '불러오는 중…';
  const tx = await loadTaxonomy();
  if (!tx) {
    $('#items-status').textContent = '분류체계를 불러오지 못했습니다.';
    return;
  }
  clear(listEl);
  const items = tx.items || [];
  $('#items-list-title').textContent = `전체 품목 (${items.length})`;
  $('#items-status').textContent = tx.version ? `분류체계 ${tx.version}` : '';
  for (const th of tx.themes || []) {
    const fields = (tx.fields || []).filter((f) => f.theme === th.code);
    const count = items.filter((i) => i.theme === th.code).length;
    const d = h('details', { class: 'theme' }, h('summary', null, `${th.name} `, h('span', { class: 'muted' }, `${th.code} · ${count}`)));
    for (const f of fields) {
      const its = items.filter((i) => i.field === f.code);
      d.append(h('details', { class: 'field' },
        h('summary', null, `${f.name} `, h('span', { class: 'muted' }, `${f.code} · ${its.length}`)),
        h('ul', { class: 'tlist' }, its.map((it) => itemButton(it, '')))));
    }
    listEl.append(d);
  }
  itemsTreeBuilt = true;
}

async function runSearch(q) {
  const listEl = clear($('#items-list'));
  itemsTreeBuilt = false;
  $('#items-list-title').textContent = `검색 결과: ${q}`;
  $('#items-status').textContent = '검색 중…';
  const r = await get(`/api/v1/taxonomy/search?q=${enc(q)}&limit=240`);
  if (!r.ok) {
    $('#items-status').textContent = `검색하지 못했습니다: ${r.error.message}`;
    return;
  }
  const items = r.data?.items || [];
  const total = Number.isFinite(r.data?.total) ? r.data.total : items.length;
  $('#items-status').textContent = !items.length ? '검색 결과가 없습니다.'
    : `${total}건${total > items.length ? ` 중 ${items.length}건 표시` : ''} (맞는 정도 순)${r.data?.partial
      ? ` · '${q}'와(과) 정확히 맞는 품목이 없어 낱말을 나눠 찾은 결과입니다` : ''}`;
  listEl.append(h('ul', { class: 'tlist', id: 'search-results' }, items.map((it) => itemButton(it, q, !!r.data?.partial))));
  listEl.append(h('p', null, h('a', { href: '#/items' }, '전체 목록 보기')));
}

async function showItem(code) {
  const box = clear($('#item-detail'));
  for (const b of $$('.tbtn')) b.setAttribute('aria-current', b.dataset.code === code ? 'true' : 'false');
  box.append(h('p', { class: 'muted' }, '불러오는 중…'));
  const [r, lx] = await Promise.all([get(`/api/v1/taxonomy/items/${enc(code)}`), get(`/api/v1/lexicon/items/${enc(code)}`)]);
  clear(box);
  if (!r.ok) {
    box.append(h('p', { class: 'err' }, r.status === 404 ? `품목 ${code}을(를) 찾을 수 없습니다.` : r.error.message));
    return;
  }
  const it = r.data || {};
  const title = h('h2', { id: 'item-detail-title', tabindex: '-1' }, it.name || it.code);
  box.append(h('div', { class: 'crumbs' }, h('span', { class: 'code' }, it.code), ' ', itemCrumbs(it)), title);
  if (it.definition) append(box, h('h3', null, '정의'), paragraphs(it.definition));
  if (it.examples) append(box, h('h3', null, '예시'), paragraphs(it.examples));
  if (it.notes) append(box, h('h3', null, '참고'), paragraphs(it.notes));
  const xw = crosswalkSection(it.crosswalk);
  if (xw) box.append(xw);
  box.append(lexiconSection(lx));
  if (pendingDetailFocus) title.focus();
  pendingDetailFocus = false;
}

// Relations of the crosswalk between revisions, in words.
const RELATION_LABELS = {
  same: '동일', renamed: '명칭 변경', revised: '범위 변경', split: '분할', merged: '통합', new: '신설', removed: '삭제',
  // re-classification only: saved as 해당 없음, saved under the revision itself, no crosswalk row
  not_applicable: '해당 없음', current: '현 개편', unknown: '대응 없음', unreadable: '읽을 수 없음',
};

/** Where the item came from in the previous revision and where it goes in the next (crosswalk). */
function crosswalkSection(xw) {
  const from = Array.isArray(xw?.from) ? xw.from : [];
  const to = Array.isArray(xw?.to) ? xw.to : [];
  if (!from.length && !to.length) return null;
  const line = (x) => h('li', null, h('span', { class: 'badge badge-muted' }, RELATION_LABELS[x.relation] || x.relation), ' ',
    x.code ? h('span', { class: 'code' }, x.code) : '—', ` ${x.name || ''}`,
    h('span', { class: 'muted small' }, ` (${x.version}${x.note ? ` · ${x.note}` : ''})`));
  const sec = h('section', { class: 'crosswalk', id: 'item-crosswalk', 'aria-labelledby': 'crosswalk-title' },
    h('h3', { id: 'crosswalk-title' }, '개편 대응표'));
  if (from.length) sec.append(h('h4', null, '이전 개편에서'), h('ul', { class: 'plain', id: 'crosswalk-from' }, from.map(line)));
  if (to.length) sec.append(h('h4', null, '다음 개편에서'), h('ul', { class: 'plain', id: 'crosswalk-to' }, to.map(line)));
  return sec;
}

/** The item's line of the index-term dictionary (GET /api/v1/lexicon/items/{code}). */
function lexiconSection(r) {
  const sec = h('section', { class: 'lexicon', 'aria-labelledby': 'lexicon-title' },
    h('h3', { id: 'lexicon-title' }, '색인어 사전'));
  if (!r.ok) {
    sec.append(h('p', { class: 'muted' }, r.status === 503 ? r.error.message : `색인어를 불러오지 못했습니다: ${r.error.message}`));
    return sec;
  }
  const lx = r.data || {};
  const list = (v) => (Array.isArray(v) ? v : []);
  const terms = list(lx.terms);
  if (!terms.length) sec.append(h('p', { class: 'muted' }, '이 품목에는 등록된 색인어가 없습니다.'));
  else {
    sec.append(h('h4', null, `색인어 ${terms.length}개`),
      h('ul', { class: 'chips terms', id: 'lexicon-terms' }, terms.map((t) => h('li', null, t))));
  }
  const ksic = list(lx.ksic);
  if (ksic.length) {
    sec.append(h('h4', null, '대표 업종코드 (KSIC, 전형적인 순)'),
      h('ul', { class: 'plain', id: 'lexicon-ksic' }, ksic.map((k) => h('li', null, h('span', { class: 'code' }, k.code), ' ', k.name || ''))));
  }
  const conf = list(lx.confusable);
  if (conf.length) {
    sec.append(h('h4', null, '혼동하기 쉬운 품목'),
      h('dl', { class: 'confusable', id: 'lexicon-confusable' }, conf.flatMap((c) => [
        h('dt', null, h('a', { href: `#/items?code=${enc(c.code)}` }, h('span', { class: 'code' }, c.code), ' ', c.name || '')),
        h('dd', null, c.cue || ''),
      ])));
  }
  const na = list(lx.not_applicable_cues);
  if (na.length) {
    sec.append(h('h4', null, '해당 없음 신호'), h('ul', { class: 'chips cues', id: 'lexicon-na' }, na.map((t) => h('li', null, t))));
  }
  if (lx.version) sec.append(h('p', { class: 'muted small' }, `색인어 사전 ${lx.version}`));
  return sec;
}

async function enterItems(params) {
  const q = (params.get('q') || '').trim();
  const code = params.get('code');
  $('#f-search').value = q;
  if (q) {
    if (lastSearch !== q) {
      lastSearch = q;
      await runSearch(q);
    }
  } else {
    lastSearch = null;
    await showTree();
  }
  if (code) {
    // Open the tree branch holding the item so the selection is visible.
    const btn = $(`.tbtn[data-code="${CSS.escape(code)}"]`);
    for (let d = btn?.closest('details'); d; d = d.parentElement?.closest('details')) d.open = true;
    await showItem(code);
  }
}

function initItems() {
  $('#search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const q = $('#f-search').value.trim();
    go(q ? `#/items?q=${enc(q)}` : '#/items');
  });
}

// ---------------------------------------------------------------- 판별 이력

function choiceLabel(code, knownName, noneReason) {
  if (code == null || code === '') {
    return [h('span', { class: 'badge badge-na' }, '해당 없음'),
      noneReason ? h('span', { class: 'none-why' }, ` ${noneReasonLabel(noneReason)}`) : null];
  }
  const name = knownName || itemName(code);
  return [h('span', { class: 'code' }, code), name ? ` ${name}` : ''];
}

const STATUS_KO = { current: '현재', superseded: '대체됨', voided: '무효' };

/** A badge for a judgment that is not simply the company's current, confirmed one. */
function statusBadge(j) {
  if (j.status === 'superseded') return h('span', { class: 'badge badge-muted status-badge' }, '대체됨');
  if (j.status === 'voided') return h('span', { class: 'badge badge-warn status-badge' }, '무효');
  if (j.confirmed === false) return h('span', { class: 'badge badge-warn status-badge' }, '검토 대기');
  return null;
}

async function loadHistory(brn, openId) {
  const status = $('#history-status');
  const table = $('#history-table');
  status.textContent = '조회 중…';
  show(table, false);
  await loadTaxonomy();
  const r = await get(`/api/v1/judgments?brn=${enc(brn)}`);
  if (!r.ok) {
    status.textContent = `조회하지 못했습니다: ${r.error.message}`;
    return;
  }
  const rows = r.data?.judgments || [];
  status.textContent = rows.length ? `${brnFormat(brn)}: ${rows.length}건 (최신순)` : `${brnFormat(brn)}: 저장된 판별이 없습니다.`;
  const withComment = rows.some((j) => !isBlank(j.comment));
  const withTop = rows.some((j) => j.top_item || j.applicable === false);
  const withRe = rows.some((j) => j.reclassification);
  // the revision column once there is more than one revision to tell apart (the detail always shows it)
  const withRev = withRe || new Set(rows.map((j) => j.taxonomy_version)).size > 1;
  const head = ['판별번호', '저장일시', '기업명', '심사역 판단', ...(withRev ? ['분류체계'] : []), ...(withRe ? ['재분류'] : []),
    ...(withTop ? ['당시 1순위 추천'] : []), ...(withComment ? ['의견'] : [])];
  append(clear($('thead', table)), h('tr', null, head.map((t) => h('th', { scope: 'col' }, t))));
  const tbody = clear($('tbody', table));
  // data-label: narrow screens show each row as a card of label: value lines
  const td = (label, cls, ...c) => h('td', { 'data-label': label, class: cls }, h('span', { class: 'v' }, ...c));
  for (const j of rows) {
    tbody.append(h('tr', { dataset: { id: j.id } },
      td('판별번호', 'c-id', h('a', { href: `#/history?brn=${enc(brn)}&id=${enc(j.id)}`, class: 'code judgment-link' }, j.id),
        statusBadge(j)),
      td('저장일시', 'c-date', formatSeoul(j.saved_at), j.examiner ? h('span', { class: 'muted' }, ` · ${j.examiner}`) : null),
      td('기업명', 'c-company', j.company_name || j.company?.name || ''),
      td('심사역 판단', 'c-choice', choiceLabel(j.chosen_item, j.chosen_item_name, j.none_reason)),
      withRev ? td('분류체계', 'c-rev', j.taxonomy_version || '—') : null,
      withRe ? td('재분류', 'c-reclass', reclassLabel(j.reclassification)) : null,
      withTop ? td('당시 1순위 추천', 'c-top', j.applicable === false ? h('span', { class: 'badge badge-na' }, '해당 없음 판정')
        : j.top_item ? choiceLabel(j.top_item) : '—') : null,
      withComment ? td('의견', 'c-comment', j.comment || '') : null));
  }
  show(table, rows.length > 0);
  if (openId) await openJudgment(openId);
}

// A judgment's re-classification under a later revision: the new code (or none) and
// whether staff should review it.
const RECLASS_REASONS = {
  removed: '품목이 삭제됨', split_unresolved: '나뉜 품목 중 고를 수 없음', engine_outside_split: '엔진 추천이 나뉜 품목 밖',
  engine_disagrees: '엔진 추천과 대응표가 다름', engine_finds_item: '엔진은 품목이 있다고 봄', no_crosswalk: '대응표 없음',
  not_in_crosswalk: '대응표에 없음', unreadable: '기록을 읽을 수 없음',
};
function reclassLabel(rc) {
  if (!rc) return '—';
  const code = rc.new_code ? [h('span', { class: 'code' }, rc.new_code), ` ${rc.new_name || ''}`]
    : [h('span', { class: 'badge badge-na' }, rc.relation === 'not_applicable' ? '해당 없음' : '대응 품목 없음')];
  return [h('span', { class: 'badge badge-muted' }, RELATION_LABELS[rc.relation] || rc.relation), ' ', ...code,
    rc.needs_review ? h('span', { class: 'badge badge-warn' }, ` 검토: ${RECLASS_REASONS[rc.reason] || rc.reason}`) : null,
    h('span', { class: 'muted small' }, ` (${rc.taxonomy_version})`)];
}

async function openJudgment(id) {
  const box = $('#judgment-detail');
  clear(box);
  show(box);
  box.append(h('p', { class: 'muted' }, '불러오는 중…'));
  const r = await get(`/api/v1/judgments/${enc(id)}`);
  clear(box);
  if (!r.ok) {
    box.append(h('p', { class: 'err' }, r.status === 404 ? `판별 ${id}을(를) 찾을 수 없습니다.` : r.error.message));
    return;
  }
  const j = r.data || {};
  const c = j.company || {};
  const t = j.tech || {};
  const res = j.result || {};
  const items = Array.isArray(res.items) ? res.items : [];
  box.append(h('h2', { id: 'judgment-title', class: 'sec-title' }, '판별 ', h('span', { class: 'code', id: 'judgment-id' }, j.id || id)));
  const dl = h('dl', { class: 'dl' });
  dlRows(dl, [
    ['저장일시', formatSeoul(j.saved_at)],
    ['기업명', c.name], ['사업자등록번호', brnFormat(c.brn)], ['대표자명', c.ceo],
    ['업종', [t.ksic_code, t.ksic_name].filter(Boolean).join(' ')],
    ['주요제품', t.main_product], ['제품용도', t.product_use], ['기술사업명', t.tech_business_name], ['기술분류', t.tech_class],
    ['분류기준일', res.classified_on],
    ['심사역 판단', h('span', { id: 'judgment-choice' }, choiceLabel(j.chosen_item, j.chosen_item_name, j.none_reason))],
    ['의견', h('span', { id: 'judgment-comment' }, j.comment || '—')],
    ['판별한 심사역', h('span', { id: 'judgment-examiner' }, j.examiner || '—')],
    ['상태', h('span', { id: 'judgment-status' }, STATUS_KO[j.status] || STATUS_KO.current,
      j.status === 'superseded' && j.superseded_by ? ` (이후 판별 ${j.superseded_by})` : '',
      j.status === 'voided' ? ` (${j.voided_by || ''}: ${j.void_reason || ''})` : '')],
    ['확정', h('span', { id: 'judgment-confirmed' }, j.confirmed === false ? '검토 대기 (학습에 쓰이지 않음)'
      : j.confirmed_by ? `확정 (${j.confirmed_by})` : '확정')],
    ['분류체계', h('span', { id: 'judgment-revision' }, j.taxonomy_version || res.taxonomy_version || '—')],
    ...(j.reclassification ? [['재분류', h('span', { id: 'judgment-reclass' }, reclassLabel(j.reclassification),
      j.reclassification.engine_code ? ` · 엔진 1순위 ${j.reclassification.engine_code}` : '')]] : []),
  ]);
  box.append(dl);
  if (session.role === 'reviewer' && j.status !== 'voided') box.append(reviewActions(j, id));
  const vdl = h('dl', { class: 'dl' });
  dlRows(vdl, [
    ['분류체계', j.taxonomy_version || res.taxonomy_version],
    ['규칙', j.rules_version || res.rules_version],
    ['엔진', j.engine_version || res.engine_version],
  ]);
  box.append(h('details', { class: 'versions' }, h('summary', null, '저장 당시 버전 (운영 기록)'), vdl));
  box.append(h('h3', { class: 'sec-title sec-gap' }, res.applicable === false ? '당시 판정: 해당 없음' : '당시 추천 품목'));
  if (items.length) {
    box.append(h('ol', { class: 'tlist' }, items.map((it) => h('li', { class: 'tlist-pad' },
      h('strong', null, `${it.rank}순위 `), h('span', { class: 'code' }, it.code), ` ${it.name || ''} `,
      h('span', { class: 'muted' }, Number.isFinite(Number(it.score)) ? `(맞을 확률 ${probText(it.score)})` : '')))));
  }
  box.append(h('div', { class: 'actions left actions-gap' },
    h('button', {
      type: 'button', class: 'btn btn-ghost', onclick: () => {
        state.input = { company: { ...c }, tech: { ...t } };
        // the programmes kept with the judgment (those of the decision), not the answer's
        state.result = Array.isArray(j.programmes) ? { ...res, programmes: j.programmes } : res;
        state.saved = savedFrom(j, id); // what was decided, shown read-only
        state.justSaved = null;
        state.decision = null;
        // the form takes this company whole, 소재지 too (none when it was saved without one)
        clearErrors();
        setFormValues(state.input);
        onKsicInput();
        saveDraft();
        keepLast();
        go('#/result');
      },
    }, '분류결과 화면으로 열기')));
}

/** 검토자: confirm a judgment (it then counts for learning) or void it with a reason. */
function reviewActions(j, id) {
  const msg = h('p', { class: 'err', id: 'void-err', role: 'alert' });
  // a reason typed for this judgment is kept like the save form's comment (another screen, a new login)
  const kept = store.get('igc.void');
  const mine = kept && kept.id === id ? kept : null;
  const reason = h('input', {
    id: 'f-void-reason', type: 'text', 'aria-describedby': 'void-hint void-err',
    oninput: () => store.set('igc.void', { id, reason: reason.value }),
  });
  reason.value = mine?.reason || '';
  // the note stays with the kept reason until the void is done or the reason edited: the
  // screen may be drawn more than once after a login, and each drawing must say it
  if (mine?.refused) msg.textContent = VOID_AGAIN;
  const done = async (r, voiding) => {
    if (!r.ok) {
      if (r.status === 401 && voiding) {
        // the login page is shown now; the reason waits for the same user, and nothing was voided
        store.set('igc.void', { id, reason: reason.value, refused: true });
        loginNotice(EXPIRED_VOID);
        return;
      }
      msg.textContent = r.error.message;
      return;
    }
    if (voiding) store.remove('igc.void');
    const brn = brnDigits(j.company?.brn || '');
    await loadHistory(brn, id);
  };
  return h('div', { class: 'review', id: 'review-actions' },
    h('h3', { class: 'sec-title' }, '검토'),
    j.status === 'current' && j.confirmed === false
      ? h('button', { type: 'button', class: 'btn btn-primary', id: 'btn-confirm',
        onclick: async () => done(await post(`/api/v1/judgments/${enc(id)}/confirm`, {})) }, '확정') : null,
    h('div', { class: 'field' }, h('label', { for: 'f-void-reason' }, '무효 처리 사유'), reason,
      h('p', { class: 'hint', id: 'void-hint' }, '무효 처리한 판별도 기록은 남고, 학습에서는 즉시 빠집니다.')),
    h('button', { type: 'button', class: 'btn btn-ghost', id: 'btn-void',
      onclick: async () => {
        // a void needs its reason (kept with the record): asked here before the server refuses it
        const why = reason.value.trim();
        const bad = isBlank(why) ? '무효 처리 사유를 적어 주세요.'
          : charCount(why) > 1000 ? `무효 처리 사유가 너무 깁니다 (최대 1,000자, 지금 ${charCount(why).toLocaleString('ko-KR')}자).` : '';
        if (bad) {
          msg.textContent = bad;
          reason.setAttribute('aria-invalid', 'true');
          reason.focus();
          return;
        }
        reason.removeAttribute('aria-invalid');
        msg.textContent = '';
        if (!(await checkSession('void'))) return;
        done(await post(`/api/v1/judgments/${enc(id)}/void`, { reason: why }), true);
      },
    }, '무효 처리'),
    msg);
}

async function enterHistory(params) {
  const brn = brnDigits(params.get('brn') || '');
  const id = params.get('id');
  const input = $('#f-history-brn');
  if (brn) input.value = brnFormat(brn);
  else if (!input.value && state.input?.company?.brn) input.value = brnFormat(state.input.company.brn);
  if (!brn) {
    show($('#judgment-detail'), false);
    return;
  }
  await loadHistory(brn, id);
}

function initHistory() {
  $('#history-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const el = $('#f-history-brn');
    const err = $('#f-history-brn-err');
    const v = el.value;
    let msg = '';
    if (isBlank(v)) msg = BLANK_MSG;
    else if (!brnValid(v)) msg = '사업자등록번호가 올바르지 않습니다. 숫자 10자리와 검증번호를 확인해 주세요.';
    err.textContent = msg;
    if (msg) {
      el.setAttribute('aria-invalid', 'true');
      el.focus();
      return;
    }
    el.removeAttribute('aria-invalid');
    go(`#/history?brn=${brnDigits(v)}`);
  });
}

// ---------------------------------------------------------------- 상태

function statusCard(title, big, rows) {
  const dl = h('dl', { class: 'dl' });
  dlRows(dl, rows);
  return h('div', { class: 'card' }, h('h2', { class: 'sec-title' }, title), big != null ? h('p', { class: 'big' }, big) : null, dl);
}

// Korean labels for status keys the server is likely to report; others are shown as sent.
const STATUS_LABELS = {
  service: '서비스', version: '버전', count: '개수', path: '경로', dir: '폴더', reloads: '재적재 횟수',
  failed_reloads: '거부된 재적재', rule_errors: '규칙 실행 오류', last_attempt_at: '마지막 적재 시도',
  loaded: '적재 여부', items: '품목 수', themes: '테마 수', fields: '분야 수', exemplars: '사례 수',
  last_rule_error: '마지막 규칙 오류',
  map_size: '저장 공간', map_used: '사용량', uptime_s: '가동 시간(초)', started_at: '시작 시각',
  model: '인코더 모델', encoder: '인코더', index: '검색 색인', terms: '색인어 수',
  kind: '종류', alarm_pct: '경보 기준(%)', audit_records: '감사 기록 수', reclassify: '재분류 작업',
};
function scalarRows(obj, skip) {
  return Object.entries(obj || {})
    .filter(([k, v]) => !skip.includes(k) && (v === null || typeof v !== 'object'))
    .map(([k, v]) => [STATUS_LABELS[k] || k, statusValue(k, v)]);
}
function statusValue(k, v) {
  if (v == null) return '—';
  if (/_at$/.test(k)) return formatSeoul(v);
  if (typeof v === 'number' && /^map_/.test(k)) return `${(v / 1048576).toLocaleString('ko-KR', { maximumFractionDigits: 1 })} MiB`;
  if (typeof v === 'number') return v.toLocaleString('ko-KR');
  if (typeof v === 'boolean') return v ? '예' : '아니오';
  if (k === 'kind') return kindLabel(v);
  return String(v);
}

// Examiners' footer: the standard's revision only; engine, rule and dictionary versions and
// server paths are on the status screen, which is for operators.
function footer(s) {
  $('#foot-versions').textContent = s.taxonomy_version
    ? `혁신성장 품목 판별 · 혁신성장 공동기준 ${s.taxonomy_version}` : '혁신성장 품목 판별';
}

async function enterStatus() {
  const msg = $('#status-msg');
  msg.textContent = '불러오는 중…';
  const r = await get('/api/v1/status');
  const cards = clear($('#status-cards'));
  if (!r.ok) {
    msg.textContent = `상태를 불러오지 못했습니다: ${r.error.message}`;
    return;
  }
  const s = r.data || {};
  footer(s);
  msg.textContent = `조회 시각 ${formatSeoul(new Date().toISOString())}`;
  const storeInfo = s.store || {};
  if (s.auth) cards.append(authCard(s.auth));
  if (Array.isArray(s.warnings) && s.warnings.length) {
    cards.append(h('div', { class: 'card', id: 'status-warnings', role: 'alert' },
      h('h2', { class: 'sec-title' }, '주의 ', h('span', { class: 'badge badge-warn' }, `${s.warnings.length}건`)),
      h('ul', null, s.warnings.map((w) => h('li', { class: 'err-text' }, w.message || String(w))))));
  }
  cards.append(
    statusCard('분류체계', s.taxonomy_version || '—', scalarRows(s.taxonomy, [])),
    statusCard('판별 엔진', s.engine_version || '—', scalarRows(s.engine, [])),
    policyCard('status-rules', '판별 규칙', '규칙', s.rules || {}),
  );
  // the support programmes are Lua files staff change like the rules: the same card
  if (s.programmes) cards.append(policyCard('status-programmes', '연계 우대지원', '지원사업', s.programmes));
  cards.append(
    statusCard('판별 저장소', storeInfo.judgments != null ? `${storeInfo.judgments}건` : '—', scalarRows(storeInfo, ['judgments'])),
  );
  if (s.lexicon) {
    const lx = s.lexicon;
    const le = lx.last_error;
    cards.append(h('div', { class: 'card', id: 'status-lexicon' },
      h('h2', { class: 'sec-title' }, '색인어 사전 ',
        le ? h('span', { class: 'badge badge-warn' }, '변경 거부됨') : h('span', { class: 'badge badge-ok' }, '정상')),
      h('p', { class: 'big' }, lx.version || '—'),
      (() => {
        const dl = h('dl', { class: 'dl' });
        dlRows(dl, [
          ['마지막 적재', formatSeoul(lx.loaded_at) || '—'],
          ['마지막 오류', le ? h('span', { class: 'err-text' }, `${le.message} (${formatSeoul(le.at)})`) : '없음'],
          ['색인어 수', statusValue('terms', lx.terms)],
          ...scalarRows(lx, ['version', 'loaded_at', 'last_error', 'terms']),
        ]);
        return dl;
      })()));
  }
  if (s.revisions) cards.append(revisionsCard(s.revisions));
  if (s.reclassify) cards.append(reclassCard(s.reclassify));
  const other = scalarRows(s, ['taxonomy_version', 'engine_version']);
  if (other.length) cards.append(statusCard('기타', null, other));
}

/** A set of Lua files (rules, programmes): version, last load and error, tests, and its entries folded. */
function policyCard(id, title, entry, p) {
  const err = p.last_error;
  const dl = h('dl', { class: 'dl' });
  dlRows(dl, [
    ['마지막 적재', formatSeoul(p.loaded_at) || '—'],
    ['마지막 오류', err ? h('span', { class: 'err-text' }, typeof err === 'string' ? err : JSON.stringify(err)) : '없음'],
    ...(p.tests && Number.isFinite(p.tests.total) ? [[`${entry} 시험`, `${p.tests.passed ?? 0} / ${p.tests.total} 통과`]] : []),
    ...scalarRows(p, ['version', 'loaded_at', 'last_error']),
  ]);
  const list = Array.isArray(p.rules) ? p.rules : [];
  return h('div', { class: 'card', id },
    h('h2', { class: 'sec-title' }, `${title} `,
      err ? h('span', { class: 'badge badge-warn' }, '오류 있음') : h('span', { class: 'badge badge-ok' }, '정상')),
    h('p', { class: 'big' }, p.version || '—'),
    dl,
    list.length
      ? h('details', { class: 'rule-list' }, h('summary', null, `${entry} ${list.length}개`),
        h('ul', null, list.map((ru) => h('li', null, h('span', { class: 'code' }, ru.id || ''), ' ',
          ru.description || '', ru.errors ? h('span', { class: 'badge badge-warn' }, ` 오류 ${ru.errors}`) : null))))
      : null);
}

const LEARN_FROM = { save: '저장하면 바로', review: '검토자가 확정한 뒤' };

/** Whether users sign in; without users igcd is open to anyone who reaches it and listens on loopback only. */
function authCard(au) {
  const on = au.enabled === true;
  const dl = h('dl', { class: 'dl' });
  dlRows(dl, [
    ...(session.user ? [['로그인', `${session.user} (${ROLE_KO[session.role] || session.role})`]] : []),
    ['학습 반영', LEARN_FROM[au.learn_from] || au.learn_from],
  ]);
  return h('div', { class: 'card', id: 'status-auth' },
    h('h2', { class: 'sec-title' }, '인증 ',
      on ? h('span', { class: 'badge badge-ok' }, '켜짐') : h('span', { class: 'badge badge-warn' }, '꺼짐')),
    h('p', { class: 'status-state' }, on ? '사용자 인증으로 실행 중' : '인증 없이 실행 중(루프백 전용)'),
    on ? null : h('p', { class: 'small' }, '저장소에 사용자가 없어 로그인 없이 모든 기능이 열려 있고, 이 컴퓨터(루프백 주소)에서만 '
      + '접속할 수 있습니다. 사용자를 만들면(igc users add) 다음 시작부터 인증이 켜집니다.'),
    dl);
}

const STAGED_STATES = { building: '준비 중', ready: '활성화 가능', failed: '준비 실패' };

/** Active, previous and staged revisions (administrators switch them through the API: docs/operations.md). */
function revisionsCard(rv) {
  const act = rv.active || {};
  const st = rv.staged;
  const rows = [
    ['활성 개편', h('span', { id: 'rev-active' }, `${act.version || '—'} (품목 ${act.items ?? '—'}개)`)],
    ['되돌릴 개편', h('span', { id: 'rev-previous' }, rv.previous || '없음')],
    ['준비된 개편', h('span', { id: 'rev-staged' }, st ? `${st.version} · ${STAGED_STATES[st.state] || st.state}` : '없음')],
  ];
  if (act.crosswalk?.relations) {
    rows.push(['대응표', Object.entries(act.crosswalk.relations).map(([k, v]) => `${RELATION_LABELS[k] || k} ${v}`).join(', ')]);
  }
  const rep = st?.report;
  if (rep?.lexicon?.review) rows.push(['색인어 검토', `${rep.lexicon.review.length}건`]);
  if (Array.isArray(rep?.rules) && rep.rules.length) {
    rows.push(['규칙', h('span', { class: 'err-text' }, rep.rules.map((x) => x.message).join(' / '))]);
  }
  if (st?.error) rows.push(['오류', h('span', { class: 'err-text' }, st.error)]);
  const dl = h('dl', { class: 'dl' });
  dlRows(dl, rows);
  return h('div', { class: 'card', id: 'status-revisions' }, h('h2', { class: 'sec-title' }, '분류체계 개편'),
    h('p', { class: 'big' }, act.version || '—'), dl);
}

const JOB_STATES = { running: '진행 중', done: '완료', failed: '실패' };

/** The latest re-classification job: progress, then the report's summary. */
function reclassCard(job) {
  const total = Number(job.total) || 0;
  const done = Number(job.done) || 0;
  const rows = [
    ['상태', h('span', { id: 'reclass-state' }, JOB_STATES[job.state] || job.state)],
    ['진행', h('span', { id: 'reclass-progress' }, `${done.toLocaleString('ko-KR')} / ${total.toLocaleString('ko-KR')}건`)],
    ['개편', `${job.from || '—'} → ${job.to || '—'}`],
    ['시작', formatSeoul(job.started_at)],
  ];
  const rep = job.report;
  if (rep) {
    rows.push(['엔진과 대응표 일치', `${rep.agree}건 (${Math.round((rep.agreement || 0) * 1000) / 10}%)`]);
    rows.push(['검토 필요', h('span', { id: 'reclass-review' }, `${rep.needs_review}건`)]);
    rows.push(['관계별', Object.entries(rep.by_relation || {}).map(([k, v]) =>
      `${RELATION_LABELS[k] || k} ${v.judgments}건(검토 ${v.needs_review})`).join(', ')]);
    if (rep.csv) {
      const base = `/api/v1/reclassify/${enc(job.job)}/report`;
      rows.push(['보고서', h('span', null, h('a', { href: `${base}?format=csv`, id: 'reclass-csv' }, 'CSV (엑셀)'), ' · ',
        h('a', { href: `${base}?format=json` }, 'JSON'))]);
    }
  }
  const dl = h('dl', { class: 'dl' });
  dlRows(dl, rows);
  const card = h('div', { class: 'card', id: 'status-reclass' }, h('h2', { class: 'sec-title' }, `재분류 작업 ${job.job || ''}`),
    total ? h('progress', { max: String(total), value: String(done), 'aria-label': '재분류 진행' }) : null, dl);
  if (rep?.review?.length) {
    card.append(h('details', null, h('summary', null, `검토 목록 (앞 ${rep.review.length}건)`),
      h('ul', null, rep.review.map((x) => h('li', null, h('span', { class: 'code' }, x.key), ` ${x.company || ''}: `,
        `${x.old_code || '—'} → ${x.new_code || '—'} (${RELATION_LABELS[x.relation] || x.relation}, 엔진 ${x.engine_code || '—'}) `,
        h('span', { class: 'muted' }, RECLASS_REASONS[x.reason] || x.reason || ''))))));
  }
  return card;
}

function initStatus() {
  $('#btn-status-refresh').addEventListener('click', () => enterStatus());
}

// ---------------------------------------------------------------- 로그인

const ROLE_KO = { examiner: '심사역', reviewer: '검토자', policy: '정책담당', admin: '관리자' };

function setSession(d) {
  session.auth = !!d?.auth;
  session.user = d?.user || null;
  session.role = d?.role || 'open';
  session.learnFrom = d?.learn_from || 'save';
  setCsrf(d?.csrf || '');
  $('#who-name').textContent = session.user ? `${session.user} (${ROLE_KO[session.role] || session.role})` : '';
  show($('#who'), !!session.user);
}

const EXPIRED = '로그인이 만료되었습니다. 다시 로그인해 주십시오.';
const EXPIRED_SAVE = '로그인이 만료되었습니다. 다시 로그인하면 입력한 내용으로 저장할 수 있습니다.';
const EXPIRED_VOID = '로그인이 만료되어 무효 처리하지 못했습니다. 다시 로그인하면 적은 사유가 그대로 있습니다.';
const VOID_AGAIN = '로그인이 만료되어 무효 처리하지 못했습니다. 적은 사유는 그대로 있으니 무효 처리를 다시 누르십시오.';

/** A line above the login form (why it is shown again); '' hides it. */
function loginNotice(text) {
  $('#login-notice').textContent = text;
  show($('#login-notice'), !!text);
}

/** A line above every screen (why this tab was cleared); '' hides it. The next screen opened hides it. */
function appNotice(text) {
  $('#app-notice').textContent = text;
  show($('#app-notice'), !!text);
}

/** Takes the screen and its query (a 사업자등록번호, a judgment's id) out of the address, without routing. */
function clearAddress() {
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
}

/**
 * Forgets every company this browser tab holds: the form and its draft, the result and its saved or
 * unsaved decision, the history shown. 사업자등록번호, 대표자명 and comments are one user's business.
 */
function forgetCompanies() {
  store.remove('igc.last');
  store.remove('igc.form');
  store.remove('igc.void');
  Object.assign(state, { input: null, result: null, saved: null, justSaved: null, decision: null, resumeSave: false });
  clearForm();
  for (const id of ['result-meta', 'result-company', 'result-tech', 'result-versions-list', 'summary-list', 'na-override',
    'na-reasons', 'notes-list', 'review-reasons', 'result-items', 'result-previous', 'programmes-note', 'programmes-list',
    'choice-list', 'save-msg', 'history-status', 'judgment-detail']) clear(document.getElementById(id));
  for (const id of ['f-comment', 'f-other-code', 'f-history-brn']) document.getElementById(id).value = '';
  for (const part of $$('#history-table thead, #history-table tbody')) clear(part);
  show($('#history-table'), false);
  show($('#judgment-detail'), false);
  show($('#result-body'), false);
}

/**
 * The user whose companies the tab holds is kept beside them: a different user signing in (after a
 * session ended without 로그아웃) finds none of them, the same user finds their work as it was.
 * The address may name the previous user's company (판별 이력: brn, id): the new user starts on
 * their role's first screen. True when another user's work was forgotten.
 */
function adoptUser(name) {
  const who = name || '';
  const held = store.get('igc.user') || '';
  if (held !== who) {
    forgetCompanies();
    if (held) clearAddress();
  }
  store.set('igc.user', who);
  return !!held && held !== who;
}

const otherUser = (name) => `다른 사용자(${name})로 로그인되어 이 탭의 화면을 지웠습니다.`;

// The session cookie is the browser's, the screens are this tab's: another tab may have signed out, or in
// as someone else. Asked when the tab is shown again and before a change is sent in the tab user's name.
let sessionAsk = null;
/** False when the tab was cleared or sent to the login instead; before: 'save' or 'void' about to be sent. */
async function checkSession(before) {
  if (!session.auth || !session.user) return true;
  sessionAsk ??= get('/api/v1/session').finally(() => { sessionAsk = null; });
  const r = await sessionAsk;
  const d = r.ok && r.data?.auth ? r.data : null;
  if (!d || !session.user) return true; // no answer (the request itself will say why), or signed out meanwhile
  if (d.user === session.user) {
    setSession(d); // signed in again elsewhere: this session's CSRF token
    return true;
  }
  if (!d.user) {
    // signed out or ended: a change goes on, and its 401 keeps what was typed for the same user
    if (before) return true;
    loginNotice(EXPIRED);
    setSession({ auth: true });
    route();
    return false;
  }
  setSession(d);
  adoptUser(d.user);
  clearAddress();
  loginNotice('');
  appNotice(`${otherUser(d.user)}${before === 'save' ? ' 판별은 저장하지 않았습니다.'
    : before === 'void' ? ' 무효 처리는 하지 않았습니다.' : ''}`);
  route();
  return false;
}

async function onLogin(e) {
  e.preventDefault();
  const el = $('#f-login-token');
  const err = $('#f-login-token-err');
  if (isBlank(el.value)) {
    err.textContent = '공란 입력: 인증 토큰을 입력해 주세요.';
    return;
  }
  const r = await post('/api/v1/session', { token: el.value.trim() });
  el.value = '';
  if (!r.ok) {
    err.textContent = r.error.message;
    return;
  }
  err.textContent = '';
  loginNotice('');
  appNotice('');
  setSession(r.data);
  adoptUser(session.user);
  loadRegions();
  // the login form is gone: focus goes to the heading of the screen that opens
  routedOnce = true;
  route();
  get('/api/v1/status').then((s) => { if (s.ok && s.data) footer(s.data); });
}

async function onLogout() {
  await del('/api/v1/session');
  setSession({ auth: true });
  forgetCompanies();
  clearAddress();
  store.set('igc.user', '');
  loginNotice('');
  appNotice('');
  route();
}

function initLogin() {
  $('#login-form').addEventListener('submit', onLogin);
  $('#btn-logout').addEventListener('click', onLogout);
  // a session that ended (expired, revoked) sends the screens back to the login
  // (the companies stay until someone signs in: the same user goes on, another finds none)
  window.addEventListener('igc-unauthorized', () => {
    if (!session.auth) return;
    if (session.user) loginNotice(EXPIRED);
    setSession({ auth: true });
    route();
  });
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') checkSession(); });
  window.addEventListener('focus', () => checkSession());
}

// ---------------------------------------------------------------- start

// The skip link must not change the hash: that would route away from the current screen.
$('.skip').addEventListener('click', (e) => {
  e.preventDefault();
  $('#main').focus();
});
initInput();
initAddress();
initResult();
initItems();
initHistory();
initStatus();
initLogin();
window.addEventListener('hashchange', () => {
  appNotice('');
  route();
});
get('/api/v1/session').then((r) => {
  setSession(r.ok ? r.data : null);
  // signed in already (a reload) or open: the tab's companies are this user's, or forgotten
  if ((!session.auth || session.user) && adoptUser(session.user) && session.user) appNotice(otherUser(session.user));
  route();
  if (!session.auth || session.user) get('/api/v1/status').then((s) => { if (s.ok && s.data) footer(s.data); });
});
