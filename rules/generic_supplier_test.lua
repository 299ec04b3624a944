-- 적용원칙 1(범용 제품 공급) 규칙의 시험 사례. 품목 코드는 자리표시(X1, X2)만 씁니다.

test {
  name = "볼트·나사만 만들면 제외",
  given = {
    tech = {ksic_code = "259", ksic_name = "기타 금속 가공제품 제조업", main_product = "볼트, 나사"},
    ksic = {section = "C"},
    candidates = {{code = "X1", score = 0.6}},
  },
  expect = {applicable = false, reason = "generic_supplier", rule = "generic_supplier"},
}

test {
  name = "활동만 적힌 항목은 세지 않음",
  given = {
    tech = {ksic_code = "262", ksic_name = "전자부품 제조업", main_product = "콘덴서(축전기) 제조"},
    ksic = {section = "C"},
    candidates = {{code = "X1", score = 0.6}},
  },
  expect = {applicable = false, reason = "generic_supplier"},
}

test {
  name = "혁신 분야 표현이 있으면 범용품으로 보지 않음",
  given = {
    tech = {ksic_code = "303", ksic_name = "자동차 신품 부품 제조업", main_product = "배터리(이차전지) 부품 (엔드플레이트)"},
    ksic = {section = "C"},
    candidates = {{code = "X1", score = 0.6, keywords = {"부품"}}},
  },
  expect = {applicable = true, kept = {"X1"}},
}

test {
  name = "범용 제품이 아닌 항목이 하나라도 있으면 적용",
  given = {
    tech = {ksic_code = "262", ksic_name = "전자부품 제조업", main_product = "강화유리, 커넥터"},
    ksic = {section = "C"},
    candidates = {
      {code = "X1", score = 0.7, keywords = {"강화유리"}},
      {code = "X2", score = 0.5, keywords = {"커넥터"}},
    },
  },
  expect = {applicable = true, kept = {"X1"}, dropped = {"X2"}, basis = {X2 = "범용 제품"}},
}

test {
  name = "품목 설명에 그 단어가 있으면 후보를 빼지 않음",
  given = {
    tech = {ksic_code = "262", ksic_name = "전자부품 제조업", main_product = "강화유리, 커넥터"},
    ksic = {section = "C"},
    candidates = {
      {code = "X1", score = 0.5, keywords = {"커넥터"},
       item = {name = "고속 신호 커넥터", examples = "고속 커넥터"}},
    },
  },
  expect = {applicable = true, kept = {"X1"}},
}

test {
  name = "점수가 높은 후보는 빼지 않고 검토 필요",
  given = {
    tech = {ksic_code = "262", ksic_name = "전자부품 제조업", main_product = "강화유리, 커넥터"},
    ksic = {section = "C"},
    candidates = {{code = "X1", score = 0.95, keywords = {"커넥터"}}},
  },
  expect = {applicable = true, kept = {"X1"}, needs_review = true},
}

test {
  name = "반도체 장비 제조는 적용",
  given = {
    tech = {ksic_code = "292", ksic_name = "특수 목적용 기계 제조업", main_product = "반도체 후공정 장비"},
    ksic = {section = "C"},
    candidates = {{code = "X1", score = 0.8, keywords = {"반도체", "후공정"}}},
  },
  expect = {applicable = true, kept = {"X1"}, scores = {X1 = 0.8}},
}

test {
  name = "붙여 쓴 '및'은 한 제품으로 봄",
  given = {
    tech = {ksic_code = "262", ksic_name = "전자부품 제조업", main_product = "위치제어용초정및소형모터"},
    ksic = {section = "C"},
    candidates = {{code = "X1", score = 0.6}},
  },
  expect = {applicable = false, reason = "generic_supplier"},
}

test {
  name = "띄어 쓴 '및'은 제품을 나눔",
  given = {
    tech = {ksic_code = "262", ksic_name = "전자부품 제조업", main_product = "커넥터 및 광통신 모듈"},
    ksic = {section = "C"},
    candidates = {{code = "X1", score = 0.6}},
  },
  expect = {applicable = true},
}

test {
  name = "영문 약어는 낱말 단위로만 찾음 (process 안의 ESS는 혁신 분야 표현이 아님)",
  given = {
    tech = {ksic_code = "259", ksic_name = "기타 금속 가공제품 제조업", main_product = "Process 배관용 볼트, 너트"},
    ksic = {section = "C"},
    candidates = {{code = "X1", score = 0.6}},
  },
  expect = {applicable = false, reason = "generic_supplier"},
}

test {
  name = "영문 약어 ESS가 낱말로 있으면 혁신 분야 표현",
  given = {
    tech = {ksic_code = "262", ksic_name = "전자부품 제조업", main_product = "ESS용 케이블, 커넥터"},
    ksic = {section = "C"},
    candidates = {{code = "X1", score = 0.6}},
  },
  expect = {applicable = true, kept = {"X1"}},
}
