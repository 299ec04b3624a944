-- A rule that checks the C text helpers (memo, word-list cache, match.c)
-- against plain Lua definitions on awkward inputs, and changes its word list
-- between calls so a stale cache would show. It reports "ok" or the cases
-- that differ through ctx:needs_review. Used by tests/rules/test_rules.c.

local COMPOUNDS = {"제조사", "판매사", "LCD패널", "대리점"}
local EXCEPTIONS = {"제조사업"}
compounds(COMPOUNDS)
not_compounds(EXCEPTIONS)

local function tostr(s)
  if s == nil then return "" elseif type(s) ~= "string" then return tostring(s) end
  return s
end

local function ref_norm(s)
  s = tostr(s):gsub("%s+", ""):gsub("\227\128\128", ""):gsub("\194\160", "")
  return s:lower()
end

local function ref_fold(s)
  s = tostr(s):gsub("\227\128\128", " "):gsub("\194\160", " "):gsub("%s+", " ")
  return (s:gsub("^ ", ""):gsub(" $", ""):lower())
end

-- Code point at byte i, reading no further than byte last: cp, length.
local function cp_at(s, i, last)
  local b = s:byte(i)
  local need = b < 0x80 and 1 or b >= 0xF0 and 4 or b >= 0xE0 and 3 or b >= 0xC0 and 2 or 0
  if need == 0 or i + need - 1 > last then return 0xFFFD, 1 end
  local cp = need == 1 and b or (b & (0x7F >> need))
  for k = 1, need - 1 do
    local c = s:byte(i + k)
    if c & 0xC0 ~= 0x80 then return 0xFFFD, 1 end
    cp = (cp << 6) | (c & 0x3F)
  end
  return cp, need
end

-- Code point that ends right before byte i.
local function cp_before(s, i)
  local j = i - 1
  while j > 1 and i - j < 4 and s:byte(j) & 0xC0 == 0x80 do j = j - 1 end
  local cp, n = cp_at(s, j, i - 1)
  if j + n ~= i then return 0xFFFD end
  return cp
end

local function within(c, ranges)
  for k = 1, #ranges, 2 do
    if c >= ranges[k] and c <= ranges[k + 1] then return true end
  end
  return false
end

local LATIN = {48, 57, 97, 122, 65, 90, 0xC0, 0xD6, 0xD8, 0xF6, 0xF8, 0x24F}
local LETTER = {0xAC00, 0xD7A3, 0x1100, 0x11FF, 0x3131, 0x318C, 0xA960, 0xA97F, 0xD7B0, 0xD7FF, 0x370, 0x52F,
                0x3041, 0x30FA, 0x3400, 0x4DBF, 0x4E00, 0x9FFF, 0xF900, 0xFAFF, 0xFF10, 0xFF19, 0xFF21, 0xFF3A,
                0xFF41, 0xFF5A, 0xFFA0, 0xFFDC}
local function is_latin(c) return within(c, LATIN) end
local function is_letter(c) return is_latin(c) or within(c, LETTER) end
local function ascii_alnum(b) return within(b, {48, 57, 97, 122, 65, 90}) end

local function edges_ok(t, s, e, w)
  if ascii_alnum(w:byte(1)) and s > 1 and is_latin(cp_before(t, s)) then return false end
  if ascii_alnum(w:byte(#w)) and e <= #t and is_latin((cp_at(t, e, #t))) then return false end
  return true
end

local PARTICLES = {"으로부터", "로부터", "으로서", "으로써", "에서", "에게", "으로", "로서", "로써", "하는", "하며",
  "하고", "하여", "해서", "이며", "이고", "이나", "까지", "부터", "을", "를", "이", "가", "은", "는", "의", "에", "로",
  "와", "과", "도", "만", "및", "등", "들", "용", "업", "한", "함", "해", "할", "인", "나"}

local function particles_only(t, e)
  local stop = e
  while stop <= #t do
    local c, n = cp_at(t, stop, #t)
    if c < 0xAC00 or c > 0xD7A3 then break end
    stop = stop + n
  end
  while e < stop do
    local found
    for _, p in ipairs(PARTICLES) do
      if #p <= stop - e and t:sub(e, e + #p - 1) == p then found = p break end
    end
    if not found then return false end
    e = e + #found
  end
  return true
end

-- End (exclusive) of w matched at t[s], and whether an input space was jumped.
local function match_at(t, s, w, may_jump)
  local i, j, jumped = s, 1, false
  while j <= #w do
    local wc, tc = w:sub(j, j), t:sub(i, i)
    if wc == " " then
      j = j + 1
      if tc == " " then i = i + 1 end
    elseif tc == wc then
      i, j = i + 1, j + 1
    elseif may_jump and i > s and tc == " " then
      i, jumped = i + 1, true
    else
      return nil
    end
  end
  return i, jumped
end

local function inside(t, s, e, list)
  local m = t:sub(s, e - 1)
  for _, c in ipairs(list) do
    c = ref_norm(c)
    if #c > #m then
      local off = 1
      while true do
        local k = c:find(m, off, true)
        if not k then break end
        off = k + 1
        local cs = s - (k - 1)
        if cs >= 1 and t:sub(cs, cs + #c - 1) == c and edges_ok(t, cs, cs + #c, c) then
          return cs, cs + #c
        end
      end
    end
  end
end

local function in_compound(t, s, e)
  for _, c in ipairs(COMPOUNDS) do
    local cs, ce = inside(t, s, e, {c})
    if cs and not inside(t, cs, ce, EXCEPTIONS) then return true end
  end
  return false
end

local function ref_find(t, w)
  for s = 1, #t do
    if t:byte(s) == w:byte(1) then
      local may_jump = s == 1 or not is_letter(cp_before(t, s))
      local e, jumped = match_at(t, s, w, may_jump)
      if e and edges_ok(t, s, e, w)
          and not (jumped and not ascii_alnum(w:byte(#w)) and not particles_only(t, e))
          and not in_compound(t, s, e) then
        return true
      end
    end
  end
  return false
end

local function ref_has(s, words)
  if type(words) == "string" then words = {words} end
  local t = ref_fold(s)
  if t == "" then return nil end
  for _, w in ipairs(words) do
    local fw = ref_fold(w)
    if fw ~= "" and ref_find(t, fw) then return w end
  end
end

-- text.trim and text.segments as the prelude first wrote them in Lua (they
-- are C now, rules/src/views.c).
local function ref_trim(s)
  s = tostr(s)
  local changed = true
  while changed do
    changed = false
    local t = s:gsub("^%s+", ""):gsub("%s+$", "")
    if t:sub(1, 3) == "\227\128\128" then t = t:sub(4) end
    if #t >= 3 and t:sub(-3) == "\227\128\128" then t = t:sub(1, -4) end
    if t ~= s then
      s, changed = t, true
    end
  end
  return s
end

local SEPS = {",", "/", ";", "|", "\n", "\194\183", "\227\134\141", "\239\188\140", "\227\128\129"}
local AND, TAILS = "및", {"등등", "등", "외"}

local function ref_segments(s)
  s = tostr(s)
  local out, depth, start, i, n = {}, 0, 1, 1, #s
  local function push(j)
    local seg = ref_trim(s:sub(start, j))
    for _ = 1, 2 do
      for _, t in ipairs(TAILS) do
        if #seg > #t and seg:sub(-#t) == t then seg = ref_trim(seg:sub(1, #seg - #t)) end
      end
    end
    if seg ~= "" then out[#out + 1] = seg end
  end
  while i <= n do
    local at = s:find("[%(%)%[%],/;|\n\194\227\235\239]", i)
    if not at then break end
    i = at
    local c = s:sub(i, i)
    if c == "(" or c == "[" then
      depth = depth + 1
    elseif (c == ")" or c == "]") and depth > 0 then
      depth = depth - 1
    elseif depth == 0 and s:sub(i, i + #AND - 1) == AND and
        (s:sub(i - 1, i - 1) == " " or s:sub(i + #AND, i + #AND) == " ") then
      push(i - 1)
      start = i + #AND
      i = i + #AND - 1
    elseif depth == 0 then
      for _, sep in ipairs(SEPS) do
        if s:sub(i, i + #sep - 1) == sep then
          push(i - 1)
          start = i + #sep
          i = i + #sep - 1
          break
        end
      end
    end
    i = i + 1
  end
  push(n)
  return out
end

-- Product lists built from the pieces that matter to segments and trim
-- (separators, brackets, 및, 등/외, U+3000, stray lead bytes), a fixed
-- pseudo-random sequence.
local PIECES = {"볼트", "나사", "모터", ",", ", ", " ", "/", ";", "|", "\n", "\194\183", "\227\134\141",
  "\239\188\140", "\227\128\129", "(", ")", "[", "]", "및", " 및 ", "및 ", "등", " 등", "등등", "외", " 외",
  "\227\128\128", "\t", "a", "\194\160", "\194", "\227", "\235", "\239", "\227\128", "x 등등 외"}
local seed = 12345
local function pick(n)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed % n + 1
end
local LISTS = {"볼트, 나사 및 너트 등", "부품(볼트, 너트) 외", "초정및소형모터", "커넥터 및 광통신 모듈",
  "\227\128\128 가 \227\128\128", "  ", "등", "A 등등", "[a,b],c", "a)b,c", "(a,(b,c)),d"}
for _ = 1, 120 do
  local parts = {}
  for k = 1, pick(9) do parts[k] = PIECES[pick(#PIECES)] end
  LISTS[#LISTS + 1] = table.concat(parts)
end

local function same_list(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do if a[i] ~= b[i] then return false end end
  return true
end

local SAMPLES = {"", " ", "A b\tC", "판매 대행", "\227 \128\128x", "a\194\227\128\128\160b",
  "\227\128\128\227\128\128Y", "S/W 개발", "x\r\n\v\fy", "ÀÉ", 12, 1.5, true,
  string.rep("가 나 ", 200) .. "END", "해외 제조사 제품 판매", "제조사업 및 판매사이트", "총 판매량",
  "총 판을", "LCD패널 판매사", "대형LCD 패널", "process ESS용", "\255제조\128", "제조\226\128", "ESSÀ",
  "가\227\128\128총판", "판매 대행업", "B2B 판매", "대리점 대리"}
local W = {"대행", "S/W", "end", "xy", "b", "제조", "판매", "총판", "lcd", "ess", "대리", "판매 대행", "판매대행"}
local calls = 0
rule { id = "textprobe", description = "텍스트 비교", apply = function(ctx)
  calls = calls + 1
  local bad = {}
  for i, s in ipairs(SAMPLES) do
    if text.normalize(s) ~= ref_norm(s) then bad[#bad + 1] = "norm" .. i end
    if text.has_any(s, W) ~= ref_has(s, W) then bad[#bad + 1] = "has" .. i end
    local all = text.find_all(s, W)
    local want = {}
    for _, w in ipairs(W) do if ref_has(s, {w}) then want[#want + 1] = w end end
    if table.concat(all, ",") ~= table.concat(want, ",") then bad[#bad + 1] = "all" .. i end
  end
  if text.normalize(nil) ~= "" then bad[#bad + 1] = "nil" end
  if calls == 1 then
    for i, s in ipairs(SAMPLES) do
      if text.trim(s) ~= ref_trim(s) then bad[#bad + 1] = "trim" .. i end
      if not same_list(text.segments(s), ref_segments(s)) then bad[#bad + 1] = "seg" .. i end
    end
    for i, s in ipairs(LISTS) do
      if text.trim(s) ~= ref_trim(s) then bad[#bad + 1] = "trimlist" .. i end
      if not same_list(text.segments(s), ref_segments(s)) then bad[#bad + 1] = "seglist" .. i end
    end
    if text.trim() ~= "" or #text.segments() ~= 0 then bad[#bad + 1] = "none" end
  end
  if ctx:has_any(W) ~= ref_has(ctx.tech.main_product, W) then bad[#bad + 1] = "ctx" end
  -- change the list in place; later calls must see the change
  if calls == 1 then W[2] = "zz"
  elseif calls == 2 then W[#W + 1] = "a b"
  elseif calls == 3 then W[3] = nil
  elseif calls == 4 then W[1] = 7 end
  ctx:needs_review(#bad == 0 and "ok" or table.concat(bad, " "))
end }
