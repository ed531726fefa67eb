#!/usr/bin/env bash
# Times pages on loopback as each signed-in user:
#   bench/routes.sh BINARY DB N USER [USER…]
# The server is started on a free port and stopped at the end. For each
# user the routes are requested N times, interleaved (one of each route per
# pass, after one warm-up pass), and p50/p95/p99 (ms) are printed per route.
set -euo pipefail
bin=$1 db=$2 n=$3
shift 3
port=$((20000 + RANDOM % 20000))
"$bin" serve --db "$db" --addr "127.0.0.1:$port" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 300); do curl -s -o /dev/null "$base/login" && break; sleep 0.1; done
printf '| user | route | p50 ms | p95 ms | p99 ms |\n|---|---|---:|---:|---:|\n'
for user in "$@"; do
  token=$(curl -s -X POST -H 'Content-Type: application/json' \
    -d "{\"username\":\"$user\",\"password\":\"giamngheo-demo\"}" "$base/api/v1/auth/token" |
    sed -E 's/.*"token":"([^"]*)".*/\1/')
  first=$(curl -s -H "Authorization: Bearer $token" "$base/api/v1/households?per_page=1")
  household=$(printf '%s' "$first" | grep -o '"id":[0-9]*' | head -1 | grep -o '[0-9]*')
  commune=$(printf '%s' "$first" | grep -o '"code":"[^"]*"' | head -1 | sed -E 's/"code":"([^-"]*).*/\1/')
  routes=("/" "/households" "/households?status=poor" "/households?q=nguyen"
    "/households/$household" "/reviews" "/api/v1/households?per_page=50"
    "/api/v1/households?q=nguyen" "/api/v1/households?unit=$commune" "/export?unit=$commune")
  declare -A times=()
  for pass in $(seq 0 "$n"); do
    for route in "${routes[@]}"; do
      t=$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $token" "$base$route")
      [ "$pass" -gt 0 ] && times[$route]+="$t "
    done
  done
  for route in "${routes[@]}"; do
    printf '%s\n' ${times[$route]} | sort -n | awk -v u="$user" -v r="$route" '
      {t[NR]=$1*1000}
      function p(q) { i=int(NR*q+0.999); if (i<1) i=1; return t[i] }
      END {printf "| %s | `%s` | %.1f | %.1f | %.1f |\n", u, r, p(0.5), p(0.95), p(0.99)}'
  done
  unset times
done
