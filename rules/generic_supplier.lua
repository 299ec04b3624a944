-- 적용원칙 1: 품목과 관련성이 낮은 범용 제품을 만들어 혁신성장 기업에 공급만 하는 기업은
-- 대상이 아닙니다 (예: 볼트·나사, 일반 케이블, 포장재를 전기차·반도체 기업에 납품).
--
-- 판단 방법
--   1. 후보 품목 하나하나: 그 품목을 이끌어 낸 단어(keywords)가 모두 범용 제품(GENERIC_PRODUCTS)이고,
--      품목명·예시에도 그 단어가 없고, 주요제품에 혁신 분야 표현(INNOVATION_HINTS)이 없으면
--      그 후보를 뺍니다. 점수가 STRONG_SCORE 이상이면 빼지 않고 '검토 필요'로만 표시합니다.
--   2. 기업 전체: 주요제품의 모든 항목이 범용 제품이고 혁신 분야 표현이 없으면 대상에서 제외합니다.
--      ("제조", "도매"처럼 활동만 적힌 항목은 세지 않습니다.)
--
-- 아래 목록과 기준값은 자유롭게 고칠 수 있습니다. 단어는 낱말 단위로 찾습니다:
-- 조사가 붙어도("제조를") 찾고, 영문 대소문자는 무시하며, 영문은 낱말째로만("ESS"는 "process" 안에서 찾지 않음),
-- 복합어 안의 말("제조사"의 "제조")은 세지 않습니다 (rules/compounds.lua, 안내서 2.4).

-- 어느 산업에나 쓰이는 범용 부품·소재
local GENERIC_PRODUCTS = {
  "볼트", "나사", "너트", "와셔", "리벳", "스프링",
  "시트커버", "원단",
  "케이블", "전선", "커넥터", "하네스",
  "콘덴서", "축전기", "모터", "motor",
  "충전기", "핸즈프리", "스피커", "리시버",
  "포장재", "골판지", "상자", "합성수지", "성형제품",
  "필름", "케이스", "와이퍼", "wiper",
  "시약", "전원공급장치", "열교환기", "압력용기", "냉동고",
  "부품",
}

-- 있으면 혁신 분야와 직접 이어진 제품으로 보는 말 (범용품으로 보지 않음)
-- 영문 약어는 낱말 단위로 찾으므로("ESS"는 "process" 안에서 찾지 않음) 붙여 쓰는 변형도 적습니다.
local INNOVATION_HINTS = {
  "반도체", "디스플레이", "OLED", "AMOLED", "PMOLED", "pOLED", "OLEDoS", "LCD", "LCDBLU", "BLU",
  "이차전지", "2차전지", "배터리", "전기차", "EV용", "xEV", "HEV", "PHEV", "BESS",
  "수소", "연료전지", "태양광", "태양전지", "풍력", "신재생", "ESS", "자율주행", "로봇", "드론",
  "5G", "위성", "항공", "우주", "무선충전", "웨어러블", "전동화", "하이브리드", "진단", "바이오",
  "스마트",
}

-- 활동만 적힌 항목("제조", "도매")을 알아보는 말
local ACTIVITY_WORDS = {
  "제조", "생산", "도소매", "도매", "소매", "판매", "수출입", "수출", "수입", "무역", "임가공", "가공",
  "유지보수", "임대",
}

-- 이 점수 이상인 후보는 빼지 않고 검토 필요로만 표시
local STRONG_SCORE = 0.85

-- (활동어는 규칙을 읽을 때 한 번만 정규화해 둡니다)
local ACTIVITY_NORMALIZED = {}
for i, w in ipairs(ACTIVITY_WORDS) do ACTIVITY_NORMALIZED[i] = text.normalize(w) end

local function activity_only(seg)
  local s = text.normalize(seg)
  for _, w in ipairs(ACTIVITY_NORMALIZED) do
    s = s:gsub(w, "")
  end
  return s == ""
end

-- 후보를 이끈 단어가 모두 범용 제품이고 품목 설명에는 나오지 않는지
-- (품목 설명은 범용 제품 단어가 나온 뒤에야 이어 붙입니다: 대부분의 후보는 첫 단어에서 끝납니다)
local function only_generic_keywords(c)
  if #c.keywords == 0 then return false end
  local item_text
  for _, kw in ipairs(c.keywords) do
    local generic = text.has_any(kw, GENERIC_PRODUCTS)
    if not generic or text.has_any(kw, INNOVATION_HINTS) then return false end
    item_text = item_text or (c.item.name .. " " .. c.item.examples .. " " .. c.item.definition)
    if text.has_any(item_text, {kw, generic}) then return false end
  end
  return true
end

rule {
  id = "generic_supplier",
  description = "품목과 관련성 낮은 범용 제품의 공급 기업은 제외 (적용원칙 1)",
  priority = 30,
  apply = function(ctx)
    local hint = ctx:has_any(INNOVATION_HINTS)
    if hint then return end

    for _, c in ipairs(ctx.candidates) do
      if not c.dropped and only_generic_keywords(c) then
        local words = table.concat(c.keywords, ", ")
        if c.score >= STRONG_SCORE then
          ctx:needs_review(string.format("%s 후보가 범용 제품 단어(%s)로만 연결됨", c.code, words))
        else
          ctx:drop(c.code, "범용 제품 단어로만 연결된 품목 (적용원칙 1)")
          ctx:add_basis(c.code, string.format(
            "'%s'은(는) 여러 산업에 쓰이는 범용 제품으로 이 품목과의 관련성이 낮아 제외했습니다 (적용원칙 1).", words))
        end
      end
    end

    local items = {}
    for _, seg in ipairs(ctx:segments()) do
      if not activity_only(seg) then items[#items + 1] = seg end
    end
    if #items == 0 then return end
    for _, seg in ipairs(items) do
      if not text.has_any(seg, GENERIC_PRODUCTS) then return end
    end
    ctx:not_applicable("generic_supplier", string.format(
      "주요제품(%s)이 여러 산업에 쓰이는 범용 부품·소재이고 혁신성장 분야와 직접 이어지는 표현이 없어, " ..
      "범용 제품을 공급하는 기업으로 보고 제외합니다 (적용원칙 1).", table.concat(items, ", ")))
  end,
}
