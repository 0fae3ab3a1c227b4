#!/usr/bin/env bash
# The web view's server times of docs/BENCHMARKS.md ("Web pages"): a person's
# page, the people list with a filter, the report, each by wrk (one
# connection, 10 s, --latency) with a signed-in session. The first request
# of the list is the cold one (the server builds its summary of every
# person: cli/src/serve/web/summary.rs); the server's resident memory is
# printed before and after.
# Each read appends to the store's access log: run it on a copy.
# BIG=DIR (from `custody generate`, with a reader token issued: TOKEN_FILE),
# CUSTODY_BIN (default target/release/custody).
set -uo pipefail
C=${CUSTODY_BIN:-target/release/custody}
BIG=${BIG:?set BIG to a custody generate directory}
S=$BIG/ledger
T=$(cat "${TOKEN_FILE:?a file holding a reader token of that ledger}")
$C --store $S serve --listen 127.0.0.1:18081 > /dev/null 2>&1 &
SP=$!
sleep 2
U=http://127.0.0.1:18081
CK=$(curl -s -i -X POST -H "Origin: $U" -H "Sec-Fetch-Site: same-origin" --data-urlencode "token=$T" $U/signin | grep -i '^set-cookie' | head -1 | sed 's/^[Ss]et-[Cc]ookie: //; s/;.*//' | tr -d '\r')
echo "cookie name: ${CK%%=*}"
echo "server RSS before: $(ps -o rss= -p $SP) KiB"
for path in "/people/SYN-0012345" "/people?status=held_unacknowledged" "/people?flag=incommunicado&sort=unacknowledged" "/people?q=syn-00123&sort=without_contact" "/report"; do
  echo "== $path"
  curl -s -o /dev/null -w "status %{http_code}, %{size_download} bytes, %{time_total} s (one request)\n" -H "Cookie: $CK" "$U$path"
  wrk -t1 -c1 -d10s --latency -H "Cookie: $CK" "$U$path" | grep -E '50%|99%|Requests/sec|Non-2xx'
done
echo "server RSS after: $(ps -o rss= -p $SP) KiB"
kill $SP; wait $SP 2>/dev/null
