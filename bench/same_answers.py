#!/usr/bin/env python3
"""Compares the answers of two builds: the files `igc-bench --answers-out F` wrote
(same queries, same exemplars). Prints how many answers are the same as the API
gives them (every field, scores rounded to 0.001 as the API rounds them), how many
engine answers name the same candidates in the same order with the same keywords,
terms and 분류근거, and the largest difference of an engine score. Exits 1 when any
whole answer differs or a score differs by more than --tol. --ignore FIELD leaves a
field of the whole answer out of the comparison wherever it occurs (rules_version when
only the wording of a rule file changed, say; repeatable).

    bench/same_answers.py BEFORE.jsonl AFTER.jsonl [--tol 1e-6] [--ignore rules_version]
"""
import argparse
import json
import sys


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def without(o, keys):
    if isinstance(o, dict):
        return {k: without(v, keys) for k, v in o.items() if k not in keys}
    if isinstance(o, list):
        return [without(v, keys) for v in o]
    return o


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--tol", type=float, default=1e-6, help="largest engine score difference accepted")
    ap.add_argument("--ignore", action="append", default=[], help="a field left out of the whole answers")
    a = ap.parse_args()
    x, y = load(a.before), load(a.after)
    if len(x) != len(y) or any(p["uid"] != q["uid"] for p, q in zip(x, y)):
        print("the files hold different queries", file=sys.stderr)
        return 2
    same_answer = same_order = same_text = 0
    max_diff, worst = 0.0, None
    for p, q in zip(x, y):
        same_answer += without(p["answer"], set(a.ignore)) == without(q["answer"], set(a.ignore))
        pe, qe = p["engine"], q["engine"]
        order = [c["code"] for c in pe["cands"]] == [c["code"] for c in qe["cands"]]
        order = order and pe["applicable"] == qe["applicable"] and pe["needs_review"] == qe["needs_review"]
        same_order += order
        if order:
            same_text += all(c[k] == d[k] for c, d in zip(pe["cands"], qe["cands"]) for k in ("keywords", "terms", "basis"))
            diffs = [abs(c["score"] - d["score"]) for c, d in zip(pe["cands"], qe["cands"])]
            diffs.append(abs(pe["p_applicable"] - qe["p_applicable"]))
            if max(diffs) > max_diff:
                max_diff, worst = max(diffs), p["uid"]
    n = len(x)
    print(f"queries {n}")
    print(f"whole answer the same (as the API gives it)      {same_answer} of {n}")
    print(f"engine: same candidates, order, flags            {same_order} of {n}")
    print(f"engine: and same keywords, terms, 분류근거         {same_text} of {n}")
    print(f"largest engine score difference                  {max_diff:.3g}" + (f" ({worst})" if worst else ""))
    return 0 if same_answer == n and same_order == n and same_text == n and max_diff <= a.tol else 1


if __name__ == "__main__":
    sys.exit(main())
