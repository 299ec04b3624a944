-- 한국벤처투자 투자 우대
-- 자동 생성 파일: scripts/gen-programmes.lua가 programmes.json (id kvic-fund)에서 만들었습니다.
-- 원문(공고)이 바뀌면 자료를 고치고 다시 생성하십시오. 새 지원사업은 이 파일을 다른 이름으로
-- 복사해 고칩니다 (docs/rules-guide.md 8장).
programme {
  id = "kvic-fund",
  name = "한국벤처투자 투자 우대",
  agency = "한국벤처투자",
  kind = "투자",
  benefit = "혁신모험펀드(모펀드)",
  scale = "3.5조원",
  source = "혁신성장 공동기준 연계사업 안내(기관별 우대내용)",
  order = 30,
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
