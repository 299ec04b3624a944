-- 자동 생성 파일 (scripts/gen-programmes.lua): kosmes-policy-loan의 시험.
test {
  name = "혁신성장 기업이면 보임",
  given = {
    verdict = {applicable = true, items = {{code = "X1", name = "품목 가", theme_name = "테마 가", field_name = "분야 가"}}},
    date = "2025-06-01",
  },
  expect = {shown = {"kosmes-policy-loan"}, status = {["kosmes-policy-loan"] = "eligible"}, why = {["kosmes-policy-loan"] = "품목 가"}},
}

test {
  name = "대상 아님으로 판별되면 보이지 않음",
  given = {verdict = {applicable = false, reason = "wholesale_retail"}, date = "2025-06-01"},
  expect = {not_shown = {"kosmes-policy-loan"}},
}
