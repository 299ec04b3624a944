#!/usr/bin/env lua5.4
-- Writes the shipped programme files (programmes/*.lua and their *_test.lua)
-- from nothing but the data directory's programmes/programmes.json and
-- programmes/regions-2025.json, so the policy files say what the notices say.
--
--   lua5.4 scripts/gen-programmes.lua [--data DIR] [--out DIR]   write the files
--   lua5.4 scripts/gen-programmes.lua [--data DIR] --check DIR    compare, exit 1 on a difference
--
-- DIR of --data holds the two JSON files (default ../shared/data/programmes);
-- --out defaults to programmes/. Staff who add a programme by hand copy one of
-- the written files under another name (see docs/rules-guide.md); this script
-- rewrites only the files named after programmes.json's ids.

local data_dir, out_dir, check_dir = "../shared/data/programmes", "programmes", nil
do
  local i = 1
  while i <= #arg do
    local a = arg[i]
    if a == "--data" then data_dir = arg[i + 1]; i = i + 1
    elseif a == "--out" then out_dir = arg[i + 1]; i = i + 1
    elseif a == "--check" then check_dir = arg[i + 1]; i = i + 1
    else io.stderr:write("usage: gen-programmes.lua [--data DIR] [--out DIR | --check DIR]\n"); os.exit(2) end
    i = i + 1
  end
  if not data_dir or (not out_dir and not check_dir) then
    io.stderr:write("gen-programmes: an option lacks its value\n")
    os.exit(2)
  end
end

local function die(msg)
  io.stderr:write("gen-programmes: ", msg, "\n")
  os.exit(1)
end

---------------------------------------------------------------------------
-- A small JSON reader (objects, arrays, strings with escapes, numbers, literals).
local function json_decode(s, name)
  local pos = 1
  local function fail(what) die(string.format("%s: %s at byte %d", name, what, pos)) end
  local function ws() pos = s:find("[^ \t\r\n]", pos) or #s + 1 end
  local value
  local function str()
    pos = pos + 1
    local out = {}
    while true do
      local c = s:sub(pos, pos)
      if c == "" then fail("unterminated string") end
      if c == '"' then pos = pos + 1; return table.concat(out) end
      if c == "\\" then
        local e = s:sub(pos + 1, pos + 1)
        local map = {['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t"}
        if map[e] then out[#out + 1] = map[e]; pos = pos + 2
        elseif e == "u" then
          local cp = tonumber(s:sub(pos + 2, pos + 5), 16) or fail("bad \\u escape")
          pos = pos + 6
          if cp >= 0xD800 and cp <= 0xDBFF and s:sub(pos, pos + 1) == "\\u" then
            local lo = tonumber(s:sub(pos + 2, pos + 5), 16) or fail("bad \\u escape")
            cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
            pos = pos + 6
          end
          out[#out + 1] = utf8.char(cp)
        else fail("bad escape") end
      else
        local j = s:find('["\\]', pos) or #s + 1
        out[#out + 1] = s:sub(pos, j - 1)
        pos = j
      end
    end
  end
  function value()
    ws()
    local c = s:sub(pos, pos)
    if c == "{" then
      pos = pos + 1
      local t = {}
      ws()
      if s:sub(pos, pos) == "}" then pos = pos + 1; return t end
      while true do
        ws()
        if s:sub(pos, pos) ~= '"' then fail("object key expected") end
        local k = str()
        ws()
        if s:sub(pos, pos) ~= ":" then fail("':' expected") end
        pos = pos + 1
        t[k] = value()
        ws()
        local d = s:sub(pos, pos)
        pos = pos + 1
        if d == "}" then return t end
        if d ~= "," then fail("',' or '}' expected") end
      end
    elseif c == "[" then
      pos = pos + 1
      local t = {}
      ws()
      if s:sub(pos, pos) == "]" then pos = pos + 1; return t end
      while true do
        t[#t + 1] = value()
        ws()
        local d = s:sub(pos, pos)
        pos = pos + 1
        if d == "]" then return t end
        if d ~= "," then fail("',' or ']' expected") end
      end
    elseif c == '"' then return str()
    elseif s:find("^true", pos) then pos = pos + 4; return true
    elseif s:find("^false", pos) then pos = pos + 5; return false
    elseif s:find("^null", pos) then pos = pos + 4; return nil
    else
      local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
      if not num or num == "" then fail("value expected") end
      pos = pos + #num
      return tonumber(num)
    end
  end
  local v = value()
  ws()
  if pos <= #s then fail("trailing text") end
  return v
end

local function read(path)
  local f, err = io.open(path, "rb")
  if not f then die(err) end
  local s = f:read("a")
  f:close()
  return s
end

local programmes = json_decode(read(data_dir .. "/programmes.json"), "programmes.json")
local regions = json_decode(read(data_dir .. "/regions-2025.json"), "regions-2025.json")

---------------------------------------------------------------------------
-- The notices use short province names; the API takes the official ones.
local PROVINCES = {
  {"서울", "서울특별시"}, {"부산", "부산광역시"}, {"대구", "대구광역시"}, {"인천", "인천광역시"},
  {"광주", "광주광역시"}, {"대전", "대전광역시"}, {"울산", "울산광역시"}, {"세종", "세종특별자치시"},
  {"경기", "경기도"}, {"강원", "강원특별자치도"}, {"충북", "충청북도"}, {"충남", "충청남도"},
  {"전북", "전북특별자치도"}, {"전남", "전라남도"}, {"경북", "경상북도"}, {"경남", "경상남도"},
  {"제주", "제주특별자치도"},
}
local FULL = {}
for _, p in ipairs(PROVINCES) do FULL[p[1]] = p[2] end

-- What each region group of regions-2025.json is called in the notice.
local GROUP_NAMES = {population_decline = "인구감소지역", interest = "관심지역"}

local function q(s) return string.format("%q", s) end

-- Lua source of {["강원특별자치도"] = {"고성군", ...}, ...} for one group,
-- provinces in official order, districts as listed; the count is checked.
local function region_table(group)
  local g = regions[group]
  if type(g) ~= "table" then die("regions-2025.json has no group " .. group) end
  for short in pairs(g) do
    if not FULL[short] then die("regions-2025.json: unknown province " .. short) end
  end
  local lines, n = {}, 0
  for _, p in ipairs(PROVINCES) do
    local list = g[p[1]]
    if list then
      local names = {}
      for _, d in ipairs(list) do names[#names + 1] = q(d) end
      n = n + #list
      lines[#lines + 1] = string.format("  [%s] = {%s},", q(p[2]), table.concat(names, ", "))
    end
  end
  local want = regions[group .. "_count"]
  if want and want ~= n then die(string.format("%s: %d districts, the file says %d", group, n, want)) end
  return "{\n" .. table.concat(lines, "\n") .. "\n}", n
end

-- A district of the group, and one of the same name in another province (or
-- in none of the group), for the tests.
local function sample(group)
  for _, p in ipairs(PROVINCES) do
    local list = regions[group][p[1]]
    if list then return p[2], list[1] end
  end
end

local HEADER = [[
-- %s
-- 자동 생성 파일: scripts/gen-programmes.lua가 programmes.json%s에서 만들었습니다.
-- 원문(공고)이 바뀌면 자료를 고치고 다시 생성하십시오. 새 지원사업은 이 파일을 다른 이름으로
-- 복사해 고칩니다 (docs/rules-guide.md 8장).
]]

local function field_lines(p, name, order)
  local out = {
    "  id = " .. q(p.id) .. ",",
    "  name = " .. q(name) .. ",",
    "  agency = " .. q(p.agency) .. ",",
  }
  if p.kind then out[#out + 1] = "  kind = " .. q(p.kind) .. "," end
  out[#out + 1] = "  benefit = " .. q(p.benefit) .. ","
  if p.scale then out[#out + 1] = "  scale = " .. q(p.scale) .. "," end
  if p.source then out[#out + 1] = "  source = " .. q(p.source) .. "," end
  if p.period then
    out[#out + 1] = string.format("  period = {from = %s, to = %s},", q(p.period.from), q(p.period.to))
  end
  out[#out + 1] = "  order = " .. order .. ","
  return table.concat(out, "\n")
end

local files = {}     -- name -> text, written in order
local names = {}

local function add(name, text)
  files[name] = text
  names[#names + 1] = name
end

local KNOWN_REQUIRES = {innovation_growth = true, region_in = true, sme = true, note = true}

for idx, p in ipairs(programmes.programmes) do
  if type(p.id) ~= "string" or not p.id:match("^[a-z][a-z0-9_%-]*$") then die("bad programme id") end
  local req = p.requires or {}
  for k in pairs(req) do
    if not KNOWN_REQUIRES[k] then die(p.id .. ": requires." .. k .. " is not known to this generator") end
  end
  local order = idx * 10
  local name = p.name or string.format("%s %s 우대", p.agency, p.kind or "")
  local src, tests = {}, {}
  local date_in = p.period and p.period.from or "2025-06-01"
  if req.innovation_growth and not req.region_in then
    src[#src + 1] = string.format(HEADER, name, string.format(" (id %s)", p.id))
    src[#src + 1] = "programme {\n" .. field_lines(p, name, order) .. [[

  -- 혁신성장 공동기준 품목에 해당한다고 판별된 기업만 받습니다.
  eligible = function(ctx)
    if not ctx:is_applicable() then return end
    local it = ctx.verdict.items[1]
    if it then
      ctx:eligible(string.format("혁신성장 품목 '%s'(%s)에 해당하는 기업으로 판별되어 %s 대상입니다.",
        it.name, it.theme_name, ctx.programme.agency .. "의 연계 우대지원"))
    else
      ctx:eligible(string.format("혁신성장 기업으로 판별되어 %s 대상입니다.",
        ctx.programme.agency .. "의 연계 우대지원"))
    end
  end,
}
]]
    tests[#tests + 1] = string.format([[
-- 자동 생성 파일 (scripts/gen-programmes.lua): %s의 시험.
test {
  name = "혁신성장 기업이면 보임",
  given = {
    verdict = {applicable = true, items = {{code = "X1", name = "품목 가", theme_name = "테마 가", field_name = "분야 가"}}},
    date = %s,
  },
  expect = {shown = {%s}, status = {[%s] = "eligible"}, why = {[%s] = "품목 가"}},
}

test {
  name = "대상 아님으로 판별되면 보이지 않음",
  given = {verdict = {applicable = false, reason = "wholesale_retail"}, date = %s},
  expect = {not_shown = {%s}},
}
]], p.id, q(date_in), q(p.id), q(p.id), q(p.id), q(date_in), q(p.id))
  elseif req.region_in then
    local groups, sizes = {}, {}
    for _, g in ipairs(req.region_in) do
      if not GROUP_NAMES[g] then die(p.id .. ": region group " .. g .. " has no Korean name here") end
      local tbl, n = region_table(g)
      groups[#groups + 1] = {key = g, var = g:upper(), tbl = tbl, n = n}
    end
    local to_check = {}
    if req.innovation_growth then to_check[#to_check + 1] = "혁신성장 기업 여부" end
    if req.sme then to_check[#to_check + 1] = "중소기업 여부" end
    if req.note then
      for part in (req.note .. ";"):gmatch("%s*([^;]+);") do to_check[#to_check + 1] = part end
    end
    local tc = {}
    for _, t in ipairs(to_check) do tc[#tc + 1] = "  " .. q(t) .. "," end
    src[#src + 1] = string.format(HEADER, name,
      string.format(" (id %s)와 regions-2025.json", p.id))
    src[#src + 1] = "-- 광역은 정식 이름으로 적습니다. 같은 이름의 시군구(고성군, 동구 ...)가 여러 광역에 있으니\n" ..
                    "-- ctx:region_in은 광역과 시군구를 함께 비교합니다.\n"
    for _, g in ipairs(groups) do
      src[#src + 1] = string.format("-- %s %d곳\nlocal %s = %s\n", GROUP_NAMES[g.key], g.n, g.var, g.tbl)
    end
    src[#src + 1] = "-- 지역 요건 말고 심사자가 더 확인할 것 (공고의 신청 요건)\nlocal TO_CHECK = {\n" ..
                    table.concat(tc, "\n") .. "\n}\n"
    local branches = {}
    for i, g in ipairs(groups) do
      branches[#branches + 1] = string.format("%s ctx:region_in(%s) then\n      area = %s",
        i == 1 and "if" or "elseif", g.var, q(GROUP_NAMES[g.key]))
    end
    src[#src + 1] = "\nprogramme {\n" .. field_lines(p, name, order) .. string.format([[

  -- 소재지가 대상 지역이면 보이고, 남은 신청 요건을 확인할 것으로 적습니다.
  eligible = function(ctx)%s
    if not ctx:has_address() then
      ctx:needs_info("소재지를 입력하면 지역 지원사업 해당 여부를 확인합니다.", {"소재지(광역·시군구)"})
      return
    end
    local area
    %s
    end
    if not area then return end
    ctx:eligible(string.format("소재지 %%s %%s은(는) 이 사업의 %%s입니다.", ctx.address.sido,
      ctx.address.sigungu, area), TO_CHECK)
  end,
}
]], req.innovation_growth and "\n    if not ctx:is_applicable() then return end" or "",
      table.concat(branches, "\n    "))
    -- Tests: one district per group, a same-named district elsewhere, no address, period.
    local t = {string.format("-- 자동 생성 파일 (scripts/gen-programmes.lua): %s의 시험.\n", p.id)}
    for _, g in ipairs(groups) do
      local sido, sgg = sample(g.key)
      t[#t + 1] = string.format([[
test {
  name = %s,
  given = {verdict = {applicable = true}, address = {sido = %s, sigungu = %s}, date = %s},
  expect = {shown = {%s}, status = {[%s] = "eligible"}, why = {[%s] = %s},
            to_check = {[%s] = {%s}}},
}
]], q(GROUP_NAMES[g.key] .. " " .. sgg .. "이면 보임"), q(sido), q(sgg), q(date_in), q(p.id), q(p.id), q(p.id),
        q(GROUP_NAMES[g.key]), q(p.id), table.concat((function()
          local o = {}
          for _, x in ipairs(to_check) do o[#o + 1] = q(x) end
          return o
        end)(), ", "))
    end
    t[#t + 1] = string.format([[
test {
  name = "소재지가 없으면 입력을 청함",
  given = {verdict = {applicable = true}, date = %s},
  expect = {shown = {%s}, status = {[%s] = "check"}, why = {[%s] = "소재지를 입력하면"}},
}

test {
  name = "대상 지역이 아니면 보이지 않음 (서울특별시 강남구)",
  given = {verdict = {applicable = true}, address = {sido = "서울특별시", sigungu = "강남구"}, date = %s},
  expect = {not_shown = {%s}},
}
]], q(date_in), q(p.id), q(p.id), q(p.id), q(date_in), q(p.id))
    if not req.innovation_growth then
      local sido, sgg = sample(groups[1].key)
      t[#t + 1] = string.format([[
test {
  name = "혁신성장 대상 아님으로 판별되어도 지역 사업은 보임",
  given = {verdict = {applicable = false, reason = "wholesale_retail"}, address = {sido = %s, sigungu = %s}, date = %s},
  expect = {shown = {%s}, status = {[%s] = "eligible"}},
}
]], q(sido), q(sgg), q(date_in), q(p.id), q(p.id))
    end
    -- A same-named district in a province outside the group, if any.
    local seen = {}
    for _, g in ipairs(groups) do
      for short, list in pairs(regions[g.key]) do
        for _, d in ipairs(list) do seen[FULL[short] .. " " .. d] = true end
      end
    end
    local twin
    for _, g in ipairs(groups) do
      for _, pr in ipairs(PROVINCES) do
        for _, d in ipairs(regions[g.key][pr[1]] or {}) do
          for _, other in ipairs(PROVINCES) do
            if not twin and not seen[other[2] .. " " .. d] and (d:match("구$") and other[1] ~= "세종") and
                other[2]:match("광역시$") then
              twin = {other[2], d}
            end
          end
        end
      end
    end
    if twin then
      t[#t + 1] = string.format([[
test {
  name = %s,
  given = {verdict = {applicable = true}, address = {sido = %s, sigungu = %s}, date = %s},
  expect = {not_shown = {%s}},
}
]], q("같은 이름이라도 다른 광역이면 보이지 않음 (" .. twin[1] .. " " .. twin[2] .. ")"), q(twin[1]), q(twin[2]),
        q(date_in), q(p.id))
    end
    if p.period then
      local sido, sgg = sample(groups[1].key)
      local y, m, d = p.period.to:match("^(%d+)%-(%d+)%-(%d+)$")
      local after = string.format("%04d-%s-%s", tonumber(y) + 1, m, d)
      t[#t + 1] = string.format([[
test {
  name = "사업 기간이 끝나면 끝난 사업으로 보임",
  given = {verdict = {applicable = true}, address = {sido = %s, sigungu = %s}, date = %s},
  expect = {shown = {%s}, status = {[%s] = "ended"}, why = {[%s] = "끝난 사업"}},
}

test {
  name = "사업 기간 전에는 보이지 않음",
  given = {verdict = {applicable = true}, address = {sido = %s, sigungu = %s}, date = "2000-01-01"},
  expect = {not_shown = {%s}},
}
]], q(sido), q(sgg), q(after), q(p.id), q(p.id), q(p.id), q(sido), q(sgg), q(p.id))
    end
    tests = t
  else
    die(p.id .. ": requires neither innovation_growth nor region_in")
  end
  add(p.id .. ".lua", table.concat(src))
  add(p.id .. "_test.lua", table.concat(tests))
end

---------------------------------------------------------------------------
if check_dir then
  local bad = 0
  for _, n in ipairs(names) do
    local f = io.open(check_dir .. "/" .. n, "rb")
    local have = f and f:read("a")
    if f then f:close() end
    if have ~= files[n] then
      io.stderr:write("gen-programmes: ", check_dir, "/", n, have and " differs from" or " is missing;",
        " what programmes.json and regions-2025.json give (run scripts/gen-programmes.lua)\n")
      bad = bad + 1
    end
  end
  if bad > 0 then os.exit(1) end
  print(string.format("gen-programmes: %d files match the data", #names))
else
  for _, n in ipairs(names) do
    local path = out_dir .. "/" .. n
    local f, err = io.open(path .. ".tmp", "wb")
    if not f then die(err) end
    f:write(files[n])
    f:close()
    local ok, rerr = os.rename(path .. ".tmp", path)
    if not ok then die(rerr) end
  end
  print(string.format("gen-programmes: wrote %d files to %s", #names, out_dir))
end
