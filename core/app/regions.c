/*
 * The 광역 (17 provinces, official full names) and their 시·군·구 (the 226
 * autonomous districts of 2025, with 제주's two administrative cities; 세종
 * has none), for the optional company address: the input screen's lists
 * (GET /api/v1/regions) and the API's validation. Location-bound programmes
 * compare these names with their own lists (the files in programmes/).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "igc_app.h"

static const char *const seoul[] = {"종로구", "중구", "용산구", "성동구", "광진구", "동대문구", "중랑구", "성북구",
                                    "강북구", "도봉구", "노원구", "은평구", "서대문구", "마포구", "양천구", "강서구",
                                    "구로구", "금천구", "영등포구", "동작구", "관악구", "서초구", "강남구", "송파구",
                                    "강동구", NULL};
static const char *const busan[] = {"중구", "서구", "동구", "영도구", "부산진구", "동래구", "남구", "북구",
                                    "해운대구", "사하구", "금정구", "강서구", "연제구", "수영구", "사상구", "기장군",
                                    NULL};
static const char *const daegu[] = {"중구", "동구", "서구", "남구", "북구", "수성구", "달서구", "달성군", "군위군", NULL};
static const char *const incheon[] = {"중구", "동구", "미추홀구", "연수구", "남동구", "부평구", "계양구", "서구",
                                      "강화군", "옹진군", NULL};
static const char *const gwangju[] = {"동구", "서구", "남구", "북구", "광산구", NULL};
static const char *const daejeon[] = {"동구", "중구", "서구", "유성구", "대덕구", NULL};
static const char *const ulsan[] = {"중구", "남구", "동구", "북구", "울주군", NULL};
static const char *const sejong[] = {NULL};
static const char *const gyeonggi[] = {"수원시", "성남시", "의정부시", "안양시", "부천시", "광명시", "평택시", "동두천시",
                                       "안산시", "고양시", "과천시", "구리시", "남양주시", "오산시", "시흥시", "군포시",
                                       "의왕시", "하남시", "용인시", "파주시", "이천시", "안성시", "김포시", "화성시",
                                       "광주시", "양주시", "포천시", "여주시", "연천군", "가평군", "양평군", NULL};
static const char *const gangwon[] = {"춘천시", "원주시", "강릉시", "동해시", "태백시", "속초시", "삼척시", "홍천군",
                                      "횡성군", "영월군", "평창군", "정선군", "철원군", "화천군", "양구군", "인제군",
                                      "고성군", "양양군", NULL};
static const char *const chungbuk[] = {"청주시", "충주시", "제천시", "보은군", "옥천군", "영동군",
                                       "증평군", "진천군", "괴산군", "음성군", "단양군", NULL};
static const char *const chungnam[] = {"천안시", "공주시", "보령시", "아산시", "서산시", "논산시", "계룡시", "당진시",
                                       "금산군", "부여군", "서천군", "청양군", "홍성군", "예산군", "태안군", NULL};
static const char *const jeonbuk[] = {"전주시", "군산시", "익산시", "정읍시", "남원시", "김제시", "완주군",
                                      "진안군", "무주군", "장수군", "임실군", "순창군", "고창군", "부안군", NULL};
static const char *const jeonnam[] = {"목포시", "여수시", "순천시", "나주시", "광양시", "담양군", "곡성군", "구례군",
                                      "고흥군", "보성군", "화순군", "장흥군", "강진군", "해남군", "영암군", "무안군",
                                      "함평군", "영광군", "장성군", "완도군", "진도군", "신안군", NULL};
static const char *const gyeongbuk[] = {"포항시", "경주시", "김천시", "안동시", "구미시", "영주시", "영천시", "상주시",
                                        "문경시", "경산시", "의성군", "청송군", "영양군", "영덕군", "청도군", "고령군",
                                        "성주군", "칠곡군", "예천군", "봉화군", "울진군", "울릉군", NULL};
static const char *const gyeongnam[] = {"창원시", "진주시", "통영시", "사천시", "김해시", "밀양시", "거제시", "양산시",
                                        "의령군", "함안군", "창녕군", "고성군", "남해군", "하동군", "산청군", "함양군",
                                        "거창군", "합천군", NULL};
static const char *const jeju[] = {"제주시", "서귀포시", NULL};

static const igc_region regions[] = {
    {"서울특별시", "서울", seoul},       {"부산광역시", "부산", busan},        {"대구광역시", "대구", daegu},
    {"인천광역시", "인천", incheon},     {"광주광역시", "광주", gwangju},      {"대전광역시", "대전", daejeon},
    {"울산광역시", "울산", ulsan},       {"세종특별자치시", "세종", sejong},   {"경기도", "경기", gyeonggi},
    {"강원특별자치도", "강원", gangwon}, {"충청북도", "충북", chungbuk},       {"충청남도", "충남", chungnam},
    {"전북특별자치도", "전북", jeonbuk}, {"전라남도", "전남", jeonnam},        {"경상북도", "경북", gyeongbuk},
    {"경상남도", "경남", gyeongnam},     {"제주특별자치도", "제주", jeju},
};
#define NREGIONS (sizeof regions / sizeof regions[0])

const igc_region *igc_regions(size_t *n) {
    *n = NREGIONS;
    return regions;
}

/* Former official names still written in records: the province now has a new one. */
static const char *const former[][2] = {{"강원도", "강원특별자치도"},  {"전라북도", "전북특별자치도"},
                                        {"제주도", "제주특별자치도"}, {"세종시", "세종특별자치시"}};

int igc_region_normalize(const char *sido, const char *sigungu, const char **osido, const char **osigungu) {
    *osido = *osigungu = NULL;
    const igc_region *r = NULL;
    for (size_t i = 0; sido && i < NREGIONS && !r; i++)
        if (strcmp(regions[i].sido, sido) == 0 || strcmp(regions[i].short_name, sido) == 0) r = &regions[i];
    for (size_t i = 0; sido && !r && i < sizeof former / sizeof *former; i++)
        if (strcmp(former[i][0], sido) == 0)
            for (size_t k = 0; k < NREGIONS; k++)
                if (strcmp(regions[k].sido, former[i][1]) == 0) r = &regions[k];
    if (!r) return IGC_ENOTFOUND;
    *osido = r->sido;
    if (!sigungu || !*sigungu || !r->sigungu[0]) return igc_region_check(r->sido, sigungu, NULL);
    /* "수원시 영통구" (a city's own district): the city */
    char first[96];
    size_t n = strcspn(sigungu, " ");
    snprintf(first, sizeof first, "%.*s", (int)(n < sizeof first ? n : sizeof first - 1), sigungu);
    const char *hit = NULL;
    int many = 0;
    for (size_t i = 0; r->sigungu[i]; i++) {
        const char *g = r->sigungu[i];
        size_t gl = strlen(g), fl = strlen(first);
        if (strcmp(g, first) == 0) {
            hit = g, many = 0;
            break;
        }
        /* "정선" for "정선군": the name without its last syllable (시, 군, 구: 3 bytes) */
        if (gl == fl + 3 && strncmp(g, first, fl) == 0) many += hit != NULL, hit = g;
    }
    if (!hit || many) return IGC_EINVAL;
    *osigungu = hit;
    return 0;
}

int igc_region_check(const char *sido, const char *sigungu, const igc_region **out) {
    if (out) *out = NULL;
    const igc_region *r = NULL;
    for (size_t i = 0; sido && i < NREGIONS; i++)
        if (strcmp(regions[i].sido, sido) == 0) r = &regions[i];
    if (!r) return IGC_ENOTFOUND;
    if (out) *out = r;
    if (!r->sigungu[0]) return sigungu && *sigungu ? IGC_EINVAL : 0;
    for (size_t i = 0; sigungu && r->sigungu[i]; i++)
        if (strcmp(r->sigungu[i], sigungu) == 0) return 0;
    return IGC_EINVAL;
}

/* "광역" and "광역\t시군구" for the programme sets' name checks, built once and kept. */
static const char **places;
static pthread_once_t places_once = PTHREAD_ONCE_INIT;

static void places_build(void) {
    size_t n = NREGIONS + 1;
    for (size_t i = 0; i < NREGIONS; i++)
        for (const char *const *g = regions[i].sigungu; *g; g++) n++;
    const char **pl = calloc(n, sizeof *pl);
    if (!pl) return;
    size_t k = 0;
    for (size_t i = 0; i < NREGIONS; i++) {
        pl[k++] = regions[i].sido;
        for (const char *const *g = regions[i].sigungu; *g; g++) {
            igc_buf b = {0};
            if (igc_buf_printf(&b, "%s\t%s", regions[i].sido, *g) == 0) pl[k++] = b.data;
        }
    }
    places = pl;
}

const char *const *igc_region_places(void) {
    pthread_once(&places_once, places_build);
    return places;
}

cJSON *igc_regions_json(void) {
    cJSON *o = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(o, "regions");
    for (size_t i = 0; list && i < NREGIONS; i++) {
        cJSON *r = cJSON_CreateObject();
        if (!r) break;
        cJSON_AddStringToObject(r, "sido", regions[i].sido);
        cJSON_AddStringToObject(r, "short", regions[i].short_name);
        cJSON *s = cJSON_AddArrayToObject(r, "sigungu");
        for (size_t k = 0; s && regions[i].sigungu[k]; k++)
            cJSON_AddItemToArray(s, cJSON_CreateString(regions[i].sigungu[k]));
        cJSON_AddItemToArray(list, r);
    }
    return o;
}
