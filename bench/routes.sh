#!/usr/bin/env bash
# Times pages as one signed-in user, on loopback: bench/routes.sh BINARY DB USER [N]
# Prints p50/p99 (ms) per route. The server is started on a free port and
# stopped at the end.
set -euo pipefail
bin=$1 db=$2 user=$3 n=${4:-50}
port=$((20000 + RANDOM % 20000))
"$bin" serve --db "$db" --addr "127.0.0.1:$port" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -s -o /dev/null "$base/login" && break; sleep 0.1; done
jar=$(mktemp)
curl -s -o /dev/null -c "$jar" -b "$jar" -H "Origin: $base" \
  --data-urlencode "username=$user" --data-urlencode "password=giamngheo-demo" "$base/login"
household=$(curl -s -b "$jar" "$base/households" | grep -o 'href="/households/[0-9]*"' | head -1 | grep -o '[0-9]*')
routes=("/" "/households" "/households?status=poor" "/households?q=nguyen" "/households/$household" "/reviews" "/api/v1/households?per_page=50")
for route in "${routes[@]}"; do
  times=()
  for _ in $(seq "$n"); do
    times+=("$(curl -s -o /dev/null -w '%{time_total}' -b "$jar" "$base$route")")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v r="$route" '{t[NR]=$1*1000} END {printf "%-36s p50 %7.1f ms  p99 %7.1f ms\n", r, t[int(NR*0.5)+0], t[int(NR*0.99)+0]}'
done
rm -f "$jar"
