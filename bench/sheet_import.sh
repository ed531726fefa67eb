#!/usr/bin/env bash
# A district workbook's import against pandas reading it, side by side:
#   bench/sheet_import.sh BINARY [HOUSEHOLDS] [DIR]
# Builds a province of HOUSEHOLDS + 2,000 households (default 100,000) with
# `province-demo`, writes a workbook of HOUSEHOLDS new households in its
# first communes (bench/district_workbook.py), then times, each once, with peak
# memory: pandas reading both sheets (calamine engine; needs pandas and
# python-calamine), `import --dry-run`, and the import; then one commune's
# sheet (2,000 households) into the registry so grown, and the same sheet
# again (every member already known). Prints a Markdown table.
set -euo pipefail
bin=$(realpath "$1")
n=${2:-100000}
dir=${3:-$(mktemp -d)}
here=$(dirname "$(realpath "$0")")
mkdir -p "$dir"
db="sqlite:$dir/province.db"
rm -f "$dir/province.db"*
"$bin" province-demo --db "$db" --households $((n + 2000)) >/dev/null 2>&1
python3 "$here/district_workbook.py" "$dir/district.xlsx" "$n" 2>/dev/null
# The province's last commune, which the workbook leaves alone.
python3 "$here/district_workbook.py" "$dir/commune.xlsx" 2000 $((990001 + (n + 1999) / 2000)) 2>/dev/null
measure() {
  local label=$1
  shift
  /usr/bin/time -f "%e %M" -o "$dir/time" "$@" >/dev/null 2>"$dir/err" || {
    cat "$dir/err" >&2
    exit 1
  }
  read -r seconds kb <"$dir/time"
  printf '| %s | %.2f | %d |\n' "$label" "$seconds" $((kb / 1024))
}
printf '| step (%s households) | seconds | peak MB |\n|---|---:|---:|\n' "$n"
measure "pandas.read_excel, calamine, both sheets" python3 -c "
import sys, pandas as pd
pd.read_excel(sys.argv[1], sheet_name=None, engine='calamine', header=None)" "$dir/district.xlsx"
measure "giamngheo import --dry-run" "$bin" import --db "$db" --dry-run "$dir/district.xlsx"
measure "giamngheo import" "$bin" import --db "$db" "$dir/district.xlsx"
measure "one commune's sheet (2,000 households) into the registry" "$bin" import --db "$db" "$dir/commune.xlsx"
measure "the same sheet again (all known)" "$bin" import --db "$db" "$dir/commune.xlsx"
