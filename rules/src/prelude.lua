-- Trusted prelude of every rule-set state. It is compiled into the library and
-- runs once per state, before any rule file, with a global table that was
-- already stripped of io/os/debug/package/dofile/loadfile/collectgarbage.
-- It builds the per-file sandbox environments, the ctx object the rules see,
-- and the table-driven test runner. The C side drives the loops (one budget
-- per rule call) through the functions returned at the end.
local C = ...  -- where(level), item(code), log(msg), pcall(f, ...)

local type, pairs, ipairs, next, error, tostring, tonumber, select =
    type, pairs, ipairs, next, error, tostring, tonumber, select
local assert, rawequal, rawlen, rawget = assert, rawequal, rawlen, rawget
local setmetatable, getmetatable = setmetatable, getmetatable
local raw_load = load
local sfind, sgsub, ssub, slower, sformat, smatch, sgmatch =
    string.find, string.gsub, string.sub, string.lower, string.format, string.match, string.gmatch
local tinsert, tconcat, tsort, tunpack = table.insert, table.concat, table.sort, table.unpack
local mhuge = math.huge
local ulen = utf8.len
local utf8_ok = C.utf8_ok -- ulen(s) ~= nil for a string, in C
local VERSION = _VERSION
local LIBS = {string = string, table = table, math = math, utf8 = utf8}

local RULES = {}     -- in definition order
local RULE_IDS = {}
local SORTED = nil   -- by priority, then file, then definition order
local TESTS = {}

---------------------------------------------------------------------------
-- read-only views: rules read the input through these, and write only
-- through ctx actions, so one rule cannot corrupt what the next one sees.
-- The metamethods are C functions shared by every view (rules/src/views.c);
-- they reach t and what through the metatable.
-- readonly(t, what) is
--   setmetatable({}, {__index = t, __newindex = ro_newindex, __len = ro_len,
--                     __pairs = ro_pairs, __metatable = false, what = what})
-- in C, since every evaluation makes several per candidate.
local readonly = C.readonly

local function str(v)
  if v == nil then return "" end
  if type(v) == "string" then return v end
  return tostring(v)
end

---------------------------------------------------------------------------
-- text helpers (exposed to rules as `text`)
local TEXT = {}

-- Lower-cases ASCII and removes every kind of space, so "판매 대행" and
-- "판매대행", "S/W" and "s/w" compare equal. Done in C (gsub "%s+", U+3000,
-- U+00A0, then lower, in that order) with a bounded per-state memo, since the
-- same words are normalised on every call.
local cnorm, cfold, first_match, all_matches = C.normalize, C.fold, C.first_match, C.all_matches
TEXT.normalize = cnorm
local normalize = cnorm

local function wordlist(words, fname)
  if type(words) == "string" then return {words} end
  if type(words) ~= "table" then
    error(sformat("%s: 단어 목록(표)이 필요합니다 (a list of words is required)", fname), 3)
  end
  return words
end

-- Word matching (C, rules/src/match.c) works on the folded text: ASCII
-- lower-cased, one space between words. A Korean word of the list may carry
-- particles and sit inside a no-space compound ("제조를", "화장품제조"); a
-- Latin word must stand alone ("ESS" is not in "process"); spacing may differ
-- only word for word ("판매 대행" = "판매대행", but "가공" is not in "추가 공급");
-- and an occurrence inside a declared compound ("제조" in "제조사") does not
-- count unless a declared exception covers that compound ("제조사업").

-- text.has_any(s, words): first word of `words` found in s, or nil.
-- text.find_all(s, words): every word of `words` found in s, in list order.
-- text.trim(s): strips ASCII spaces and U+3000 at both ends.
-- All three in C (version.c, views.c).
TEXT.has_any, TEXT.find_all, TEXT.trim = C.text_has_any, C.text_find_all, C.trim

-- Splits a product list ("A, B 및 C 등") into its items. Separators (, / ; |
-- newline · ㆍ ， 、) inside brackets are kept, so "부품(볼트, 너트)" stays one
-- item; 및 separates only next to a space ("초정및소형모터" is one product);
-- trailing 등/외 go. In C (views.c).
TEXT.segments = C.segments

---------------------------------------------------------------------------
-- sandbox environments: each file gets its own, with fresh copies of the
-- libraries, so a file cannot change what another file sees.
local function safe_setmetatable(t, mt)
  if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
    error("__gc 메타메서드는 허용되지 않습니다 (__gc is not allowed)", 2)
  end
  return setmetatable(t, mt)
end

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

local register_rule, register_test, declare_words

-- Every file's environment, sealed once all files are read (seal_envs).
local ENVS = {}

local function frozen(what)
  return function(_, k)
    error(sformat("%s '%s'은(는) 규칙 파일을 읽을 때만 정할 수 있습니다: 판단 중에 바꾸면 다음 기업의 판단에 " ..
      "남습니다. 함수 안에서는 local 변수를 쓰십시오 (globals are read-only while rules run)", what, tostring(k)), 2)
  end
end

-- After loading, a file's globals (and its copies of the libraries) are read-only:
-- a value a rule changed while judging one company would otherwise be there for the
-- next, and verdicts would depend on what was judged before. The entries move to a
-- table behind the environment; reads go through, writes raise.
local function seal(t, what)
  local back = {}
  for k, v in next, t do back[k] = v end
  for k in next, back do t[k] = nil end
  setmetatable(t, {__index = back, __newindex = frozen(what), __metatable = false,
                   __pairs = function() return next, back, nil end, __len = function() return #back end})
  return back
end

-- Every table reachable from a file's globals, however deep ({counter = {n = 0}} too):
-- a nested table changed while judging keeps state as a global would.
local function seal_deep(t, path, seen)
  if seen[t] then return end
  seen[t] = true
  local back = seal(t, path .. "의 항목")
  for k, v in next, back do
    if type(v) == "table" and getmetatable(v) == nil then seal_deep(v, path .. "." .. tostring(k), seen) end
  end
end

local function seal_envs()
  for _, env in ipairs(ENVS) do
    local seen = {[env] = true}
    local back = seal(env, "전역 변수")
    for name, v in next, back do
      if type(v) == "table" and getmetatable(v) == nil then seal_deep(v, tostring(name), seen) end
    end
  end
  ENVS = {}
end

-- The globals every sandboxed file sees, whatever the rule-set kind.
local function base_env(file)
  local env = {
    assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs,
    rawequal = rawequal, rawlen = rawlen, select = select, tonumber = tonumber,
    tostring = tostring, type = type, getmetatable = getmetatable,
    setmetatable = safe_setmetatable, pcall = C.pcall, unpack = tunpack,
    _VERSION = VERSION,
  }
  for name, lib in pairs(LIBS) do env[name] = copy(lib) end
  env.string.dump = nil
  env.text = copy(TEXT)
  env.print = function(...)
    local parts = {}
    for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
    C.log(file .. ": " .. tconcat(parts, "\t"))
  end
  -- Text chunks only, and never outside this sandbox.
  env.load = function(chunk, name, _, e)
    if type(chunk) ~= "string" then
      return nil, "load: 문자열만 불러올 수 있습니다 (only string chunks can be loaded)"
    end
    if e == nil then e = env end
    return raw_load(chunk, name or "=(load)", "t", e)
  end
  env._G = env
  ENVS[#ENVS + 1] = env
  return env
end

local function new_env(file, kind)
  local env = base_env(file)
  if kind == "rule" then
    -- Not tail calls: C.where() and error levels count these frames.
    env.rule = function(spec) register_rule(spec, file) end
    env.compounds = function(list) declare_words("compounds", list) end
    env.not_compounds = function(list) declare_words("not_compounds", list) end
    env.test = function()
      error("test{...}는 *_test.lua 파일에만 씁니다 (test{} belongs in *_test.lua files)", 2)
    end
  else
    env.test = function(spec) register_test(spec, file) end
    env.rule = function()
      error("rule{...}은 규칙 파일에만 씁니다 (rule{} does not belong in test files)", 2)
    end
    local function misplaced(fname)
      return function()
        error(sformat("%s{...}는 규칙 파일에만 씁니다 (%s{} does not belong in test files)", fname, fname), 2)
      end
    end
    env.compounds, env.not_compounds = misplaced("compounds"), misplaced("not_compounds")
  end
  return env
end

---------------------------------------------------------------------------
-- registration
local function check_keys(t, allowed, what, level)
  for k in pairs(t) do
    if not allowed[k] then
      local names = {}
      for a in pairs(allowed) do names[#names + 1] = a end
      tsort(names)
      error(sformat("%s: 알 수 없는 항목 '%s' (unknown key; allowed: %s)", what, tostring(k),
        tconcat(names, ", ")), level + 1)
    end
  end
end

local function set(list)
  local s = {}
  for _, k in ipairs(list) do s[k] = true end
  return s
end

local RULE_KEYS = set {"id", "description", "priority", "apply"}

register_rule = function(spec, file)
  if type(spec) ~= "table" then
    error("rule{...}에는 표가 필요합니다 (rule{} takes a table)", 3)
  end
  check_keys(spec, RULE_KEYS, "rule", 3)
  local id = spec.id
  if type(id) ~= "string" or not smatch(id, "^[a-z][a-z0-9_]*$") or #id > 63 then
    error("rule.id는 영문 소문자·숫자·밑줄로 된 63자 이하 이름이어야 합니다 " ..
      "(id must match [a-z][a-z0-9_]*, at most 63 chars)", 3)
  end
  if RULE_IDS[id] then
    error(sformat("rule.id '%s'가 이미 %s에 있습니다 (duplicate rule id)", id, RULE_IDS[id].where), 3)
  end
  if type(spec.description) ~= "string" or spec.description == "" or not ulen(spec.description) then
    error("rule.description(설명)이 필요합니다 (a UTF-8 description is required)", 3)
  end
  if type(spec.apply) ~= "function" then
    error("rule.apply는 function(ctx) ... end 이어야 합니다 (apply must be a function)", 3)
  end
  local prio = spec.priority
  if prio == nil then prio = 100 end
  if type(prio) ~= "number" or prio ~= prio or prio == mhuge or prio == -mhuge then
    error("rule.priority는 숫자여야 합니다 (priority must be a number)", 3)
  end
  local r = {id = id, description = spec.description, priority = prio, apply = spec.apply,
             file = file, where = C.where(3), order = #RULES + 1}
  RULES[#RULES + 1] = r
  RULE_IDS[id] = r
end

-- Compounds (words that contain a list word but name something else:
-- "제조사" is another firm, not manufacturing) and the exceptions that break
-- them ("제조사업" is 제조 + 사업), declared by rule files with compounds{...}
-- and not_compounds{...}. They apply to every rule's word matching from the
-- moment they are declared.
local COMPOUNDS, NOT_COMPOUNDS = {}, {}

declare_words = function(fname, list)
  if type(list) == "string" then list = {list} end
  if type(list) ~= "table" then
    error(sformat("%s{...}에는 단어 목록(표)이 필요합니다 (%s{} takes a list of words)", fname, fname), 3)
  end
  local dst = fname == "compounds" and COMPOUNDS or NOT_COMPOUNDS
  local n = #list
  for k in pairs(list) do
    if type(k) ~= "number" or k < 1 or k > n or k % 1 ~= 0 then
      error(sformat("%s{...}에는 단어만 나열합니다 (%s{} takes a plain list): %s", fname, fname, tostring(k)), 3)
    end
  end
  for i = 1, n do
    local w = list[i]
    if type(w) ~= "string" or not ulen(w) or normalize(w) == "" or #w > 200 then
      error(sformat("%s[%d]: 비어 있지 않은 UTF-8 낱말이어야 합니다 (a non-empty UTF-8 word, at most 200 bytes)",
        fname, i), 3)
    end
  end
  for i = 1, n do dst[#dst + 1] = list[i] end
  C.set_compounds(COMPOUNDS, NOT_COMPOUNDS)
end

local GIVEN_KEYS = set {"company", "tech", "ksic", "candidates"}
local COMPANY_KEYS = set {"name"}
local TECH_KEYS_LIST = {"ksic_code", "ksic_name", "main_product", "product_use",
                        "tech_business_name", "tech_class"}
local TECH_KEYS = set(TECH_KEYS_LIST)
local KSIC_KEYS_LIST = {"section", "section_name", "division", "division_name",
                        "group", "group_name"}
local KSIC_KEYS = set(KSIC_KEYS_LIST)
local CAND_KEYS = set {"code", "score", "signals", "keywords", "item", "dropped"}
local ITEM_KEYS_LIST = {"code", "name", "theme", "theme_name", "field", "field_name",
                        "definition", "examples"}
local ITEM_KEYS = set(ITEM_KEYS_LIST)
local EXPECT_KEYS = set {"applicable", "reason", "rule", "kept", "dropped", "scores",
                         "needs_review", "basis", "message"}
local TEST_KEYS = set {"name", "given", "expect"}

register_test = function(spec, file)
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
  if g.company ~= nil then check_keys(g.company, COMPANY_KEYS, "given.company", 3) end
  if g.tech ~= nil then check_keys(g.tech, TECH_KEYS, "given.tech", 3) end
  if g.ksic ~= nil then check_keys(g.ksic, KSIC_KEYS, "given.ksic", 3) end
  for i, c in ipairs(g.candidates or {}) do
    if type(c) ~= "table" or type(c.code) ~= "string" then
      error(sformat("given.candidates[%d]: code가 필요합니다 (code is required)", i), 3)
    end
    check_keys(c, CAND_KEYS, "given.candidates[" .. i .. "]", 3)
    if c.item ~= nil then check_keys(c.item, ITEM_KEYS, "given.candidates[" .. i .. "].item", 3) end
  end
  check_keys(e, EXPECT_KEYS, "expect", 3)
  TESTS[#TESTS + 1] = {name = spec.name, given = g, expect = e, file = file, where = C.where(3)}
end

---------------------------------------------------------------------------
-- ctx: what a rule's apply(ctx) receives
local CTX = {}
local PRIV = setmetatable({}, {__mode = "k"})
-- ctx.company, ctx.tech, ctx.ksic and ctx.candidates, made on first use.
local FIELD_WHAT = {company = "ctx.company", tech = "ctx.tech", ksic = "ctx.ksic",
                    candidates = "ctx.candidates"}

local candidate_views

-- The first use of a field makes it (ctx_slow); the C __index (views.c)
-- answers methods and fields already made without a Lua call.
local function ctx_slow(self, k)
  -- Methods first: no method is named like a field.
  local m = CTX[k]
  if m ~= nil then return m end
  local st = PRIV[self]
  local v = st.fields[k]
  if v ~= nil then return v end
  local what = FIELD_WHAT[k]
  if what then
    local raw = st.raw_fields[k]
    if raw == nil then raw = candidate_views(st) end -- candidates: views made on first use
    v = readonly(raw, what)
    st.fields[k] = v
    return v
  end
  return nil
end

local CTX_MT = {
  __index = C.ctx_index(CTX, PRIV, ctx_slow),
  __newindex = function(_, k)
    error(sformat("ctx는 읽기 전용입니다 (ctx is read-only): %s — ctx:rescore(), ctx:drop() 등을 쓰세요",
      tostring(k)), 2)
  end,
  __metatable = false,
}

local save_state
-- Keys of a candidate record that no rule can name (see REC_MT below).
local K_ST, K_I = {}, {}

local function priv(self, fname)
  local st = PRIV[self]
  if not st then
    error(sformat("ctx:%s(...)처럼 콜론(:)으로 호출하세요 (call it as ctx:%s(...))", fname, fname), 3)
  end
  return st
end

local function need_string(v, what, fname)
  if type(v) ~= "string" or v == "" then
    error(sformat("ctx:%s: %s 문자열이 필요합니다 (%s must be a non-empty string)", fname, what, what), 3)
  end
  if not utf8_ok(v) then
    error(sformat("ctx:%s: %s가 올바른 UTF-8이 아닙니다 (%s is not valid UTF-8)", fname, what, what), 3)
  end
  return v
end

local function need_rec(st, code, fname)
  local rec = st.by_code[code]
  if not rec then
    error(sformat("ctx:%s: 후보 목록에 없는 코드입니다 (no such candidate): %s", fname, tostring(code)), 3)
  end
  return rec
end

-- Marks the firm not applicable. The first rule that does so decides.
function CTX:not_applicable(reason, message)
  local st = priv(self, "not_applicable")
  if type(reason) ~= "string" or not smatch(reason, "^[a-z][a-z0-9_]*$") or #reason > 47 then
    error("ctx:not_applicable: 사유 코드는 영문 소문자·숫자·밑줄 47자 이하입니다 " ..
      "(reason code must match [a-z][a-z0-9_]*, at most 47 chars)", 2)
  end
  need_string(message, "message", "not_applicable")
  if st.verdict.applicable then
    if st.pending then save_state(st) end
    st.verdict = {applicable = false, reason = reason, message = message, rule = st.rule or ""}
  end
end

function CTX:drop(code, reason)
  local st = priv(self, "drop")
  local rec = need_rec(st, code, "drop")
  if reason ~= nil then need_string(reason, "reason", "drop") end
  if not rec.dropped then
    if st.pending then save_state(st) end
    rec.dropped = true
    rec.drop_reason = reason or st.rule or ""
  end
end

-- Drops every candidate still kept.
function CTX:drop_all(reason)
  local st = priv(self, "drop_all")
  if reason ~= nil then need_string(reason, "reason", "drop_all") end
  if st.pending then save_state(st) end
  for _, rec in ipairs(st.recs) do
    if not rec.dropped then
      rec.dropped = true
      rec.drop_reason = reason or st.rule or ""
    end
  end
end

function CTX:rescore(code, score)
  local st = priv(self, "rescore")
  local rec = need_rec(st, code, "rescore")
  if type(score) ~= "number" or score ~= score then
    error("ctx:rescore: 점수는 0~1 사이 숫자입니다 (score must be a number in [0,1])", 2)
  end
  if score < 0 then score = 0 elseif score > 1 then score = 1 end
  if st.pending then save_state(st) end
  rec.score = score
end

function CTX:add_basis(code, sentence)
  local st = priv(self, "add_basis")
  local rec = need_rec(st, code, "add_basis")
  need_string(sentence, "sentence", "add_basis")
  if st.pending then save_state(st) end
  local i = rec[K_I]
  local b = st.basis[i]
  if b == nil then
    b = {}
    st.basis[i] = b
  end
  b[#b + 1] = sentence
end

function CTX:needs_review(note)
  local st = priv(self, "needs_review")
  need_string(note, "note", "needs_review")
  if st.pending then save_state(st) end
  st.review[#st.review + 1] = note
end

function CTX:is_applicable()
  return priv(self, "is_applicable").verdict.applicable
end

local view_of

function CTX:candidate(code)
  local st = priv(self, "candidate")
  local rec = st.by_code[code]
  return rec and view_of(rec) or nil
end

local DEFAULT_FIELDS = {"main_product", "product_use", "tech_business_name", "tech_class"}

local function field_texts(st, fields, fname)
  fields = fields or DEFAULT_FIELDS
  if type(fields) == "string" then fields = {fields} end
  local out = {}
  for _, f in ipairs(fields) do
    local v = rawget(st.tech, f)
    if v == nil then
      error(sformat("ctx:%s: 알 수 없는 항목 '%s' (unknown field; use %s)", fname, tostring(f),
        tconcat(TECH_KEYS_LIST, ", ")), 3)
    end
    out[#out + 1] = v
  end
  return out
end

-- The folded text of field f, kept in st.ntech (called by a ctx method: the
-- error points at the rule).
local function field_norm(st, f, fname)
  local v = rawget(st.tech, f)
  if v == nil then
    error(sformat("ctx:%s: 알 수 없는 항목 '%s' (unknown field; use %s)", fname, tostring(f),
      tconcat(TECH_KEYS_LIST, ", ")), 3)
  end
  local nv = cfold(v)
  st.ntech[f] = nv
  return nv
end

-- Like field_texts, but the folded texts (what word matching reads),
-- computed once per ctx.
local function field_norms(st, fields, fname)
  if fields == nil and st.ndefault then return st.ndefault end
  local list = fields or DEFAULT_FIELDS
  if type(list) == "string" then list = {list} end
  local out, ntech = {}, st.ntech
  for _, f in ipairs(list) do
    local nv = ntech[f]
    if nv == nil then
      local v = rawget(st.tech, f)
      if v == nil then
        error(sformat("ctx:%s: 알 수 없는 항목 '%s' (unknown field; use %s)", fname, tostring(f),
          tconcat(TECH_KEYS_LIST, ", ")), 3)
      end
      nv = cfold(v)
      ntech[f] = nv
    end
    out[#out + 1] = nv
  end
  if fields == nil then st.ndefault = out end
  return out
end

-- First word of `words` found in the firm's texts (main_product, product_use,
-- tech_business_name, tech_class unless `fields` names others), or nil.
function CTX:has_any(words, fields)
  local st = PRIV[self] or priv(self, "has_any")
  if type(words) ~= "table" then words = wordlist(words, "ctx:has_any") end
  if fields == nil then
    local nd = st.ndefault or field_norms(st, nil, "has_any")
    for i = 1, #nd do
      local ns = nd[i]
      if ns ~= "" then
        local w = first_match(ns, words)
        if w then return w end
      end
    end
    return nil
  end
  -- Rules name their fields in a new table on every call: fold (and check)
  -- them all first, as field_norms does, without building its list.
  -- (Indexed loops: what ipairs does, without its calls.)
  if type(fields) == "string" then fields = {fields} end
  local ntech = st.ntech
  local i, f = 1, fields[1]
  while f ~= nil do
    if ntech[f] == nil then field_norm(st, f, "has_any") end
    i = i + 1
    f = fields[i]
  end
  i, f = 1, fields[1]
  while f ~= nil do
    local ns = ntech[f]
    if ns ~= "" then
      local w = first_match(ns, words)
      if w then return w end
    end
    i = i + 1
    f = fields[i]
  end
  return nil
end

function CTX:find_all(words, fields)
  local st = priv(self, "find_all")
  words = wordlist(words, "ctx:find_all")
  local out, seen = {}, {}
  for _, ns in ipairs(field_norms(st, fields, "find_all")) do
    if ns ~= "" then
      for _, w in ipairs(all_matches(ns, words)) do
        if not seen[w] then
          seen[w] = true
          out[#out + 1] = w
        end
      end
    end
  end
  return out
end

function CTX:text(fields)
  local st = priv(self, "text")
  local parts = {}
  for _, s in ipairs(field_texts(st, fields, "text")) do
    if s ~= "" then parts[#parts + 1] = s end
  end
  return tconcat(parts, " | ")
end

-- Items of a product list field (default main_product).
function CTX:segments(field)
  local st = priv(self, "segments")
  return TEXT.segments(field_texts(st, field or "main_product", "segments")[1])
end

local function ksic_match(st, key, fname, ...)
  local v = rawget(st.ksic, key)
  for i = 1, select("#", ...) do
    local want = select(i, ...)
    if type(want) == "table" then
      for _, w in ipairs(want) do if v ~= "" and v == w then return true end end
    elseif type(want) == "string" then
      if v ~= "" and v == want then return true end
    else
      error(sformat("ctx:%s: 문자열이 필요합니다 (strings expected)", fname), 3)
    end
  end
  return false
end

-- True when the firm's KSIC section (대분류, e.g. "G") is one of the arguments.
function CTX:ksic_section_is(...)
  local yes = ksic_match(priv(self, "ksic_section_is"), "section", "ksic_section_is", ...)
  return yes
end

-- True when the firm's KSIC division (중분류, e.g. "46") is one of the arguments.
function CTX:ksic_division_is(...)
  local yes = ksic_match(priv(self, "ksic_division_is"), "division", "ksic_division_is", ...)
  return yes
end

-- True when the KSIC code (or any of several, "468;4680") starts with a prefix.
function CTX:ksic_code_starts(...)
  local st = priv(self, "ksic_code_starts")
  local codes = st.tech.ksic_code
  for code in sgmatch(codes, "[^;,%s]+") do
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

-- First word of `words` in the KSIC names (세세분류명 and the hierarchy names).
function CTX:ksic_name_has(words)
  local st = priv(self, "ksic_name_has")
  wordlist(words, "ctx:ksic_name_has")
  for _, s in ipairs({st.tech.ksic_name, st.ksic.group_name, st.ksic.division_name}) do
    local w = TEXT.has_any(s, words)
    if w then return w end
  end
  return nil
end

local EMPTY_ITEM = {}
for _, k in ipairs(ITEM_KEYS_LIST) do EMPTY_ITEM[k] = "" end

local function item_table(raw)
  local t = {}
  for _, k in ipairs(ITEM_KEYS_LIST) do t[k] = str(raw and raw[k]) end
  return readonly(t, "item")
end

local function view_newindex(_, k)
  error(sformat("후보는 읽기 전용입니다 (candidate is read-only): %s — ctx:rescore(), ctx:drop()을 쓰세요",
    tostring(k)), 2)
end

local host_keywords, host_signals, host_item = C.host_keywords, C.host_signals, C.item

-- A candidate's record holds what its view shows under the names rules read
-- (code, score, dropped, drop_reason; item, keywords and signals once made),
-- so a view reads through to it without a call. What rules must not see
-- (its ctx and position) sits under keys no rule can name. Its 분류근거
-- sentences are the ctx's (st.basis[i]); the views of item, keywords and
-- signals are made on first use by REC_MT (most rules never look at
-- signals): a candidate of the host's input fetches its keywords and signals
-- from the host then, and its item through the host's lookup, which fills
-- every field of the item with a string (so the table needs no copy).
local REC_MT = {
  __index = function(rec, k)
    if k == "basis" then
      local b = rec[K_ST].basis[rec[K_I]]
      return readonly(b and copy(b) or {}, "basis")
    elseif k == "item" then
      local st, it = rec[K_ST], nil
      if st.lookup then
        it = readonly(host_item(rec.code) or EMPTY_ITEM, "item")
      else
        it = item_table(st.given[rec[K_I]].item or EMPTY_ITEM)
      end
      rec.item = it
      return it
    elseif k == "keywords" or k == "signals" then
      local st, t = rec[K_ST], nil
      if st.lookup then
        t = (k == "keywords" and host_keywords or host_signals)(rec[K_I], st.seq)
      else
        t = st.given[rec[K_I]][k]
      end
      local v = readonly(t, k)
      rec[k] = v
      return v
    end
    return nil
  end,
}

-- A host ctx's records (built in C, version.c) read item, keywords and
-- signals through a C __index that does what REC_MT's does for them; any
-- other key goes to REC_MT's.
local HOST_REC_MT = {__index = C.host_rec_index(K_ST, K_I, EMPTY_ITEM, REC_MT.__index)}

local function new_rec(st, i, code, score, dropped)
  return setmetatable({code = code, score = score, dropped = dropped, drop_reason = "", [K_ST] = st, [K_I] = i},
    REC_MT)
end

-- 분류근거 sentences of rec so far (a list; do not change it).
local NO_BASIS = {}
local function basis_of(st, rec)
  return st.basis[rec[K_I]] or NO_BASIS
end

view_of = function(rec)
  local st, i = rec[K_ST], rec[K_I]
  local v = st.views[i]
  if v == nil then
    v = setmetatable({}, {__index = rec, __newindex = view_newindex, __metatable = false})
    st.views[i] = v
  end
  return v
end

-- The list behind ctx.candidates, made on first use: view_of(rec) of each
-- rec of st.recs, in C (views.c).
local c_candidate_views = C.candidate_views
candidate_views = function(st)
  local views = c_candidate_views(st.recs, st.views, view_newindex)
  st.raw_fields.candidates = views
  return views
end

-- recs, by_code and views may come presized from the host (new_host_ctx).
local function new_state(tech, ksic, recs, by_code, views)
  return {tech = tech, ksic = ksic, recs = recs or {}, by_code = by_code or {}, review = {}, ntech = {}, basis = {},
          views = views or {},
          verdict = {applicable = true, reason = "", message = "", rule = ""}}
end

-- A name ctx.company, ctx.tech or ctx.ksic does not have is an error, not "": a
-- misspelt field (ctx.tech.main_prodct) would otherwise make a rule that never fires.
-- One metatable each, shared by every evaluation.
local function unknown_field_mt(what, list)
  local names = tconcat(list, ", ")
  return {__index = function(_, k)
    error(sformat("%s: 알 수 없는 항목 '%s' (unknown field; %s 중 하나)", what, tostring(k), names), 2)
  end}
end
local COMPANY_MT = unknown_field_mt("ctx.company", {"name"})
local TECH_MT = unknown_field_mt("ctx.tech", TECH_KEYS_LIST)
local KSIC_MT = unknown_field_mt("ctx.ksic", KSIC_KEYS_LIST)

local function finish_ctx(st, company)
  setmetatable(company, COMPANY_MT)
  setmetatable(st.tech, TECH_MT)
  setmetatable(st.ksic, KSIC_MT)
  st.raw_fields = {company = company, tech = st.tech, ksic = st.ksic}
  st.fields = {}
  local ctx = setmetatable({}, CTX_MT)
  PRIV[ctx] = st
  return ctx
end

-- A test's given: {company = {name}, tech = {...}, ksic = {...}, candidates
-- = {...}}, every value checked and copied.
local function new_ctx(input)
  local company = {name = str(input.company and input.company.name)}
  local tech, ksic = {}, {}
  for _, k in ipairs(TECH_KEYS_LIST) do tech[k] = str(input.tech and input.tech[k]) end
  for _, k in ipairs(KSIC_KEYS_LIST) do ksic[k] = str(input.ksic and input.ksic[k]) end
  local st = new_state(tech, ksic)
  st.lookup, st.given = false, {}
  for i, c in ipairs(input.candidates or {}) do
    local code, signals, keywords = str(c.code), {}, {}
    for k, v in pairs(c.signals or {}) do
      if type(k) == "string" and type(v) == "number" then signals[k] = v end
    end
    for _, w in ipairs(c.keywords or {}) do keywords[#keywords + 1] = str(w) end
    local score = tonumber(c.score) or 0
    if score ~= score or score < 0 then score = 0 elseif score > 1 then score = 1 end
    st.given[i] = {item = c.item, signals = signals, keywords = keywords}
    local rec = new_rec(st, i, code, score, c.dropped == true)
    st.recs[i] = rec
    if st.by_code[code] == nil then st.by_code[code] = rec end
  end
  return finish_ctx(st, company)
end

-- The host's input (version.c): every text already a string (cut to size);
-- the candidate records are made in C from the input itself (host_recs:
-- codes, scores already in [0,1], dropped flags); keywords, signals and
-- items are fetched from the host when a rule first reads them (seq names
-- this evaluation, see version.c). recs, by_code and views are empty tables
-- sized for the candidates.
local host_recs = C.host_recs
local function new_host_ctx(seq, name, ksic_code, ksic_name, main_product, product_use, tech_business_name,
                            tech_class, section, section_name, division, division_name, group, group_name,
                            recs0, by_code0, views0)
  local tech = {ksic_code = ksic_code, ksic_name = ksic_name, main_product = main_product,
                product_use = product_use, tech_business_name = tech_business_name, tech_class = tech_class}
  local ksic = {section = section, section_name = section_name, division = division,
                division_name = division_name, group = group, group_name = group_name}
  local st = new_state(tech, ksic, recs0, by_code0, views0)
  st.lookup, st.seq = true, seq
  host_recs(st, st.recs, st.by_code, K_ST, K_I, HOST_REC_MT)
  return finish_ctx(st, {name = name})
end

---------------------------------------------------------------------------
-- the internal interface the C side drives

local I = {}

-- Sorts the rules and returns {id, description, priority, file, where} rows.
function I.finish()
  seal_envs()
  SORTED = {}
  for i, r in ipairs(RULES) do SORTED[i] = r end
  tsort(SORTED, function(a, b)
    if a.priority ~= b.priority then return a.priority < b.priority end
    if a.file ~= b.file then return a.file < b.file end
    return a.order < b.order
  end)
  local out = {}
  for i, r in ipairs(SORTED) do
    out[i] = {id = r.id, description = r.description, priority = r.priority, file = r.file,
              where = r.where}
  end
  return out
end

I.new_env = new_env
I.new_ctx = new_host_ctx

-- What a failing rule must undo is saved before its first change (most
-- rules change nothing): one flat table, score, dropped, drop_reason and
-- #basis per candidate. The ctx actions call this before they change st.
-- (The four slots per candidate are taken in C, views.c.)
local snapshot = C.snapshot
save_state = function(st)
  st.pending = false
  local snap = snapshot(st.recs, st.basis)
  snap.verdict, snap.nreview = st.verdict, #st.review
  st.snap = snap
end

-- Runs rule i on ctx.
function I.run(ctx, i)
  local st, r = PRIV[ctx], SORTED[i]
  st.snap = nil
  st.pending = true
  st.rule = r.id
  r.apply(ctx)
  st.rule = nil
  st.snap = nil
  st.pending = false
end

-- Undoes the partial effects of a rule that failed.
function I.rollback(ctx)
  local st = PRIV[ctx]
  local snap = st.snap
  st.rule = nil
  st.pending = false
  if not snap then return end -- it changed nothing
  st.verdict = snap.verdict
  for j = #st.review, snap.nreview + 1, -1 do st.review[j] = nil end
  for j, rec in ipairs(st.recs) do
    local o = (j - 1) * 4
    rec.score, rec.dropped, rec.drop_reason = snap[o + 1], snap[o + 2], snap[o + 3]
    local b = st.basis[j]
    if b then
      for k = #b, snap[o + 4] + 1, -1 do b[k] = nil end
    end
  end
  st.snap = nil
end

-- cands are the candidate records themselves: the C side reads only their
-- score, dropped and drop_reason; basis[i] (may be nil) lists candidate i's
-- 분류근거 sentences.
function I.result(ctx)
  local st = PRIV[ctx]
  local v = st.verdict
  return {applicable = v.applicable, reason = v.reason, message = v.message, rule = v.rule,
          review = tconcat(st.review, " / "), cands = st.recs, basis = st.basis}
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

local function codes_of(list, what)
  if type(list) == "string" then return {list} end
  if type(list) ~= "table" then
    error(sformat("expect.%s는 코드 목록입니다 (expect.%s must be a list of codes)", what, what), 0)
  end
  return list
end

-- Compares the outcome with test i's expectations; returns ok and, on
-- failure, the reasons in Korean and English.
function I.check(i, ctx)
  local t, st = TESTS[i], PRIV[ctx]
  local e, v = t.expect, st.verdict
  local bad = {}
  local function fail(ko, en) bad[#bad + 1] = ko .. " / " .. en end
  if e.applicable ~= nil and e.applicable ~= v.applicable then
    fail(sformat("적용 여부: 기대 %s, 실제 %s%s", show(e.applicable), show(v.applicable),
        v.applicable and "" or sformat(" (사유 %s, 규칙 %s)", v.reason, v.rule)),
      sformat("applicable: expected %s, got %s", show(e.applicable), show(v.applicable)))
  end
  if e.reason ~= nil and e.reason ~= v.reason then
    fail(sformat("사유 코드: 기대 %s, 실제 %s", show(e.reason), show(v.reason)),
      sformat("reason: expected %s, got %s", show(e.reason), show(v.reason)))
  end
  if e.rule ~= nil and e.rule ~= v.rule then
    fail(sformat("결정 규칙: 기대 %s, 실제 %s", show(e.rule), show(v.rule)),
      sformat("rule: expected %s, got %s", show(e.rule), show(v.rule)))
  end
  if e.message ~= nil and not sfind(v.message, e.message, 1, true) then
    fail(sformat("메시지에 %s 없음 (실제 %s)", show(e.message), show(v.message)),
      sformat("message lacks %s", show(e.message)))
  end
  if e.needs_review ~= nil and e.needs_review ~= (#st.review > 0) then
    fail(sformat("검토 필요: 기대 %s, 실제 %s%s", show(e.needs_review), show(#st.review > 0),
        #st.review > 0 and sformat(" (%s)", tconcat(st.review, " / ")) or ""),
      sformat("needs_review: expected %s, got %s", show(e.needs_review), show(#st.review > 0)))
  end
  for _, code in ipairs(e.kept and codes_of(e.kept, "kept") or {}) do
    local rec = st.by_code[code]
    if not rec then
      fail(sformat("후보 %s 없음", code), sformat("no candidate %s", code))
    elseif rec.dropped then
      fail(sformat("%s가 유지되어야 하는데 제외됨 (%s)", code, rec.drop_reason),
        sformat("%s should be kept but was dropped", code))
    end
  end
  for _, code in ipairs(e.dropped and codes_of(e.dropped, "dropped") or {}) do
    local rec = st.by_code[code]
    if not rec then
      fail(sformat("후보 %s 없음", code), sformat("no candidate %s", code))
    elseif not rec.dropped then
      fail(sformat("%s가 제외되어야 하는데 유지됨", code), sformat("%s should be dropped but was kept", code))
    end
  end
  for code, want in pairs(e.scores or {}) do
    local rec = st.by_code[code]
    if not rec then
      fail(sformat("후보 %s 없음", tostring(code)), sformat("no candidate %s", tostring(code)))
    elseif type(want) ~= "number" or (rec.score - want > 1e-6 or want - rec.score > 1e-6) then
      fail(sformat("%s 점수: 기대 %s, 실제 %s", code, show(want), show(rec.score)),
        sformat("score of %s: expected %s, got %s", code, show(want), show(rec.score)))
    end
  end
  for code, want in pairs(e.basis or {}) do
    local rec = st.by_code[code]
    local found = false
    for _, b in ipairs(rec and basis_of(st, rec) or {}) do
      if sfind(b, str(want), 1, true) then found = true end
    end
    if not found then
      fail(sformat("%s 분류근거에 %s 없음", tostring(code), show(want)),
        sformat("basis of %s lacks %s", tostring(code), show(want)))
    end
  end
  if #bad == 0 then return true, "" end
  return false, tconcat(bad, "; ")
end

-- Tests are not needed once they passed; free them before serving.
function I.clear_tests()
  for i = #TESTS, 1, -1 do TESTS[i] = nil end
end

-- What another rule-set kind (programmes.lua) builds on: the sandbox and the
-- text helpers, never the 적용원칙 rules' own state.
I.shared = {C = C, TEXT = TEXT, readonly = readonly, str = str, copy = copy, set = set,
            check_keys = check_keys, base_env = base_env, wordlist = wordlist, seal_envs = seal_envs}

return I
