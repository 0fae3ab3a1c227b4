#!/usr/bin/env bash
set -euo pipefail
# The mirror and tile figures of docs/BENCHMARKS.md ("Mirrors and tiles"):
# checkpoint, verify, tiles --entries, mirror from the directory, serve and
# mirror over HTTP, and wrk (Debian package wrk) against the server.
# BIG=DIR (from `custody generate`), CUSTODY_BIN (default target/release/custody),
# WORK (scratch directory; default a new temporary one). It adds a checkpoint
# and a reader token to the ledger at BIG.
C=${CUSTODY_BIN:-target/release/custody}
BIG=${BIG:?set BIG to a custody generate directory (BIG/ledger, BIG/keys)}
S=$BIG/ledger
W=${WORK:-$(mktemp -d)}
T=$W/tiles; R1=$W/replica; R2=$W/replica2
rm -rf $T $R1 $R2
t() { /usr/bin/time -f "%e s, %M KiB" "$@"; }
echo "== checkpoint"; t $C --store $S checkpoint --key $BIG/keys/authority.pem --out $W/big.cp >/dev/null
echo "== verify"; t $C --store $S --json verify | head -c 300; echo
echo "== tiles --entries"; t $C --store $S tiles --out $T --entries
du -sh $T
AUTH=$($C key public --key $BIG/keys/authority.pem)
echo "== mirror from dir (first run)"; t $C --store $R1 mirror --from $T --authority $AUTH
$C --store $S token issue --holder bench --role reader --key $BIG/keys/authority.pem > $W/big.token 2>/dev/null
tail -1 $W/big.token | awk '{print $NF}' > $W/big.tokenonly
$C --store $S serve --listen 127.0.0.1:18080 > $W/serve.out 2> $W/serve.err &
SP=$!
sleep 2
echo "== mirror over http (first run)"; t $C --store $R2 mirror --from http://127.0.0.1:18080 --authority $AUTH --token-file $W/big.tokenonly
echo "== wrk: a full hash tile, 16 connections, 10 s"
wrk -t2 -c16 -d10s http://127.0.0.1:18080/tile/0/000 | grep -E 'Requests/sec|Latency|Transfer'
echo "== wrk: the checkpoint"
wrk -t2 -c16 -d10s http://127.0.0.1:18080/checkpoint | grep -E 'Requests/sec|Latency'
echo "== wrk: an entry bundle with a token (each read logged, fsync)"
wrk -t2 -c16 -d10s -H "Authorization: Bearer $(cat $W/big.tokenonly)" http://127.0.0.1:18080/tile/entries/000 | grep -E 'Requests/sec|Latency'
kill $SP; wait $SP || true
echo "== replica verify"; t $C --store $R1 --json verify | head -c 200; echo
