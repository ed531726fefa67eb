"""The `giamngheo measure --by commune_code` computation for vn-2022-2025, in DuckDB.

Used only by BENCHMARKS.md to compare speed and numbers; not part of giamngheo.
Usage: python duckdb_measure.py INPUT.(csv|parquet) OUTPUT.csv
"""
import sys
import time

import duckdb

from common import INDICATORS

src, out = sys.argv[1], sys.argv[2]
start = time.perf_counter()
if src.endswith(".csv"):
    types = {c: "VARCHAR" for c in ("household_id", "province_code", "district_code", "commune_code", "village", "area")}
    relation = f"read_csv('{src}', header=true, types={types})"
else:
    relation = f"read_parquet('{src}')"

n_expr = " + ".join(f"d_{c}" for c in INDICATORS)
censored = ",\n".join(f"sum(CASE WHEN mpi THEN w * d_{c} ELSE 0 END) AS c_{c}" for c in INDICATORS)
uncensored = ",\n".join(f"sum(w * d_{c}) AS u_{c}" for c in INDICATORS)

# Sums per commune and for the total (grouping sets), then the ratios.
sums = f"""
WITH rows AS (
  SELECT commune_code AS g, CAST(weight AS DOUBLE) AS w, ({n_expr}) AS n,
         income_per_capita <= CASE WHEN area = 'urban' THEN 2000000 ELSE 1500000 END AS low,
         ({n_expr}) >= 3 AS mpi, {", ".join(f"d_{c}" for c in INDICATORS)}
  FROM {relation}
)
SELECT coalesce(g, 'total') AS grp, grouping(g) AS is_total,
  count(*) AS households, sum(w) AS w,
  count(*) FILTER (WHERE low AND n >= 3) AS poor,
  count(*) FILTER (WHERE low AND n < 3) AS near_poor,
  coalesce(sum(w) FILTER (WHERE low AND n >= 3), 0) AS w_poor,
  coalesce(sum(w) FILTER (WHERE low AND n < 3), 0) AS w_near,
  sum(CASE WHEN mpi THEN w ELSE 0 END) AS w_mpi,
  sum(CASE WHEN mpi THEN w * n ELSE 0 END) AS w_pts,
  sum(CASE WHEN n = 3 THEN w ELSE 0 END) AS w_vuln,
  sum(CASE WHEN n >= 6 THEN w ELSE 0 END) AS w_severe,
  sum(w * w) AS w2,
  sum(CASE WHEN mpi THEN w * w ELSE 0 END) AS w2_mpi,
  sum(CASE WHEN mpi THEN w * w * n ELSE 0 END) AS w2_pts,
  sum(CASE WHEN mpi THEN w * w * n * n ELSE 0 END) AS w2_pts2,
  {censored},
  {uncensored}
FROM rows GROUP BY GROUPING SETS ((g), ())
"""
D = 12.0
final = f"""
SELECT grp AS "group", households, w AS weight_sum, poor, near_poor,
  w_poor / w AS poor_rate, w_near / w AS near_poor_rate,
  w_mpi / w AS "H", w_pts / nullif(w_mpi, 0) / {D} AS "A", w_pts / w / {D} AS "M0",
  w_vuln / w AS vulnerable, w_severe / w AS severe,
  sqrt(greatest(households / (households - 1.0) * (w2_mpi - 2 * (w_mpi / w) * w2_mpi + (w_mpi / w) ^ 2 * w2) / (w * w), 0)) AS "se_H",
  sqrt(greatest(households / (households - 1.0) * (w2_pts2 - 2 * (w_pts / nullif(w_mpi, 0)) * w2_pts + (w_pts / nullif(w_mpi, 0)) ^ 2 * w2_mpi) / (w_mpi * w_mpi), 0)) / {D} AS "se_A",
  sqrt(greatest(households / (households - 1.0) * (w2_pts2 - 2 * (w_pts / w) * w2_pts + (w_pts / w) ^ 2 * w2) / (w * w), 0)) / {D} AS "se_M0",
  {", ".join(f"c_{c} / w AS censored_{c}" for c in INDICATORS)},
  {", ".join(f"u_{c} / w AS uncensored_{c}" for c in INDICATORS)},
  {", ".join(f"(1 / {D}) * (c_{c} / w) / nullif(w_pts / w / {D}, 0) AS contribution_{c}" for c in INDICATORS)}
FROM ({sums}) ORDER BY is_total, grp
"""
con = duckdb.connect()
con.execute(f"COPY ({final}) TO '{out}' (HEADER, DELIMITER ',')")
elapsed = time.perf_counter() - start
print(f"duckdb {duckdb.__version__}: {elapsed:.3f} s inside Python", file=sys.stderr)
