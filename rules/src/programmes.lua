-- Trusted layer of a programmes rule set (연계 우대지원 and regional support),
-- run after the prelude in every state of that kind. It gets the prelude's
-- shared parts (sandbox, text helpers) and returns the same internal interface
-- the C side drives for the 적용원칙 (new_env, new_ctx, finish, run, rollback,
-- result, tests), so loading, budgets, the state pool, versions and hot reload
-- are the rule sets' own. A file registers programme{...}; its eligible(ctx)
-- reads the verdict, KSIC, address and date and records, through ctx actions,
-- whether the firm qualifies (ctx:eligible) or what is missing (ctx:needs_info).
local P = ...
local C, TEXT, readonly, str, set, check_keys, base_env =
    P.C, P.TEXT, P.readonly, P.str, P.set, P.check_keys, P.base_env

local type, pairs, ipairs, next, error, tostring, tonumber, select, setmetatable =
    type, pairs, ipairs, next, error, tostring, tonumber, select, setmetatable
local sformat, smatch, sfind, ssub, sgmatch = string.format, string.match, string.find, string.sub, string.gmatch
local tconcat, tsort = table.concat, table.sort
local utf8_ok = C.utf8_ok
local mhuge = math.huge

local PROGS = {}     -- in definition order
local PROG_IDS = {}
local SORTED = nil   -- by order, then file, then definition order
local TESTS = {}

local function is_text(v)
  return type(v) == "string" and v ~= "" and utf8_ok(v)
end

local function is_date(v)
  return type(v) == "string" and smatch(v, "^%d%d%d%d%-%d%d%-%d%d$") ~= nil
end

---------------------------------------------------------------------------
-- registration
local PROG_KEYS = set {"id", "name", "agency", "kind", "benefit", "scale", "source", "period", "order",
                       "eligible"}
local PERIOD_KEYS = set {"from", "to"}

local function register_programme(spec, file)
  if type(spec) ~= "table" then
    error("programme{...}에는 표가 필요합니다 (programme{} takes a table)", 3)
  end
  check_keys(spec, PROG_KEYS, "programme", 3)
  local id = spec.id
  if type(id) ~= "string" or not smatch(id, "^[a-z][a-z0-9_%-]*$") or #id > 63 then
    error("programme.id는 영문 소문자·숫자·밑줄·붙임표(-)로 된 63자 이하 이름이어야 합니다 " ..
      "(id must match [a-z][a-z0-9_-]*, at most 63 chars)", 3)
  end
  if PROG_IDS[id] then
    error(sformat("programme.id '%s'가 이미 %s에 있습니다 (duplicate programme id)", id, PROG_IDS[id].where), 3)
  end
  for _, k in ipairs({"name", "agency", "benefit"}) do
    if not is_text(spec[k]) then
      error(sformat("programme.%s이(가) 필요합니다 (%s must be non-empty UTF-8 text)", k, k), 3)
    end
  end
  for _, k in ipairs({"kind", "scale", "source"}) do
    if spec[k] ~= nil and not is_text(spec[k]) then
      error(sformat("programme.%s는 글이어야 합니다 (%s must be non-empty UTF-8 text)", k, k), 3)
    end
  end
  local period
  if spec.period ~= nil then
    local p = spec.period
    if type(p) ~= "table" then
      error("programme.period는 {from = \"2025-02-01\", to = \"2026-12-31\"} 형식입니다 (period is a table)", 3)
    end
    check_keys(p, PERIOD_KEYS, "programme.period", 3)
    if (p.from ~= nil and not is_date(p.from)) or (p.to ~= nil and not is_date(p.to)) or
        (p.from == nil and p.to == nil) or (p.from and p.to and p.from > p.to) then
      error("programme.period: from·to는 \"2025-02-01\" 형식의 날짜이고 from이 to보다 늦을 수 없습니다 " ..
        "(from/to must be YYYY-MM-DD dates, from <= to)", 3)
    end
    period = {from = p.from or "", to = p.to or ""}
  end
  if type(spec.eligible) ~= "function" then
    error("programme.eligible은 function(ctx) ... end 이어야 합니다 (eligible must be a function)", 3)
  end
  local order = spec.order
  if order == nil then order = 100 end
  if type(order) ~= "number" or order ~= order or order == mhuge or order == -mhuge then
    error("programme.order는 숫자여야 합니다 (order must be a number)", 3)
  end
  local prog = {id = id, name = spec.name, agency = spec.agency, benefit = spec.benefit,
                kind = spec.kind or "", scale = spec.scale or "", source = spec.source or "",
                period = period, eligible = spec.eligible, order = order, file = file,
                where = C.where(3), seq = #PROGS + 1}
  local view = {id = id, name = prog.name, agency = prog.agency, benefit = prog.benefit, kind = prog.kind,
                scale = prog.scale, source = prog.source,
                period = readonly(period or {from = "", to = ""}, "programme.period")}
  prog.view = readonly(view, "programme")
  PROGS[#PROGS + 1] = prog
  PROG_IDS[id] = prog
end

local GIVEN_KEYS = set {"verdict", "ksic", "address", "date"}
local VERDICT_KEYS = set {"applicable", "reason", "items"}
local ITEM_KEYS_LIST = {"code", "name", "theme", "theme_name", "field", "field_name"}
local ITEM_KEYS = set {"code", "name", "theme", "theme_name", "field", "field_name", "score"}
local KSIC_KEYS_LIST = {"code", "section", "section_name", "division", "division_name", "group", "group_name"}
local KSIC_KEYS = set(KSIC_KEYS_LIST)
local ADDRESS_KEYS = set {"sido", "sigungu"}
local EXPECT_KEYS = set {"shown", "not_shown", "count", "status", "why", "to_check"}
local TEST_KEYS = set {"name", "given", "expect"}

local function register_test(spec, file)
  if type(spec) ~= "table" then
    error("test{...}에는 표가 필요합니다 (test{} takes a table)", 3)
  end
  check_keys(spec, TEST_KEYS, "test", 3)
  if type(spec.name) ~= "string" or spec.name == "" then
    error("test.name(이름)이 필요합니다 (a test name is required)", 3)
  end
  local g, e = spec.given, spec.expect
  if type(g) ~= "table" then error("test.given 표가 필요합니다 (given is required)", 3) end
  if type(e) ~= "table" then error("test.expect 표가 필요합니다 (expect is required)", 3) end
  check_keys(g, GIVEN_KEYS, "given", 3)
  if g.verdict ~= nil then
    check_keys(g.verdict, VERDICT_KEYS, "given.verdict", 3)
    for i, it in ipairs(g.verdict.items or {}) do
      if type(it) ~= "table" then error(sformat("given.verdict.items[%d]: 표가 필요합니다 (a table)", i), 3) end
      check_keys(it, ITEM_KEYS, "given.verdict.items[" .. i .. "]", 3)
    end
  end
  if g.ksic ~= nil then check_keys(g.ksic, KSIC_KEYS, "given.ksic", 3) end
  if g.address ~= nil then
    check_keys(g.address, ADDRESS_KEYS, "given.address", 3)
    local sido, gu = g.address.sido, g.address.sigungu
    -- a test on a name the service never sends would pass while the programme never matches
    if type(sido) == "string" and sido ~= "" and not C.place_known(sido) then
      error(sformat("given.address.sido '%s'은(는) 광역의 정식 이름이 아닙니다 (예: 경기도, 강원특별자치도; " ..
        "GET /api/v1/regions) (unknown province)", sido), 3)
    end
    if type(sido) == "string" and sido ~= "" and type(gu) == "string" and gu ~= "" and not C.place_known(sido, gu) then
      error(sformat("given.address.sigungu '%s'은(는) %s의 시군구 정식 이름이 아닙니다 (예: 수원시, 정선군) " ..
        "(unknown district)", gu, sido), 3)
    end
  end
  if g.date ~= nil and not is_date(g.date) then
    error("given.date는 \"2025-06-01\" 형식입니다 (date must be YYYY-MM-DD)", 3)
  end
  check_keys(e, EXPECT_KEYS, "expect", 3)
  TESTS[#TESTS + 1] = {name = spec.name, given = g, expect = e, file = file, where = C.where(3)}
end

local function new_env(file, kind)
  local env = base_env(file)
  if kind == "rule" then
    -- Not tail calls: C.where() and error levels count these frames.
    env.programme = function(spec) register_programme(spec, file) end
    env.test = function()
      error("test{...}는 *_test.lua 파일에만 씁니다 (test{} belongs in *_test.lua files)", 2)
    end
  else
    env.test = function(spec) register_test(spec, file) end
    env.programme = function()
      error("programme{...}은 지원사업 파일에만 씁니다 (programme{} does not belong in test files)", 2)
    end
  end
  return env
end

---------------------------------------------------------------------------
-- ctx: what a programme's eligible(ctx) receives
local CTX = {}
local PRIV = setmetatable({}, {__mode = "k"})

local LAZY -- ctx fields made on first use

-- ctx.programme and fields on first use; methods and fields already made
-- are answered by the prelude's C __index (views.c) without a Lua call.
local function ctx_slow(self, k)
  -- Methods first: no method is named like a field.
  local m = CTX[k]
  if m ~= nil then return m end
  local st = PRIV[self]
  if k == "programme" then return st.cur and st.cur.view end
  local v = st.fields[k]
  if v ~= nil then return v end
  local make = LAZY[k]
  if make then
    v = make(st)
    st.fields[k] = v
    return v
  end
  return nil
end

local CTX_MT = {
  -- (fields never holds "programme", so reading it before ctx.programme changes nothing)
  __index = C.ctx_index(CTX, PRIV, ctx_slow),
  __newindex = function(_, k)
    error(sformat("ctx는 읽기 전용입니다 (ctx is read-only): %s — ctx:eligible(), ctx:needs_info()를 쓰세요",
      tostring(k)), 2)
  end,
  __metatable = false,
}

local function priv(self, fname)
  local st = PRIV[self]
  if not st then
    error(sformat("ctx:%s(...)처럼 콜론(:)으로 호출하세요 (call it as ctx:%s(...))", fname, fname), 3)
  end
  return st
end

local function record(self, fname, status, why, to_check)
  local st = priv(self, fname)
  if not st.cur then
    error(sformat("ctx:%s는 eligible 함수 안에서만 씁니다 (only inside eligible)", fname), 3)
  end
  if not is_text(why) then
    error(sformat("ctx:%s: 설명(why) 글이 필요합니다 (why must be non-empty UTF-8 text)", fname), 3)
  end
  local list = {}
  if type(to_check) == "string" then to_check = {to_check} end
  if to_check ~= nil then
    if type(to_check) ~= "table" then
      error(sformat("ctx:%s: 확인할 것(to_check)은 글의 목록입니다 (to_check is a list of texts)", fname), 3)
    end
    for i, w in ipairs(to_check) do
      if not is_text(w) then
        error(sformat("ctx:%s: to_check[%d]이(가) 글이 아닙니다 (not a text)", fname, i), 3)
      end
      list[i] = w
    end
  end
  st.results[st.cur.id] = {status = status, why = why, to_check = list}
end

-- The firm qualifies; to_check lists what the examiner should still confirm.
function CTX:eligible(why, to_check) record(self, "eligible", "eligible", why, to_check) end
-- Cannot tell yet: why says what is missing (e.g. the address).
function CTX:needs_info(why, to_check) record(self, "needs_info", "check", why, to_check) end

function CTX:is_applicable() return priv(self, "is_applicable").applicable end

function CTX:has_address() return priv(self, "has_address").address_raw.sido ~= "" end

-- True when the firm's 광역 + 시·군·구 is in regions, a table from the official
-- province name to its districts: {["강원특별자치도"] = {"정선군", ...}}.
-- Districts are compared within their province: 고성군 is in 강원 and 경남.
-- Each table's names are checked against the official list once (the same table is
-- passed on every call); a name the service never sends would make the programme
-- silently never match.
local CHECKED_REGIONS = setmetatable({}, {__mode = "k"})

local function check_regions(regions)
  for sido, list in pairs(regions) do
    if type(sido) ~= "string" or not C.place_known(sido) then
      error(sformat("ctx:region_in: '%s'은(는) 광역의 정식 이름이 아닙니다 (예: 경기도, 강원특별자치도; " ..
        "GET /api/v1/regions) (unknown province)", tostring(sido)), 3)
    end
    if type(list) ~= "table" then
      error(sformat("ctx:region_in: '%s'의 시군구 목록(표)이 필요합니다 (a list of districts)", sido), 3)
    end
    for _, d in ipairs(list) do
      if type(d) ~= "string" or not C.place_known(sido, d) then
        error(sformat("ctx:region_in: '%s'은(는) %s의 시군구 정식 이름이 아닙니다 (예: 수원시, 정선군) " ..
          "(unknown district)", tostring(d), sido), 3)
      end
    end
  end
  CHECKED_REGIONS[regions] = true
end

function CTX:region_in(regions)
  local st = priv(self, "region_in")
  if type(regions) ~= "table" then
    error("ctx:region_in: {광역 = {시군구, ...}} 표가 필요합니다 (a table of districts by province)", 2)
  end
  if not CHECKED_REGIONS[regions] then check_regions(regions) end
  local a = st.address_raw
  if a.sido == "" then return false end
  local list = regions[a.sido]
  if type(list) ~= "table" then return false end
  for _, d in ipairs(list) do
    if d == a.sigungu then return true end
  end
  return false
end

local function any_item(st, key, fname, ...)
  for i = 1, select("#", ...) do
    local want = select(i, ...)
    if type(want) ~= "string" then
      error(sformat("ctx:%s: 문자열이 필요합니다 (strings expected)", fname), 3)
    end
    for _, it in ipairs(st.items_raw) do
      if it[key] ~= "" and it[key] == want then return true end
    end
  end
  return false
end

-- True when one of the verdict's items lies in one of the named themes / fields.
function CTX:has_theme(...) return any_item(priv(self, "has_theme"), "theme_name", "has_theme", ...) end
function CTX:has_field(...) return any_item(priv(self, "has_field"), "field_name", "has_field", ...) end

-- True when the KSIC code starts with one of the prefixes.
function CTX:ksic_code_starts(...)
  local st = priv(self, "ksic_code_starts")
  for code in sgmatch(st.ksic_raw.code, "[^;,%s]+") do
    for i = 1, select("#", ...) do
      local p = select(i, ...)
      if type(p) ~= "string" then
        error("ctx:ksic_code_starts: 문자열이 필요합니다 (strings expected)", 2)
      end
      if p ~= "" and ssub(code, 1, #p) == p then return true end
    end
  end
  return false
end

-- The list behind ctx.verdict.items: like readonly(item views), but each
-- item's view is made when first read (programmes mostly read the first).
local function item_list(items)
  local views = {}
  local function view(i)
    local v = views[i]
    if v == nil then
      local t = items[i]
      if t == nil then return nil end
      v = readonly(t, "item")
      views[i] = v
    end
    return v
  end
  return setmetatable({}, {
    __index = function(_, i) return view(i) end,
    __newindex = function(_, k)
      error(sformat("verdict.items은(는) 읽기 전용입니다 (verdict.items is read-only): %s", tostring(k)), 2)
    end,
    __len = function() return #items end,
    __pairs = function(proxy)
      local k
      return function()
        k = next(items, k)
        if k == nil then return nil, nil end
        return k, view(k)
      end, proxy, nil
    end,
    __metatable = false,
  })
end

LAZY = {
  verdict = function(st)
    local themes, fields, seen_t, seen_f = {}, {}, {}, {}
    for _, t in ipairs(st.items_raw) do
      if t.theme_name ~= "" and not seen_t[t.theme_name] then
        seen_t[t.theme_name] = true
        themes[#themes + 1] = t.theme_name
      end
      if t.field_name ~= "" and not seen_f[t.field_name] then
        seen_f[t.field_name] = true
        fields[#fields + 1] = t.field_name
      end
    end
    return readonly({applicable = st.applicable, reason = st.reason,
                     items = item_list(st.items_raw),
                     themes = readonly(themes, "verdict.themes"),
                     fields = readonly(fields, "verdict.fields")}, "verdict")
  end,
  ksic = function(st) return readonly(st.ksic_raw, "ctx.ksic") end,
  address = function(st) return readonly(st.address_raw, "ctx.address") end,
}

-- input: {verdict = {applicable, reason, items = {...}}, ksic = {...},
-- address = {sido, sigungu}, date}. A test's given is copied into plain
-- strings; the host's input (trusted, programmes.c) already holds them. The
-- views (ctx.verdict, ctx.ksic, ctx.address) are made on first use.
local function new_ctx(input, trusted)
  local vin = type(input.verdict) == "table" and input.verdict or {}
  local items, ksic
  if trusted then
    items, ksic = vin.items, input.ksic
  else
    items = {}
    for i, it in ipairs(type(vin.items) == "table" and vin.items or {}) do
      local t = {}
      for _, k in ipairs(ITEM_KEYS_LIST) do t[k] = str(type(it) == "table" and it[k] or nil) end
      t.score = tonumber(type(it) == "table" and it.score or nil) or 0
      items[i] = t
    end
    local kin = type(input.ksic) == "table" and input.ksic or {}
    ksic = {}
    for _, k in ipairs(KSIC_KEYS_LIST) do ksic[k] = str(kin[k]) end
  end
  local ain = type(input.address) == "table" and input.address or {}
  local address = {sido = TEXT.trim(str(ain.sido)), sigungu = TEXT.trim(str(ain.sigungu))}
  local date = str(input.date)
  local st = {applicable = vin.applicable ~= false, reason = str(vin.reason), items_raw = items,
              ksic_raw = ksic, address_raw = address, date = date, results = {}, fields = {date = date}}
  local ctx = setmetatable({}, CTX_MT)
  PRIV[ctx] = st
  return ctx
end

---------------------------------------------------------------------------
-- the internal interface the C side drives (same names as the prelude's)
local I = {}

I.new_env = new_env
-- The host's input (programmes.c), as plain arguments: every text a string,
-- the items (code, name, theme, theme_name, field, field_name, score) and
-- the KSIC fields already tables, built in C. What new_ctx(input, true)
-- makes of the same input, without the input tables.
I.new_ctx = function(applicable, reason, items, ksic, sido, sigungu, date)
  local address = {sido = TEXT.trim(sido), sigungu = TEXT.trim(sigungu)}
  local st = {applicable = applicable, reason = reason, items_raw = items,
              ksic_raw = ksic, address_raw = address, date = date, results = {}, fields = {date = date}}
  local ctx = setmetatable({}, CTX_MT)
  PRIV[ctx] = st
  return ctx
end

function I.finish()
  P.seal_envs()
  SORTED = {}
  for i, p in ipairs(PROGS) do SORTED[i] = p end
  tsort(SORTED, function(a, b)
    if a.order ~= b.order then return a.order < b.order end
    if a.file ~= b.file then return a.file < b.file end
    return a.seq < b.seq
  end)
  local out = {}
  for i, p in ipairs(SORTED) do
    out[i] = {id = p.id, description = p.name, priority = p.order, file = p.file, where = p.where}
  end
  return out
end

function I.run(ctx, i)
  local st, p = PRIV[ctx], SORTED[i]
  st.results[p.id] = nil
  st.cur = p
  p.eligible(ctx)
  st.cur = nil
end

-- A programme that failed shows nothing: its partial answer goes.
function I.rollback(ctx)
  local st = PRIV[ctx]
  if st.cur then st.results[st.cur.id] = nil end
  st.cur = nil
end

-- The shown programmes, in order, with the period applied to the date: one
-- that ended is shown as ended, one not yet open is not shown. Four slots
-- per programme shown (its record, status, why, to_check), read by the C
-- side (programmes.c) without a table per row.
function I.result(ctx)
  local st = PRIV[ctx]
  local out, n = {}, 0
  for _, p in ipairs(SORTED) do
    local r = st.results[p.id]
    local per, date = p.period, st.date
    local status, why, to_check = r and r.status, r and r.why, r and r.to_check
    if r and per and date ~= "" then
      if per.to ~= "" and date > per.to then
        status = "ended"
        why = sformat("신청 기간(%s ~ %s)이 끝난 사업입니다 (분류일 %s).", per.from, per.to, date)
        to_check = {}
      elseif per.from ~= "" and date < per.from then
        r = nil
      end
    end
    if r then
      out[n + 1], out[n + 2], out[n + 3], out[n + 4] = p, status, why, to_check
      n = n + 4
    end
  end
  return out
end

-- I.result as one row per programme shown, for the tests.
local function result_rows(ctx)
  local flat, out = I.result(ctx), {}
  for j = 1, #flat, 4 do
    local p = flat[j]
    out[#out + 1] = {id = p.id, name = p.name, agency = p.agency, benefit = p.benefit, kind = p.kind,
                     status = flat[j + 1], why = flat[j + 2], to_check = flat[j + 3],
                     period_from = p.period and p.period.from or "", period_to = p.period and p.period.to or ""}
  end
  return out
end

function I.ntests() return #TESTS end

function I.test_info(i)
  local t = TESTS[i]
  return t.name, t.file, t.where
end

function I.test_ctx(i)
  return new_ctx(TESTS[i].given)
end

local function show(v)
  if type(v) == "string" then return '"' .. v .. '"' end
  return tostring(v)
end

local function ids_of(list, what)
  if type(list) == "string" then return {list} end
  if type(list) ~= "table" then
    error(sformat("expect.%s는 지원사업 id 목록입니다 (expect.%s must be a list of ids)", what, what), 0)
  end
  return list
end

function I.check(i, ctx)
  local t = TESTS[i]
  local e = t.expect
  local res = result_rows(ctx)
  local by_id, shown = {}, {}
  for _, r in ipairs(res) do
    by_id[r.id] = r
    shown[#shown + 1] = r.id
  end
  local bad = {}
  local function fail(ko, en) bad[#bad + 1] = ko .. " / " .. en end
  local function known(id)
    if PROG_IDS[id] then return true end
    fail(sformat("알 수 없는 지원사업 %s", show(id)), sformat("no programme %s", show(id)))
    return false
  end
  local list = sformat(" (보인 것: %s)", tconcat(shown, ", "))
  for _, id in ipairs(e.shown and ids_of(e.shown, "shown") or {}) do
    if known(id) and not by_id[id] then
      fail(sformat("%s가 보여야 하는데 없음%s", id, list), sformat("%s should be shown", id))
    end
  end
  for _, id in ipairs(e.not_shown and ids_of(e.not_shown, "not_shown") or {}) do
    if known(id) and by_id[id] then
      fail(sformat("%s가 보이지 않아야 하는데 보임", id), sformat("%s should not be shown", id))
    end
  end
  if e.count ~= nil and e.count ~= #res then
    fail(sformat("보인 지원사업 수: 기대 %s, 실제 %d%s", show(e.count), #res, list),
      sformat("programmes shown: expected %s, got %d", show(e.count), #res))
  end
  for id, want in pairs(e.status or {}) do
    local r = by_id[id]
    if known(id) and (not r or r.status ~= want) then
      fail(sformat("%s 상태: 기대 %s, 실제 %s", id, show(want), show(r and r.status)),
        sformat("status of %s: expected %s, got %s", id, show(want), show(r and r.status)))
    end
  end
  for id, want in pairs(e.why or {}) do
    local r = by_id[id]
    if known(id) and (not r or not sfind(r.why, str(want), 1, true)) then
      fail(sformat("%s 설명에 %s 없음 (실제 %s)", id, show(want), show(r and r.why)),
        sformat("why of %s lacks %s", id, show(want)))
    end
  end
  for id, wants in pairs(e.to_check or {}) do
    local r = by_id[id]
    if known(id) then
      if type(wants) == "string" then wants = {wants} end
      for _, want in ipairs(wants) do
        local found = false
        for _, c in ipairs(r and r.to_check or {}) do
          if sfind(c, str(want), 1, true) then found = true end
        end
        if not found then
          fail(sformat("%s 확인할 것에 %s 없음 (실제 %s)", id, show(want),
              r and tconcat(r.to_check, ", ") or "보이지 않음"),
            sformat("to_check of %s lacks %s", id, show(want)))
        end
      end
    end
  end
  if #bad == 0 then return true, "" end
  return false, tconcat(bad, "; ")
end

function I.clear_tests()
  for i = #TESTS, 1, -1 do TESTS[i] = nil end
end

return I
