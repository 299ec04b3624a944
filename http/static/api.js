// Thin JSON client for the igcd API. Every call resolves to {ok, status, data, error}
// so screens handle API errors and network failures the same way.

const NETWORK_ERROR = { code: 'network_error', message: '서버에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요.' };

// The CSRF token of the signed-in session (GET /api/v1/session): every change sends it
// back, so a page elsewhere that makes the browser send our cookie is refused.
let csrf = '';
export function setCsrf(t) { csrf = typeof t === 'string' ? t : ''; }

export async function api(method, path, body) {
  const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
  if (csrf && method !== 'GET' && method !== 'HEAD') init.headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json; charset=utf-8';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    return { ok: false, status: 0, data: null, error: NETWORK_ERROR };
  }
  let data = null;
  try {
    const text = await res.text();
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (res.ok) return { ok: true, status: res.status, data, error: null };
  if (res.status === 401 && typeof window !== 'undefined') window.dispatchEvent(new Event('igc-unauthorized'));
  const e = data && typeof data.error === 'object' && data.error ? data.error : {};
  return {
    ok: false,
    status: res.status,
    data,
    error: {
      code: typeof e.code === 'string' ? e.code : `http_${res.status}`,
      message: typeof e.message === 'string' && e.message ? e.message : `요청을 처리하지 못했습니다 (HTTP ${res.status}).`,
      fields: Array.isArray(e.fields) ? e.fields.map(String) : [],
    },
  };
}

export const get = (path) => api('GET', path);
export const del = (path) => api('DELETE', path);
export const post = (path, body) => api('POST', path, body);
export const enc = encodeURIComponent;
