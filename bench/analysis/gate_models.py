#!/usr/bin/env python3
"""Would another applicability model do better than the engine's logistic gate?

Reads the per-row evidence `igc tune --rows-out ROWS.tsv` writes (cross-fitted
history rows: each scored by a model that never saw it) and compares, by
repeated stratified 5-fold cross-validation, the client's accuracy and top-3 of
several gates fitted on the same evidence. Each fold fits the gate and its
threshold on the other folds only, as `igc tune` does on the whole set.

    build/core/app/igc tune --history ../shared/data/labeled/history.csv \
        --out /tmp/params.json --rows-out /tmp/rows.tsv
    python3 bench/analysis/gate_models.py /tmp/rows.tsv

Needs Debian's python3-sklearn (not a dependency of the service).
"""
import csv
import sys

import numpy as np
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

MISS_WEIGHT = 0.3  # as in igc tune: a labelled row with a wrong rank 1 is wrong either way


def load(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    na = [k for k in rows[0] if k.startswith("na_")]
    lab = np.array([int(r["labelled"]) for r in rows])
    hit = np.array([int(r["hit"]) for r in rows])
    rank = np.array([int(r["rank"]) for r in rows])
    x = np.array([[float(r[k]) for k in na] for r in rows])
    return lab, hit, rank, x, na


def metrics(p, t, lab, hit, rank):
    app = p >= t
    right = np.where(lab == 0, ~app, app & (hit == 1))
    top3 = ((lab == 1) & app & (rank < 3)).sum() / max((lab == 1).sum(), 1)
    return right.mean(), top3


def evaluate(make, lab, hit, rank, x, seeds=5):
    w = np.where((lab == 1) & (hit == 0), MISS_WEIGHT, 1.0)
    accs, top3s = [], []
    for seed in range(seeds):
        p, t = np.zeros(len(lab)), np.zeros(len(lab))
        for tr, te in StratifiedKFold(5, shuffle=True, random_state=seed).split(x, lab):
            m = make()
            last = m.steps[-1][0] if hasattr(m, "steps") else None
            m.fit(x[tr], lab[tr], **({last + "__sample_weight": w[tr]} if last else {"sample_weight": w[tr]}))
            ptr = m.predict_proba(x[tr])[:, 1]
            grid = np.arange(0.10, 0.905, 0.01)
            t[te] = max(grid, key=lambda th: metrics(ptr, th, lab[tr], hit[tr], rank[tr])[0])
            p[te] = m.predict_proba(x[te])[:, 1]
        a, t3 = metrics(p, t, lab, hit, rank)
        accs.append(a)
        top3s.append(t3)
    return np.mean(accs), np.std(accs), np.mean(top3s)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    lab, hit, rank, x, names = load(sys.argv[1])
    print(f"{len(lab)} rows ({lab.sum()} with an item); evidence: {', '.join(names)}")
    gates = [
        ("logistic (the engine's gate)", lambda: make_pipeline(StandardScaler(), LogisticRegression(C=10, max_iter=2000))),
        ("logistic, pairwise products", lambda: make_pipeline(StandardScaler(), PolynomialFeatures(2),
                                                               LogisticRegression(C=1, max_iter=5000))),
        ("gradient-boosted trees, depth 2", lambda: GradientBoostingClassifier(n_estimators=100, max_depth=2,
                                                                               learning_rate=0.05, subsample=0.8,
                                                                               random_state=0)),
        ("random forest", lambda: RandomForestClassifier(n_estimators=300, min_samples_leaf=5, random_state=0)),
    ]
    print(f"{'gate':34s} {'accuracy':>16s} {'top-3':>7s}")
    # the ceiling: a gate that knew the truth, with the same item ranking
    perfect = np.where(lab == 0, 1, hit).mean()
    print(f"{'a perfect gate (ceiling)':34s} {perfect:8.3f}          {(rank[lab == 1] < 3).mean():7.3f}")
    for name, make in gates:
        a, sd, t3 = evaluate(make, lab, hit, rank, x)
        print(f"{name:34s} {a:8.3f} ± {sd:.3f} {t3:7.3f}")


if __name__ == "__main__":
    main()
