#!/usr/bin/env bash
# The benchmark of BENCHMARKS.md: giamngheo measure --by commune_code on a
# 2-million-household synthetic file, CSV and Parquet, beside DuckDB and
# Polars doing the same computation on the same file. Checks that all give the
# same numbers, then times them with hyperfine.
#
# Needs: cargo, python3 with venv, hyperfine (apt-get install hyperfine).
# DuckDB and Polars go into a throw-away virtual environment, not the project.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-2000000}
DATA=${DATA:-bench-data}
VENV=${VENV:-$(mktemp -d)/venv}
mkdir -p "$DATA" "$DATA/out"

cargo build --release --locked
G=target/release/giamngheo
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q duckdb polars
fi
PY="$VENV/bin/python"
"$PY" -c 'import duckdb, polars; print("duckdb", duckdb.__version__, "polars", polars.__version__)'
nproc

for f in csv parquet; do
  [ -f "$DATA/h.$f" ] || $G synth --standard vn-2022-2025 --households "$N" --seed 1 --out "$DATA/h.$f"
done
ls -l "$DATA"/h.csv "$DATA"/h.parquet

for f in csv parquet; do
  $G measure --standard vn-2022-2025 --by commune_code "$DATA/h.$f" --out "$DATA/out/giamngheo-$f.csv"
  for engine in duckdb polars; do
    "$PY" "bench/${engine}_measure.py" "$DATA/h.$f" "$DATA/out/$engine-$f.csv"
  done
done
"$PY" bench/compare.py "$DATA"/out/giamngheo-csv.csv "$DATA"/out/giamngheo-parquet.csv \
  "$DATA"/out/duckdb-csv.csv "$DATA"/out/polars-csv.csv "$DATA"/out/duckdb-parquet.csv "$DATA"/out/polars-parquet.csv

for f in csv parquet; do
  hyperfine -N --warmup 2 --runs 10 --export-markdown "$DATA/out/times-$f.md" \
    -n giamngheo "$G measure --standard vn-2022-2025 --by commune_code $DATA/h.$f --out $DATA/out/giamngheo-$f.csv" \
    -n duckdb "$PY bench/duckdb_measure.py $DATA/h.$f $DATA/out/duckdb-$f.csv" \
    -n polars "$PY bench/polars_measure.py $DATA/h.$f $DATA/out/polars-$f.csv"
  cat "$DATA/out/times-$f.md"
done

# The engines' own time, without starting Python and importing them.
for f in csv parquet; do
  for engine in duckdb polars; do
    for _ in 1 2 3 4 5; do
      "$PY" "bench/${engine}_measure.py" "$DATA/h.$f" "$DATA/out/$engine-$f.csv"
    done 2>&1 | sort -t: -k2 -n | head -1 | sed "s/^/best of 5, $f: /"
  done
done
