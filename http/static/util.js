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
 * elements without ever parsing HTML.
 */
export function highlightSegments(text, keywords) {
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
    for (let at = lower.indexOf(k); at >= 0; at = lower.indexOf(k, at + 1)) {
      if (taken.subarray(at, at + k.length).some((x) => x)) continue;
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
