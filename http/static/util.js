// Pure helpers shared by the screens (no DOM), so they can be tested under node.

const BRN_WEIGHTS = [1, 3, 7, 1, 3, 7, 1, 3, 5];

/** Digits of a 사업자등록번호 typed with or without hyphens/spaces ("123-45-67890"). */
export function brnDigits(s) {
  return String(s ?? '').replace(/[\s-]/g, '');
}

/** True when s is 10 digits (hyphens allowed) with a valid check digit. */
export function brnValid(s) {
  const d = brnDigits(s);
  if (!/^\d{10}$/.test(d)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(d[i]) * BRN_WEIGHTS[i];
  sum += Math.floor((Number(d[8]) * 5) / 10);
  return (10 - (sum % 10)) % 10 === Number(d[9]);
}

/** Completes 9 leading digits into a valid 10-digit 사업자등록번호. */
export function brnComplete(nine) {
  const d = String(nine);
  if (!/^\d{9}$/.test(d)) throw new Error('brnComplete: 9 digits expected');
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(d[i]) * BRN_WEIGHTS[i];
  sum += Math.floor((Number(d[8]) * 5) / 10);
  return d + String((10 - (sum % 10)) % 10);
}

/** "1234567890" -> "123-45-67890"; anything else is returned as given. */
export function brnFormat(s) {
  const d = brnDigits(s);
  return /^\d{10}$/.test(d) ? `${d.slice(0, 3)}-${d.slice(3, 5)}-${d.slice(5)}` : String(s ?? '');
}

/** Today's date in Asia/Seoul as YYYY-MM-DD (the 분류기준일). */
export function todaySeoul(now = new Date()) {
  // en-CA formats as YYYY-MM-DD; the time zone does the +09:00 shift.
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Seoul', year: 'numeric', month: '2-digit', day: '2-digit',
  }).format(now);
}

/** An ISO timestamp shown in Seoul time ("2026-11-22 14:03"); unparsable input is returned as is. */
export function formatSeoul(iso) {
  if (!iso) return '';
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return String(iso);
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Seoul', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(t).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** True when a value is missing or only whitespace (String.trim covers U+3000). */
export function isBlank(v) {
  return v == null || String(v).trim() === '';
}

/**
 * Splits text into segments, marking every occurrence of any keyword (case-insensitive,
 * longest keyword first, no overlaps): [{text, mark, keyword}]. Used to build <mark>
 * elements without ever parsing HTML. wholeLatin: a keyword of Latin letters and digits marks
 * whole tokens only (no letter or digit beside it), as the item search finds them.
 */
export function highlightSegments(text, keywords, { wholeLatin = false } = {}) {
  const src = String(text ?? '');
  const kws = [...new Set((keywords || []).map((k) => String(k ?? '').trim()).filter(Boolean))]
    .sort((a, b) => b.length - a.length);
  if (!src || kws.length === 0) return src ? [{ text: src, mark: false }] : [];
  // Case folding must keep offsets aligned; fall back to exact matching when it would not.
  const fold = src.toLowerCase().length === src.length;
  const lower = fold ? src.toLowerCase() : src;
  const taken = new Uint8Array(src.length);
  const hits = [];
  for (const kw of kws) {
    const k = fold ? kw.toLowerCase() : kw;
    if (k.length !== kw.length) continue;
    const latin = wholeLatin && /^[a-z0-9]+$/i.test(kw);
    for (let at = lower.indexOf(k); at >= 0; at = lower.indexOf(k, at + 1)) {
      if (taken.subarray(at, at + k.length).some((x) => x)) continue;
      // a Latin keyword as a whole token only: "ai" marks "AI칩", not "Chain"
      if (latin && (/[a-z0-9]/i.test(src[at - 1] || '') || /[a-z0-9]/i.test(src[at + k.length] || ''))) continue;
      taken.fill(1, at, at + k.length);
      hits.push([at, at + k.length, kw]);
    }
  }
  hits.sort((a, b) => a[0] - b[0]);
  const out = [];
  let pos = 0;
  for (const [a, b, kw] of hits) {
    if (a > pos) out.push({ text: src.slice(pos, a), mark: false });
    out.push({ text: src.slice(a, b), mark: true, keyword: kw });
    pos = b;
  }
  if (pos < src.length) out.push({ text: src.slice(pos), mark: false });
  return out;
}

/** Score in [0,1] (clamped) as a percentage integer for the bar. */
export function scorePercent(score) {
  const s = Number(score);
  if (!Number.isFinite(s)) return 0;
  return Math.round(Math.min(1, Math.max(0, s)) * 100);
}

/** Splits a dotted API field name ("tech.product_use") into the form control id. */
export function fieldId(path) {
  return 'f-' + String(path).replace(/\./g, '-');
}

// ---- numbers and words an examiner reads ----

/**
 * Ranks 2 and 3 whose score (probability) is below this are not shown: a 1 % alternative is noise,
 * not a candidate. The API still answers three items (top-3 metrics read them); the screen leaves
 * them out of the list and names them in one line with their probability (docs/screens.md).
 */
export const ALT_MIN_SCORE = 0.05;

/**
 * The items to show, best first: rank 1 always, later ranks only at ALT_MIN_SCORE or more.
 * rest: the ones left out (the screen still names them, with their probability).
 */
export function visibleItems(items, floor = ALT_MIN_SCORE) {
  const all = (Array.isArray(items) ? items : []).slice().sort((a, b) => a.rank - b.rank);
  const shown = all.filter((it, i) => i === 0 || Number(it.score) >= floor);
  const rest = all.filter((it) => !shown.includes(it));
  return { shown, hidden: rest.length, rest };
}

/** A probability in [0,1] as the screen writes it: "62%", "1% 미만", "-" when not a number. */
export function probText(p) {
  const v = Number(p);
  if (p == null || p === '' || !Number.isFinite(v)) return '-';
  if (v > 0 && v < 0.01) return '1% 미만';
  return `${Math.round(Math.min(1, Math.max(0, v)) * 100)}%`;
}

/** 해당 가능성 (p_applicable) in words. */
export function applicabilityWords(p) {
  const v = Number(p);
  if (!Number.isFinite(v)) return '';
  if (v >= 0.8) return '혁신성장 품목에 해당할 가능성이 높습니다';
  if (v >= 0.6) return '해당할 가능성이 다소 높습니다';
  if (v >= 0.4) return '해당 여부를 가리기 어렵습니다';
  if (v >= 0.2) return '해당할 가능성이 낮습니다';
  return '해당할 가능성이 매우 낮습니다';
}

/**
 * The rank-1/rank-2 difference (confidence_gap, probabilities) in words. second: the answer has
 * a rank-2 item at all; secondShown: it is shown (not below ALT_MIN_SCORE).
 */
export function gapWords(gap, second = true, secondShown = true) {
  const g = Number(gap);
  if (!second) return '다른 후보가 없어 1순위가 뚜렷합니다';
  if (!Number.isFinite(g)) return '';
  const pts = `${Math.round(Math.max(0, g) * 100)}%p`;
  if (!secondShown) {
    return `1순위가 2순위보다 ${pts} 높습니다: 2순위 이하 후보는 맞을 확률이 ${Math.round(ALT_MIN_SCORE * 100)}% 미만입니다`;
  }
  if (g >= 0.5) return `1순위가 2순위보다 ${pts} 높아 뚜렷합니다`;
  if (g >= 0.2) return `1순위가 2순위보다 ${pts} 높습니다`;
  if (g >= 0.05) return `1순위가 2순위보다 ${pts}만 높습니다: 2순위도 함께 보십시오`;
  return `1순위와 2순위가 거의 같습니다 (${pts} 차이): 두 품목을 비교해 고르십시오`;
}

// ---- KSIC input ----

/**
 * What was typed in 업종코드: the codes ("282;2820", "28202", "21300 / 2130"), the one to look
 * up (the first, or a later one that narrows it: "282;2820" -> "2820") and the parts that are
 * not 2-5 digit codes.
 */
export function ksicInput(s) {
  const parts = String(s ?? '').split(/[\s;,/]+/).filter(Boolean);
  const codes = parts.filter((x) => /^\d{2,5}$/.test(x));
  const bad = parts.filter((x) => !/^\d{2,5}$/.test(x));
  let code = codes[0] || '';
  for (const c of codes.slice(1)) if (c.length > code.length && c.startsWith(code)) code = c;
  return { codes, code, bad };
}

// ---- judgments ----

/** Why none applies (API none_reason), in the order the save form offers them. */
export const NONE_REASONS = [
  ['generic_supplier', '적용원칙 1 — 범용 제품 공급 (품목과 관련성 낮음)'],
  ['wholesale_retail', '적용원칙 2 — 도매·소매(유통)만 함'],
  ['merchandise_only', '적용원칙 3 — 상품매출만 있음'],
  ['not_innovation', '혁신성장 품목에 해당하는 제품·기술 없음'],
  ['insufficient_info', '정보 부족으로 판단 불가'],
  ['other', '기타 (의견에 적음)'],
];

/** Short label of a none_reason code ("적용원칙 2 — 도매·소매(유통)만 함"), or the code itself. */
export function noneReasonLabel(code) {
  const r = NONE_REASONS.find(([c]) => c === code);
  return r ? r[1] : String(code ?? '');
}

/** An item code as typed ("ｂ60001", " b60001 ") in the taxonomy's form: trimmed, upper case. */
export function normalizeItemCode(s) {
  return String(s ?? '').normalize('NFKC').trim().toUpperCase();
}

/**
 * The words of a search to mark in its results: the words as typed and, for "2차전지", 이차전지;
 * with partial (the search fell back to parts), the two-syllable parts of long Hangul words.
 */
export function searchMarks(q, partial = false) {
  const sino = ['영', '일', '이', '삼', '사', '오', '육', '칠', '팔', '구'];
  const words = String(q ?? '').split(/\s+/).filter(Boolean);
  const out = [...words];
  for (const w of words) {
    const m = /^(\d)([\uac00-\ud7a3].*)$/.exec(w);
    if (m) out.push(sino[Number(m[1])] + m[2]);
    if (partial && /^[\uac00-\ud7a3]{4,}$/.test(w)) {
      for (let i = 0; i < w.length; i += 2) {
        const rest = w.length - i;
        out.push(w.slice(i, rest <= 3 ? w.length : i + 2));
        if (rest <= 3) break;
      }
    }
  }
  return out;
}

// ---- codes the API sends, in the words an examiner reads ----

/** Short labels of the answer's reason codes (reasons[].code, review_reasons[].code). */
export const REASON_LABELS = {
  not_innovation: '혁신성장 근거 부족',
  generic_supplier: '적용원칙 1 범용 제품 공급',
  wholesale_retail: '적용원칙 2 도소매(유통)',
  merchandise_only: '적용원칙 3 상품 판매만',
  insufficient_info: '정보 부족',
  all_items_excluded: '후보 모두 제외',
  near_threshold: '판정 기준에 가까움',
  low_top_score: '1순위 확률 낮음',
  rule: '적용원칙 규칙의 메모',
  rule_error: '적용원칙 규칙 오류',
  unknown_words: '알 수 없는 낱말',
  other: '기타',
};

/** The label of a reason code, or the code itself when it has none. */
export function reasonLabel(code) {
  return REASON_LABELS[code] || String(code ?? '');
}

/** What a set of Lua files served by igcd is (status rules.kind). */
export const RULES_KINDS = { rules: '적용원칙 규칙', programmes: '연계 우대지원' };

/** The label of a rules kind, or the kind itself. */
export function kindLabel(kind) {
  return RULES_KINDS[kind] || String(kind ?? '');
}

/**
 * When rules made the answer 해당 없음 although the engine found it applicable: the rule reasons
 * (reasons[].rule other than "engine"), else null. The engine's own verdict of 해당 없음 always
 * comes with a reason whose rule is "engine" (not_innovation).
 */
export function ruleOverride(res) {
  if (!res || res.applicable !== false) return null;
  const reasons = Array.isArray(res.reasons) ? res.reasons : [];
  if (reasons.some((r) => r && r.rule === 'engine')) return null;
  const byRule = reasons.filter((r) => r && r.rule && r.rule !== 'engine');
  return byRule.length ? byRule : null;
}

// ---- the company form ----

/** The longest value the server takes for each field, in characters (field_too_long). */
export const FIELD_LIMITS = {
  'company.name': 100, 'company.brn': 20, 'company.ceo': 50,
  'tech.ksic_code': 10, 'tech.ksic_name': 100, 'tech.main_product': 1000, 'tech.product_use': 3000,
  'tech.tech_business_name': 300, 'tech.tech_class': 20,
};

/** Characters of a value as the server counts them: after trimming, one per code point. */
export function charCount(s) {
  return [...String(s ?? '').trim()].length;
}

/** The message for a value over its limit, worded as the server's field_too_long. */
export function tooLongMessage(label, max, count) {
  const n = (x) => Number(x).toLocaleString('ko-KR');
  return `${label} 항목이 너무 깁니다 (최대 ${n(max)}자${count != null ? `, 지금 ${n(count)}자` : ''}).`;
}

/**
 * The message on a field the server counts as blank (blank_field). A value was typed but says
 * nothing ("없음", "미정", "1"): 공란 입력 alone would read as if the field were empty.
 */
export function blankMessage(value) {
  return isBlank(value) ? '공란 입력'
    : "공란 입력 — '없음', '미정'이나 숫자만 쓴 값처럼 사업 내용을 말하지 않는 값도 공란으로 봅니다.";
}

/** 기술분류 (국가과학기술표준분류): two letters and 2-4 digits ("EE01", "ee0101"). */
export function techClassValid(s) {
  return /^[A-Za-z]{2}\d{2,4}$/.test(String(s ?? '').trim());
}

/** A 소재지 ({sido, sigungu}) as one line ("강원특별자치도 정선군"), or '' without a province. */
export function addressText(a) {
  return a && typeof a.sido === 'string' && a.sido ? `${a.sido} ${a.sigungu || ''}`.trim() : '';
}

// ---- 연계 우대지원 ----

/**
 * The first line of the 연계 우대지원 panel and whether the programmes are listed, by what became of
 * the saved judgment shown (saved: {status, superseded_by}, or null for an answer not saved). A voided
 * judgment decided nothing, so it leads to no programme; a superseded one is not the company's decision
 * any more.
 */
export function programmesNote(count, where, saved) {
  const trail = '실제 지원 여부는 각 기관의 심사로 정해집니다.';
  if (saved?.status === 'voided') return { list: false, text: '무효 처리된 판별이므로 연계 지원사업을 안내하지 않습니다.' };
  if (saved?.status === 'superseded') {
    return {
      list: true,
      text: `대체된 판별입니다${saved.superseded_by ? ` (대체한 판별 ${saved.superseded_by})` : ''}. 아래는 이 판별을 저장할 때의 `
        + `지원사업 ${count}건 (${where})이며, 지금 안내할 지원사업은 대체한 판별에서 보십시오.`,
    };
  }
  return { list: true, text: `이 판별로 연계되는 지원사업 ${count}건 (${where}). ${trail}` };
}

// ---- who may use what (docs/security.md, roles) ----

/** Roles that may classify, and those that may save and read judgments. */
export const CLASSIFY_ROLES = ['examiner', 'reviewer', 'policy'];
export const JUDGMENT_ROLES = ['examiner', 'reviewer'];

/** The roles each screen needs; a screen not named here is for every signed-in user. */
export const SCREEN_ROLES = { input: CLASSIFY_ROLES, result: CLASSIFY_ROLES, history: JUDGMENT_ROLES };

/** True when the role may use the screen; without users (auth false) every screen is open. */
export function screenAllowed(name, auth, role) {
  const roles = SCREEN_ROLES[name];
  return !auth || !roles || roles.includes(role);
}

/** True when the role may save a judgment; without users anyone may. */
export function saveAllowed(auth, role) {
  return !auth || JUDGMENT_ROLES.includes(role);
}
