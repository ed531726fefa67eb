"""Checks that measure outputs agree: python compare.py A.csv B.csv [C.csv ...]

Every numeric column that the first file has is compared row by row (rows
matched by `group`), to a relative tolerance of 1e-9."""
import csv
import math
import sys


def load(path):
    with open(path, newline="") as f:
        return {row["group"]: row for row in csv.DictReader(f)}


base_path, *others = sys.argv[1:]
base = load(base_path)
worst = 0.0
for path in others:
    other = load(path)
    assert set(other) == set(base), f"{path}: groups differ"
    for g, row in base.items():
        for col, value in row.items():
            if col == "group" or col not in other[g]:
                continue
            a, b = value, other[g][col]
            if a in ("", "nan", "NaN") or b in ("", "nan", "NaN"):
                assert (a in ("", "nan", "NaN")) == (b in ("", "nan", "NaN")), f"{path} {g} {col}: {a!r} vs {b!r}"
                continue
            x, y = float(a), float(b)
            diff = abs(x - y) / max(1.0, abs(x))
            worst = max(worst, diff)
            assert diff <= 1e-9, f"{path} group {g} column {col}: {x} vs {y}"
print(f"{len(base)} rows x {len(next(iter(base.values())))} columns agree across {len(others) + 1} files; largest relative difference {worst:.2e}")
