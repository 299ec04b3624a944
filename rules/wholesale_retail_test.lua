-- 적용원칙 2(도매·소매) 규칙의 시험 사례. 품목 코드는 자리표시(X1, X2)만 씁니다.

test {
  name = "도매업 업종, 상품명만 있으면 제외",
  given = {
    tech = {ksic_code = "467", ksic_name = "기타 전문 도매업", main_product = "열연박판, 후판, 무늬강판 외"},
    ksic = {section = "G", section_name = "도매 및 소매업(45~47)"},
    candidates = {{code = "X1", score = 0.8}},
  },
  expect = {applicable = false, reason = "wholesale_retail", rule = "wholesale_retail", message = "적용원칙 2"},
}

test {
  name = "도소매 업종에 유통 표현",
  given = {
    tech = {ksic_code = "464", ksic_name = "생활용품 도매업", main_product = "화장품 유통"},
    ksic = {section = "G"},
    candidates = {{code = "X1", score = 0.7}},
  },
  expect = {applicable = false, reason = "wholesale_retail"},
}

test {
  name = "수출입대행이 있으면 개발 표현이 있어도 제외",
  given = {
    tech = {ksic_code = "468", ksic_name = "상품 종합 도매업",
            main_product = "자동차,철강,기계 수출,수출입대행/자원(탄광,유전) 개발"},
    ksic = {section = "G"},
    candidates = {{code = "X1", score = 0.6}},
  },
  expect = {applicable = false, reason = "wholesale_retail"},
}

test {
  name = "업종 분류가 없어도 유통만 하면 제외",
  given = {
    tech = {ksic_name = "", main_product = "수산물 도매"},
    candidates = {{code = "X1", score = 0.5}},
  },
  expect = {applicable = false, reason = "wholesale_retail"},
}

test {
  name = "대분류가 비어 있으면 업종명으로 도소매를 알아봄",
  given = {
    tech = {ksic_code = "46510", ksic_name = "컴퓨터 및 주변장치, 소프트웨어 도매업", main_product = "메인보드, 그래픽카드"},
    candidates = {{code = "X1", score = 0.8}},
  },
  expect = {applicable = false, reason = "wholesale_retail"},
}

test {
  name = "제조 및 판매 기업은 적용",
  given = {
    tech = {ksic_code = "204", ksic_name = "기타 화학제품 제조업", main_product = "화장품 제조 및 판매"},
    ksic = {section = "C", section_name = "제조업"},
    candidates = {{code = "X1", score = 0.8}},
  },
  expect = {applicable = true, kept = {"X1"}, basis = {X1 = "제조 겸 판매"}},
}

test {
  name = "제조 겸 판매의 메모는 단어를 찾은 항목을 밝힘",
  given = {
    tech = {ksic_code = "111", ksic_name = "알코올음료 제조업", main_product = "탁주 및 약주 제조",
            product_use = "주류 판매"},
    ksic = {section = "C", section_name = "제조업"},
    candidates = {{code = "X1", score = 0.6}},
  },
  expect = {applicable = true, kept = {"X1"}, basis = {X1 = "제품용도에 '판매' 표현이 있으나 주요제품에 '제조' 활동도"}},
}

test {
  name = "제조·도매를 함께 적은 제조업체는 적용",
  given = {
    tech = {ksic_code = "212", ksic_name = "의약품 제조업", main_product = "의약품(항생제, 고지혈증치료제) 제조,도매"},
    ksic = {section = "C"},
    candidates = {{code = "X1", score = 0.9}, {code = "X2", score = 0.4}},
  },
  expect = {applicable = true, kept = {"X1", "X2"}},
}

test {
  name = "유통이 일부뿐이면 적용 (서비스와 함께)",
  given = {
    tech = {ksic_code = "603", ksic_name = "영상·오디오물 제공 서비스업", main_product = "디지털 음악 서비스 및 음원유통"},
    ksic = {section = "J"},
    candidates = {{code = "X1", score = 0.7}},
  },
  expect = {applicable = true},
}

test {
  name = "도소매 업종이지만 직접 제조하면 검토 필요로만 표시",
  given = {
    tech = {ksic_code = "467", ksic_name = "기타 전문 도매업", main_product = "캐릭터 사업, 만화영화 제작"},
    ksic = {section = "G"},
    candidates = {{code = "X1", score = 0.7}},
  },
  expect = {applicable = true, needs_review = true, kept = {"X1"}},
}

test {
  name = "도소매 업종이지만 솔루션이면 검토 필요",
  given = {
    tech = {ksic_code = "468", ksic_name = "상품 종합 도매업", main_product = "영상보안장비 및 영상보안솔루션"},
    ksic = {section = "G"},
    candidates = {{code = "X1", score = 0.7}},
  },
  expect = {applicable = true, needs_review = true},
}

test {
  name = "띄어쓰기가 달라도 같은 말로 봄",
  given = {
    tech = {ksic_code = "721", ksic_name = "", main_product = "판매 대행, 총 판"},
    ksic = {section = "M"},
    candidates = {{code = "X1", score = 0.5}},
  },
  expect = {applicable = false, reason = "wholesale_retail"},
}

-- 낱말 읽기: '제조사'(다른 회사), '제조용'(쓰임새)처럼 복합어의 일부인 '제조'는 제조 활동으로 세지 않습니다
-- (rules/compounds.lua). 조사·문장부호가 붙은 '제조를', '제조·판매'는 제조로 셉니다.

test {
  name = "제조사 제품을 수입해 파는 도매업체는 제외 (제조사는 제조 활동이 아님)",
  given = {
    tech = {ksic_code = "465", ksic_name = "기계장비 및 관련 물품 도매업",
            main_product = "국내외 반도체 제조사 제품 수입 판매"},
    ksic = {section = "G", section_name = "도매 및 소매업(45~47)"},
    candidates = {{code = "X1", score = 0.7}},
  },
  expect = {applicable = false, reason = "wholesale_retail", message = "'수입판매'"},
}

test {
  name = "업종이 도소매가 아니어도 제조사 제품 수입 판매뿐이면 제외",
  given = {
    tech = {ksic_code = "261", ksic_name = "반도체 제조업", main_product = "국내외 반도체 제조사 제품 수입 판매"},
    ksic = {section = "C"},
    candidates = {{code = "X1", score = 0.7}},
  },
  expect = {applicable = false, reason = "wholesale_retail"},
}

test {
  name = "제조용 장비를 도소매하면 제외 (제조용은 장비의 쓰임새)",
  given = {
    tech = {ksic_code = "465", ksic_name = "기계장비 및 관련 물품 도매업",
            main_product = "반도체 제조용 장비, 유휴기계설비 도소매"},
    ksic = {section = "G"},
    candidates = {{code = "X1", score = 0.6}},
  },
  expect = {applicable = false, reason = "wholesale_retail"},
}

test {
  name = "가공품을 도매하면 제외 (가공품은 가공 활동이 아님)",
  given = {
    tech = {ksic_code = "463", ksic_name = "음·식료품 및 담배 도매업", main_product = "유가공품, 소스류, 파스타류"},
    ksic = {section = "G"},
    candidates = {{code = "X1", score = 0.6}},
  },
  expect = {applicable = false, reason = "wholesale_retail"},
}

test {
  name = "띄어 쓴 두 낱말에 걸친 말은 찾지 않음 ('추가 공급'은 '가공'이 아님)",
  given = {
    tech = {ksic_code = "465", ksic_name = "기계장비 및 관련 물품 도매업", main_product = "반도체 부품 추가 공급 및 도매"},
    ksic = {section = "G"},
    candidates = {{code = "X1", score = 0.6}},
  },
  expect = {applicable = false, reason = "wholesale_retail"},
}

test {
  name = "유통기한은 유통 활동이 아님",
  given = {
    tech = {ksic_code = "701", ksic_name = "자연과학 및 공학 연구개발업", main_product = "신선식품 유통기한 연장 기술"},
    ksic = {section = "M"},
    candidates = {{code = "X1", score = 0.6}},
  },
  expect = {applicable = true, kept = {"X1"}},
}

test {
  name = "제조사가 아닌 말(가공)이 있으면 그 말로 판단",
  given = {
    tech = {ksic_code = "465", ksic_name = "기계장비 및 관련 물품 도매업",
            main_product = "해외 제조사 반도체 장비 가공 및 판매"},
    ksic = {section = "G"},
    candidates = {{code = "X1", score = 0.6}},
  },
  expect = {applicable = true, needs_review = true, basis = {X1 = "'가공' 표현"}},
}

test {
  name = "장비 제조 및 판매는 도소매 업종이어도 제조로 봄",
  given = {
    tech = {ksic_code = "465", ksic_name = "기계장비 및 관련 물품 도매업", main_product = "반도체 장비 제조 및 판매"},
    ksic = {section = "G"},
    candidates = {{code = "X1", score = 0.7}},
  },
  expect = {applicable = true, needs_review = true, kept = {"X1"}, basis = {X1 = "'제조' 표현"}},
}

test {
  name = "조사가 붙은 '제조를'도 제조로 봄",
  given = {
    tech = {ksic_code = "467", ksic_name = "기타 전문 도매업", main_product = "이차전지 양극재를 제조"},
    ksic = {section = "G"},
    candidates = {{code = "X1", score = 0.7}},
  },
  expect = {applicable = true, needs_review = true, kept = {"X1"}},
}

test {
  name = "제조업체가 아닌 제조 활동은 판매와 함께여도 적용 (제조·판매, 제조/판매, 제조및판매, 제조하는)",
  given = {
    tech = {ksic_code = "282", ksic_name = "일차전지 및 이차전지 제조업",
            main_product = "양극재 제조·판매, 전해액 제조/판매, 분리막 제조및판매, 음극재를 제조하는 기업"},
    ksic = {section = "C"},
    candidates = {{code = "X1", score = 0.7}},
  },
  expect = {applicable = true, kept = {"X1"}, basis = {X1 = "'제조' 활동"}},
}

test {
  name = "제조사업은 제조사가 아니라 제조 + 사업",
  given = {
    tech = {ksic_code = "465", ksic_name = "기계장비 및 관련 물품 도매업", main_product = "반도체 장비 제조사업 및 유통"},
    ksic = {section = "G"},
    candidates = {{code = "X1", score = 0.7}},
  },
  expect = {applicable = true, needs_review = true, basis = {X1 = "'제조' 표현"}},
}

test {
  name = "사유는 유통 표현을 찾은 항목을 밝힘 (제품용도)",
  given = {
    tech = {ksic_code = "464", ksic_name = "생활용품 도매업", main_product = "기능성 화장품",
            product_use = "국내 온라인몰에 유통"},
    ksic = {section = "G"},
    candidates = {{code = "X1", score = 0.7}},
  },
  expect = {applicable = false, reason = "wholesale_retail", message = "제품용도에 '유통' 표현"},
}
