-- 적용원칙 3(상품매출만) 규칙의 시험 사례. 품목 코드는 자리표시(X1)만 씁니다.

test {
  name = "상품매출만 있으면 제외",
  given = {
    tech = {ksic_code = "582", ksic_name = "소프트웨어 개발 및 공급업", main_product = "보안 장비 상품매출"},
    ksic = {section = "J"},
    candidates = {{code = "X1", score = 0.7}},
  },
  expect = {applicable = false, reason = "merchandise_only", rule = "merchandise_only"},
}

test {
  name = "제품매출도 있으면 검토 필요로만 표시",
  given = {
    tech = {ksic_code = "264", ksic_name = "통신 및 방송 장비 제조업",
            main_product = "중계기 제조, 상품매출(계측기)"},
    ksic = {section = "C"},
    candidates = {{code = "X1", score = 0.7}},
  },
  expect = {applicable = true, needs_review = true, kept = {"X1"}},
}

test {
  name = "상품매출 비중이 기준 이상이면 제외",
  given = {
    tech = {ksic_code = "264", ksic_name = "통신 및 방송 장비 제조업",
            main_product = "중계기 제조", product_use = "상품매출 비중 92.5%"},
    ksic = {section = "C"},
    candidates = {{code = "X1", score = 0.7}},
  },
  expect = {applicable = false, reason = "merchandise_only", message = "92.5%"},
}

test {
  name = "상품매출 비중이 낮으면 적용",
  given = {
    tech = {ksic_code = "264", ksic_name = "통신 및 방송 장비 제조업",
            main_product = "중계기 제조", product_use = "상품매출 비중 10%"},
    ksic = {section = "C"},
    candidates = {{code = "X1", score = 0.7}},
  },
  expect = {applicable = true, needs_review = true},
}

test {
  name = "상품매출 표현이 없으면 관여하지 않음",
  given = {
    tech = {ksic_code = "261", ksic_name = "반도체 제조업", main_product = "SSD 컨트롤러"},
    ksic = {section = "C"},
    candidates = {{code = "X1", score = 0.9}},
  },
  expect = {applicable = true, needs_review = false, kept = {"X1"}},
}

test {
  name = "해외 제조사 완제품을 사서 팔면 제외 (제조사는 자체 제조가 아님)",
  given = {
    tech = {ksic_code = "271", ksic_name = "의료용 기기 제조업", main_product = "해외 제조사 완제품 수입, 상품 판매"},
    ksic = {section = "C"},
    candidates = {{code = "X1", score = 0.7}},
  },
  expect = {applicable = false, reason = "merchandise_only"},
}
