-- 자동 생성 파일 (scripts/gen-programmes.lua): regional-2025의 시험.
test {
  name = "인구감소지역 동구이면 보임",
  given = {verdict = {applicable = true}, address = {sido = "부산광역시", sigungu = "동구"}, date = "2025-02-01"},
  expect = {shown = {"regional-2025"}, status = {["regional-2025"] = "eligible"}, why = {["regional-2025"] = "인구감소지역"},
            to_check = {["regional-2025"] = {"중소기업 여부", "지자체가 설정한 육성 타겟군(지역 연고산업)을 영위하는 중소기업", "실제 선발은 K-TOP 활용"}}},
}
test {
  name = "관심지역 중구이면 보임",
  given = {verdict = {applicable = true}, address = {sido = "부산광역시", sigungu = "중구"}, date = "2025-02-01"},
  expect = {shown = {"regional-2025"}, status = {["regional-2025"] = "eligible"}, why = {["regional-2025"] = "관심지역"},
            to_check = {["regional-2025"] = {"중소기업 여부", "지자체가 설정한 육성 타겟군(지역 연고산업)을 영위하는 중소기업", "실제 선발은 K-TOP 활용"}}},
}
test {
  name = "소재지가 없으면 입력을 청함",
  given = {verdict = {applicable = true}, date = "2025-02-01"},
  expect = {shown = {"regional-2025"}, status = {["regional-2025"] = "check"}, why = {["regional-2025"] = "소재지를 입력하면"}},
}

test {
  name = "대상 지역이 아니면 보이지 않음 (서울특별시 강남구)",
  given = {verdict = {applicable = true}, address = {sido = "서울특별시", sigungu = "강남구"}, date = "2025-02-01"},
  expect = {not_shown = {"regional-2025"}},
}
test {
  name = "혁신성장 대상 아님으로 판별되어도 지역 사업은 보임",
  given = {verdict = {applicable = false, reason = "wholesale_retail"}, address = {sido = "부산광역시", sigungu = "동구"}, date = "2025-02-01"},
  expect = {shown = {"regional-2025"}, status = {["regional-2025"] = "eligible"}},
}
test {
  name = "같은 이름이라도 다른 광역이면 보이지 않음 (대구광역시 동구)",
  given = {verdict = {applicable = true}, address = {sido = "대구광역시", sigungu = "동구"}, date = "2025-02-01"},
  expect = {not_shown = {"regional-2025"}},
}
test {
  name = "사업 기간이 끝나면 끝난 사업으로 보임",
  given = {verdict = {applicable = true}, address = {sido = "부산광역시", sigungu = "동구"}, date = "2027-12-31"},
  expect = {shown = {"regional-2025"}, status = {["regional-2025"] = "ended"}, why = {["regional-2025"] = "끝난 사업"}},
}

test {
  name = "사업 기간 전에는 보이지 않음",
  given = {verdict = {applicable = true}, address = {sido = "부산광역시", sigungu = "동구"}, date = "2000-01-01"},
  expect = {not_shown = {"regional-2025"}},
}
