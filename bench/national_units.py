#!/usr/bin/env python3
"""Writes a synthetic national unit table (34 provinces, 3,321 communes,
59,778 villages) as a units file: python3 bench/national_units.py > national_units.csv

The codes (P00, P00C000, P00C000V00) do not collide with real ones, so the
file can be imported beside the demo's Hà Tĩnh to see whether a commune's
pages depend on the size of the unit table (BENCHMARKS.md, section 6)."""

PROVINCES, COMMUNES, VILLAGES = 34, 3321, 18

print("code,name,level,parent_code,area")
per_province = COMMUNES // PROVINCES + 1
left = COMMUNES
for p in range(PROVINCES):
    province = f"P{p:02d}"
    print(f"{province},Tỉnh Thử {p},province,,")
    n = min(per_province, left) if p < PROVINCES - 1 else left
    left -= n
    for c in range(n):
        commune = f"{province}C{c:03d}"
        print(f"{commune},Xã Thử {p}-{c},commune,{province},rural")
        for v in range(VILLAGES):
            print(f"{commune}V{v:02d},Thôn {v},village,{commune},")
