-- 적용원칙 2: 혁신성장 품목을 도매·소매(유통)만 하는 기업은 대상이 아닙니다.
--
-- 판단 순서
--   1. 업종이 도매·소매업(표준산업분류 대분류 G)이면
--      - 주요제품에 직접 만든다는 표현(MAKE_WORDS)이 있으면 제외하지 않고 '검토 필요'로 표시
--      - 유통 표현(TRADE_WORDS)이 있으면 제외
--      - 자체 기술 제품일 수 있는 표현(OWN_TECH_WORDS)이 있으면 제외하지 않고 '검토 필요'로 표시
--      - 그 밖에는 제외 (도소매 업종에 상품명만 적힌 경우)
--   2. 업종이 도소매가 아니어도, 주요제품의 모든 항목이 유통 표현뿐이고 만든다는 표현이 없으면 제외
--      (예: "화장품 유통", "수산물 도매")
--   3. 제조와 판매를 함께 하는 기업("제조 및 판매", "제조, 도매")은 제외하지 않습니다.
--
-- 아래 목록은 자유롭게 고칠 수 있습니다. 단어는 낱말 단위로 찾습니다:
-- 조사가 붙어도("제조를") 찾고, 영문 대소문자는 무시하며, 영문은 낱말째로만("ESS"는 "process" 안에서 찾지 않음),
-- 복합어 안의 말("제조사"의 "제조")은 세지 않습니다 (rules/compounds.lua, 안내서 2.4).

-- 도매·소매 업종인 표준산업분류 대분류
local TRADE_SECTIONS = {"G"}

-- 대분류 정보가 없을 때 업종명으로 도소매 업종을 알아보는 말
local TRADE_INDUSTRY_NAMES = {"도매업", "소매업", "상품 중개업", "부품 및 내장품 판매업"}

-- 주요제품에 있으면 유통(사고팔기)으로 보는 말
local TRADE_WORDS = {
  "도매", "소매", "도소매", "유통", "수입판매", "수입 판매", "판매대행", "판매 대행",
  "총판", "수입대행", "수출입대행", "수출입", "무역", "대리점", "구매대행", "중개", "판매",
}

-- 직접 만들거나 만든다는 말: 있으면 '제조 겸 판매'로 보고 제외하지 않습니다
local MAKE_WORDS = {"제조", "생산", "제작", "가공", "조립", "양산"}

-- 도소매 업종이라도 자체 기술 제품일 수 있는 말: 제외하지 않고 검토 필요로 표시
local OWN_TECH_WORDS = {
  "개발", "솔루션", "소프트웨어", "S/W", "미들웨어", "플랫폼", "치료제", "신약",
}

-- 도소매 업종이 아닐 때, 주요제품 항목 하나가 이 말만으로 끝나면 '유통 활동'으로 봅니다
local TRADE_ONLY_WORDS = {
  "도매", "소매", "도소매", "유통", "수입판매", "판매대행", "총판", "수입대행", "수출입대행", "구매대행",
}

-- 메모와 사유에 밝히는 항목 이름 (ctx:has_any가 찾는 순서)
local FIELD_LABELS = {
  {"main_product", "주요제품"}, {"product_use", "제품용도"},
  {"tech_business_name", "기술사업명"}, {"tech_class", "기술분류"},
}

-- words 가운데 처음 찾은 단어와 그 단어가 있는 항목의 이름. 없으면 nil.
-- 메모가 단어를 찾은 항목을 바로 말하도록 합니다 ("제품용도에 '생산' 표현").
local function find_in_field(ctx, words)
  for _, f in ipairs(FIELD_LABELS) do
    local w = ctx:has_any(words, {f[1]})
    if w then return w, f[2] end
  end
  return nil
end

local function trade_industry(ctx)
  if ctx:ksic_section_is(TRADE_SECTIONS) then return true end
  return ctx.ksic.section == "" and ctx:ksic_name_has(TRADE_INDUSTRY_NAMES) ~= nil
end

-- 주요제품의 모든 항목이 유통 표현을 담고 있는지
local function all_segments_trade(ctx)
  local segs = ctx:segments()
  if #segs == 0 then return false end
  for _, seg in ipairs(segs) do
    if not text.has_any(seg, TRADE_ONLY_WORDS) then return false end
  end
  return true
end

local function keep_note(ctx, sentence)
  for _, c in ipairs(ctx.candidates) do
    if not c.dropped then ctx:add_basis(c.code, sentence) end
  end
end

rule {
  id = "wholesale_retail",
  description = "도매·소매(유통)만 영위하는 기업은 제외 (적용원칙 2)",
  priority = 10,
  apply = function(ctx)
    local make, make_field = find_in_field(ctx, MAKE_WORDS)
    local trade, trade_field = find_in_field(ctx, TRADE_WORDS)
    if trade_industry(ctx) then
      local industry = ctx.tech.ksic_name ~= "" and ctx.tech.ksic_name or ctx.ksic.section_name
      if make then
        ctx:needs_review(string.format("도소매 업종(%s)이지만 %s에 '%s' 표현이 있어 직접 제조 여부 확인 필요",
          industry, make_field, make))
        keep_note(ctx, string.format("업종은 도소매(%s)이나 '%s' 표현이 있어 유통 전문 기업으로 보지 않았습니다.",
          industry, make))
        return
      end
      if trade then
        ctx:not_applicable("wholesale_retail", string.format(
          "도소매 업종(%s)이며 %s에 '%s' 표현이 있고 제조·개발 활동이 확인되지 않아, " ..
          "혁신성장 품목을 유통만 하는 기업으로 보고 제외합니다 (적용원칙 2).", industry, trade_field, trade))
        return
      end
      local own, own_field = find_in_field(ctx, OWN_TECH_WORDS)
      if own then
        ctx:needs_review(string.format("도소매 업종(%s)이지만 %s에 '%s' 표현이 있어 자체 기술 보유 여부 확인 필요",
          industry, own_field, own))
        return
      end
      ctx:not_applicable("wholesale_retail", string.format(
        "도소매 업종(%s)이며 주요제품·제품용도·기술사업명에 제조·개발 활동이 나타나지 않아, " ..
        "혁신성장 품목을 유통만 하는 기업으로 보고 제외합니다 (적용원칙 2).", industry))
      return
    end
    if trade and not make and all_segments_trade(ctx) then
      ctx:not_applicable("wholesale_retail", string.format(
        "주요제품이 유통 활동('%s')뿐이고 제조·개발 활동이 확인되지 않아 제외합니다 (적용원칙 2).", trade))
      return
    end
    if trade and make then
      -- 메모는 단어를 찾은 항목을 밝힙니다 ("제품용도에 '판매' 표현이 있으나 주요제품에 '제조' 활동도")
      keep_note(ctx, string.format("%s에 '%s' 표현이 있으나 %s에 '%s' 활동도 있어 제조 겸 판매 기업으로 보았습니다.",
        trade_field, trade, make_field, make))
    end
  end,
}
