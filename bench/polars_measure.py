"""The `giamngheo measure --by commune_code` computation for vn-2022-2025, in Polars.

Used only by BENCHMARKS.md to compare speed and numbers; not part of giamngheo.
Usage: python polars_measure.py INPUT.(csv|parquet) OUTPUT.csv
"""
import sys
import time

import polars as pl

from common import INDICATORS, output_columns

src, out = sys.argv[1], sys.argv[2]
start = time.perf_counter()
text = {c: pl.Utf8 for c in ("household_id", "province_code", "district_code", "commune_code", "village", "area")}
frame = pl.scan_csv(src, schema_overrides=text) if src.endswith(".csv") else pl.scan_parquet(src)

d = [pl.col(f"d_{c}").cast(pl.Float64) for c in INDICATORS]
n = pl.sum_horizontal(d)
w = pl.col("weight").cast(pl.Float64)
line = pl.when(pl.col("area") == "urban").then(2_000_000).otherwise(1_500_000)
low = pl.col("income_per_capita") <= line
rows = frame.select(
    pl.col("commune_code").alias("g"), w.alias("w"), n.alias("n"), low.alias("low"),
    *[pl.col(f"d_{c}").cast(pl.Float64) for c in INDICATORS],
).with_columns(mpi=(pl.col("n") >= 3).cast(pl.Float64), lowf=pl.col("low").cast(pl.Float64))

W, N, MPI, LOW = pl.col("w"), pl.col("n"), pl.col("mpi"), pl.col("lowf")
poor = LOW * (N >= 3).cast(pl.Float64)
near = LOW * (N < 3).cast(pl.Float64)
aggs = [
    pl.len().alias("households"), W.sum().alias("w"),
    poor.sum().alias("poor"), near.sum().alias("near_poor"),
    (W * poor).sum().alias("w_poor"), (W * near).sum().alias("w_near"),
    (W * MPI).sum().alias("w_mpi"), (W * MPI * N).sum().alias("w_pts"),
    (W * (N == 3).cast(pl.Float64)).sum().alias("w_vuln"), (W * (N >= 6).cast(pl.Float64)).sum().alias("w_severe"),
    (W * W).sum().alias("w2"), (W * W * MPI).sum().alias("w2_mpi"),
    (W * W * MPI * N).sum().alias("w2_pts"), (W * W * MPI * N * N).sum().alias("w2_pts2"),
    *[(W * MPI * pl.col(f"d_{c}")).sum().alias(f"c_{c}") for c in INDICATORS],
    *[(W * pl.col(f"d_{c}")).sum().alias(f"u_{c}") for c in INDICATORS],
]
groups = rows.group_by("g").agg(aggs).sort("g").collect()
sum_cols = [c for c in groups.columns if c != "g"]
total = groups.select([pl.col(c).sum() for c in sum_cols]).with_columns(g=pl.lit("total"))
sums = pl.concat([groups, total.select(groups.columns)])

D = 12.0
h = pl.col("households").cast(pl.Float64)
f = h / (h - 1)
r_h = pl.col("w_mpi") / pl.col("w")
r_m = pl.col("w_pts") / pl.col("w")
r_a = pl.col("w_pts") / pl.col("w_mpi")
m0 = pl.col("w_pts") / pl.col("w") / D
result = sums.select(
    pl.col("g").alias("group"), pl.col("households"), pl.col("w").alias("weight_sum"),
    pl.col("poor").cast(pl.Int64), pl.col("near_poor").cast(pl.Int64),
    (pl.col("w_poor") / pl.col("w")).alias("poor_rate"), (pl.col("w_near") / pl.col("w")).alias("near_poor_rate"),
    r_h.alias("H"), (r_a / D).alias("A"), m0.alias("M0"),
    (pl.col("w_vuln") / pl.col("w")).alias("vulnerable"), (pl.col("w_severe") / pl.col("w")).alias("severe"),
    (f * (pl.col("w2_mpi") - 2 * r_h * pl.col("w2_mpi") + r_h ** 2 * pl.col("w2")) / pl.col("w") ** 2).clip(0).sqrt().alias("se_H"),
    ((f * (pl.col("w2_pts2") - 2 * r_a * pl.col("w2_pts") + r_a ** 2 * pl.col("w2_mpi")) / pl.col("w_mpi") ** 2).clip(0).sqrt() / D).alias("se_A"),
    ((f * (pl.col("w2_pts2") - 2 * r_m * pl.col("w2_pts") + r_m ** 2 * pl.col("w2")) / pl.col("w") ** 2).clip(0).sqrt() / D).alias("se_M0"),
    *[(pl.col(f"c_{c}") / pl.col("w")).alias(f"censored_{c}") for c in INDICATORS],
    *[(pl.col(f"u_{c}") / pl.col("w")).alias(f"uncensored_{c}") for c in INDICATORS],
    *[((1 / D) * pl.col(f"c_{c}") / pl.col("w") / m0).alias(f"contribution_{c}") for c in INDICATORS],
)
result.write_csv(out)
elapsed = time.perf_counter() - start
assert result.columns == output_columns()
print(f"polars {pl.__version__}: {elapsed:.3f} s inside Python", file=sys.stderr)
