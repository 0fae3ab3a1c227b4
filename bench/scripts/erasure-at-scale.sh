#!/usr/bin/env bash
# Issue 15's "done when", run at scale: on a copy of a ledger of about a
# million entries, an investigator records a sighting naming a witness; a
# prosecutor takes a court bundle; a family's lawyer takes a family bundle;
# the authority erases the witness's name and compacts; then no byte of the
# name is left in the store, while `verify`, every checkpoint and the
# prosecutor's earlier bundle still verify.
#
#   bench/scripts/erasure-at-scale.sh SOURCE_DIR WORK_DIR [CUSTODY_BIN]
#
# SOURCE_DIR holds `ledger/` and `keys/` (authority.pem, investigator-1.pem),
# as `custody-bench` leaves them; it is copied, never changed. Timings are
# printed; nothing here is a test.
set -euo pipefail
src=${1:?source dir (ledger/ and keys/)}
work=${2:?work dir (created; must not exist)}
custody=${3:-custody}
name="Oksana Vasylivna Horobets-Witness"
[ -e "$work" ] && { echo "$work exists; give a new directory" >&2; exit 2; }
mkdir -p "$work"
t() { local s=$(date +%s.%N); "$@"; echo "  ($(echo "$(date +%s.%N) - $s" | bc) s)" >&2; }
echo "copying $src/ledger"; t cp -r "$src/ledger" "$work/ledger"
store="$work/ledger"; keys="$src/keys"
printf '%s\n' "{\"type\":\"sighting\",\"person\":\"ERASE-0001\",\"occurred_at\":\"2023-05\",\"source\":\"returned_pow\",\"place\":\"Olenivka\",\"witnesses\":\"$name, cell 4, released in the exchange of 2023-01\"}" > "$work/sighting.jsonl"
echo "append the sighting"; t "$custody" append --store "$store" --key "$keys/investigator-1.pem" "$work/sighting.jsonl"
echo "checkpoint (kept, as a prosecutor would keep it)"; t "$custody" checkpoint --store "$store" --key "$keys/authority.pem" --out "$work/before.note" >/dev/null
grep -c -a -F "$name" "$store/custody.redb" >/dev/null && echo "the name is in the store before erasure (as it must be)"
echo "court bundle (the prosecutor's, before erasure)"; t "$custody" export --store "$store" --person ERASE-0001 --profile court --out "$work/court.bundle.json"
echo "family bundle"; t "$custody" export --store "$store" --person ERASE-0001 --profile family --out "$work/family.bundle.json"
grep -q -F "$name" "$work/court.bundle.json" && echo "court bundle names the witness"
if grep -q -F "$name" "$work/family.bundle.json"; then echo "FAIL: the family bundle names the witness"; exit 1; fi
echo "family bundle names no witness"
"$custody" verify --bundle "$work/family.bundle.json" >/dev/null && echo "family bundle verifies"
entry=$("$custody" log --store "$store" --person ERASE-0001 --json | tail -1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["hash"])')
echo "redact the witness (entry $entry)"; t "$custody" redact --store "$store" --key "$keys/authority.pem" --entry "$entry" --field witnesses --reason "erasure requested by the witness (data-protection request 2026-117)"
echo "compact"; t "$custody" compact --store "$store"
if grep -c -a -F "$name" "$store/custody.redb"; then echo "FAIL: the name survives in the store file"; exit 1; fi
if grep -r -l -a -F "$name" "$store"; then echo "FAIL: the name survives in the store directory"; exit 1; fi
echo "no byte of the name is left in the store directory"
echo "verify the whole ledger (chain, checkpoints, derived tables)"; t "$custody" verify --store "$store"
echo "the checkpoint taken before the erasure: the ledger still extends it"; t "$custody" verify --store "$store" --checkpoint "$work/before.note" | grep -i -E "^VALID|checkpoint"
echo "the prosecutor's earlier bundle"; t "$custody" verify --bundle "$work/court.bundle.json"
echo "a checkpoint after the erasure, and a court bundle against it"
"$custody" checkpoint --store "$store" --key "$keys/authority.pem" --out "$work/after.note" >/dev/null 2>&1
"$custody" export --store "$store" --person ERASE-0001 --profile court --out "$work/court-after.bundle.json"
if grep -q -F "$name" "$work/court-after.bundle.json"; then echo "FAIL: a new bundle names the witness"; exit 1; fi
"$custody" verify --bundle "$work/court-after.bundle.json" | grep -i -E "redact|VALID|COMPLETE" | head -5
echo "done"
