-- 적용원칙 3: 혁신성장 품목에서 상품매출(사 온 것을 되파는 매출)만 올리는 기업은 대상이 아닙니다.
-- 직접 만들거나 개발한 제품의 매출(제품매출)이 있어야 합니다.
--
-- 판단 방법
--   1. 주요제품·용도 등에 상품매출 표현(MERCHANDISE_WORDS)이 없으면 이 규칙은 아무것도 하지 않습니다.
--   2. 자체 제품 표현(OWN_PRODUCT_WORDS)이 없으면 제외합니다.
--   3. 둘 다 있으면 "상품매출 90%"처럼 비율이 적혀 있을 때 그 값이 MERCHANDISE_SHARE_MIN 이상이면
--      제외하고, 아니면 제외하지 않고 '검토 필요'로 표시합니다.
--
-- 아래 목록과 기준값은 자유롭게 고칠 수 있습니다. 단어는 낱말 단위로 찾습니다:
-- 조사가 붙어도("제조를") 찾고, 영문 대소문자는 무시하며, 영문은 낱말째로만("ESS"는 "process" 안에서 찾지 않음),
-- 복합어 안의 말("제조사"의 "제조")은 세지 않습니다 (rules/compounds.lua, 안내서 2.4).

-- 상품매출을 뜻하는 말
local MERCHANDISE_WORDS = {
  "상품매출", "상품 매출", "상품판매", "상품 판매", "상품 유통", "매입 판매", "매입판매",
  "위탁판매", "구매대행", "수입상품", "완제품 수입",
}

-- 직접 만든 제품이 있다는 말
local OWN_PRODUCT_WORDS = {"제품매출", "제품 매출", "제조", "생산", "제작", "가공", "조립", "개발"}

-- 비율을 읽을 때 찾는 말 (이 말 뒤의 첫 "NN%")
local SHARE_LABELS = {"상품매출", "상품 매출", "상품비중", "상품 비중"}

-- 상품매출 비율이 이 값(%) 이상이면 자체 제품 표현이 있어도 제외
local MERCHANDISE_SHARE_MIN = 80

-- "상품매출 비중 92.5%" 같은 문구에서 비율을 읽습니다. 없으면 nil.
local function merchandise_share(ctx)
  local s = text.normalize(ctx:text())
  for _, label in ipairs(SHARE_LABELS) do
    local at = s:find(text.normalize(label), 1, true)
    if at then
      local rest = s:sub(at, at + 40)
      local num = rest:match("^%D-(%d+%.?%d*)%%")
      if num then return tonumber(num) end
    end
  end
  return nil
end

rule {
  id = "merchandise_only",
  description = "상품매출(사서 되파는 매출)만 있는 기업은 제외 (적용원칙 3)",
  priority = 20,
  apply = function(ctx)
    local m = ctx:has_any(MERCHANDISE_WORDS)
    if not m then return end
    local own = ctx:has_any(OWN_PRODUCT_WORDS)
    local share = merchandise_share(ctx)
    if not own then
      ctx:not_applicable("merchandise_only", string.format(
        "'%s' 표현이 있고 직접 제조·개발한 제품의 매출이 확인되지 않아, 상품매출만 있는 기업으로 보고 " ..
        "제외합니다 (적용원칙 3).", m))
      return
    end
    if share and share >= MERCHANDISE_SHARE_MIN then
      ctx:not_applicable("merchandise_only", string.format(
        "상품매출 비중이 %g%%로 기준(%g%%) 이상이어서 혁신성장 품목의 제품매출이 미미한 기업으로 보고 " ..
        "제외합니다 (적용원칙 3).", share, MERCHANDISE_SHARE_MIN))
      return
    end
    ctx:needs_review(string.format("'%s'와 '%s' 표현이 함께 있어 제품매출 비중 확인 필요", m, own))
  end,
}
