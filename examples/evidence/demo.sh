#!/usr/bin/env bash
# The evidence path on the fictional report in this folder: archive, extract, review,
# import with anchored quotes, provenance with the quote in context, a quote redacted and
# a document withheld by the operator's signed orders, verify, publish, the Izium demo's
# replica following the site (the documents fetched and checked, the orders obeyed), and
# a fresh clone of the site verified.
# Run by examples/izium/demo.sh (make demo) on the same ledger; runs alone too.
set -euo pipefail
cd "$(dirname "$0")/../.."
export TALLY_HOME="${TALLY_HOME:-$PWD/.tally-home}"
export TALLY_DB="${TALLY_DB:-$PWD/tally.db}"
mkdir -p demo
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; "$@"; }

tally init --name tally.example/izium > /dev/null
tally keys list --json | grep -q '"name": "recorder"' || tally keys new recorder > /dev/null
tally signers add recorder --key recorder > /dev/null
step tally sources add northfield-courier --name "The Northfield Courier" --kind media
step tally figures define lakeside/quarry/graves-opened --unit graves --cumulative
step tally figures define lakeside/quarry/bodies-recovered --unit bodies --cumulative
step tally figures define lakeside/quarry/children-recovered --unit children
step tally documents add examples/evidence/report.html --url https://northfield.example/lakeside \
  --retrieved 2025-03-14 --source northfield-courier --key recorder
step tally extract examples/evidence/report.html --source northfield-courier \
  --published 2025-03-14 -o demo/candidates.jsonl
cat demo/candidates.jsonl
# The review: the recorder accepts the three counts, choosing each one's figure (the
# Izium figures share the unit "bodies", so extract could not pick one), and skips the
# vague "dozens of families" and the coroner's forecast ("about 60 more graves").
python3 -c 'import json,sys
accepted = {"126": "lakeside/quarry/graves-opened",
            "more than 140": "lakeside/quarry/bodies-recovered",
            "nine": "lakeside/quarry/children-recovered"}
for line in open(sys.argv[1]):
    c = json.loads(line)
    if c["candidate"]["text"] in accepted:
        c["figure"] = accepted[c["candidate"]["text"]]
        print(json.dumps(c, ensure_ascii=False))' demo/candidates.jsonl > demo/reviewed.jsonl
step tally import demo/reviewed.jsonl --key recorder
claim=$(tally --json history lakeside/quarry/bodies-recovered \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"][-1]["claim_id"])')
step tally provenance "$claim"
# Two take-down orders, signed by the operator: the quote of that claim names a witness,
# and the letter's author asked for it to come down. Signatures and proofs stay valid;
# the values leave the database, the views, the exports and the next publish.
step tally redact "$claim" --field quote --reason "names a witness at risk"
step tally documents add examples/evidence/letter.txt --source northfield-courier --key recorder
letter=$(python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' \
  examples/evidence/letter.txt)
step tally documents withhold "$letter" --reason "take-down request from its author"
step tally provenance "$claim"
step tally verify
# the site gains the archived document (its bytes, text and page) and the anchored claims;
# the replica the Izium demo cloned follows it, fetching and checking the document
step tally publish demo/site
if [ -f demo/replica.db ]; then
  step tally --db demo/replica.db monitor demo/site --evidence demo/evidence.json
  step tally --db demo/replica.db verify
  step tally --db demo/replica.db provenance "$claim"
fi
operator=$(tally --json signers list | python3 -c \
  'import json,sys; print(next(s["public_key"] for s in json.load(sys.stdin)["signers"] if s["role"] == "operator"))')
rm -rf demo/clone.db demo/clone.db-wal demo/clone.db-shm demo/clone.db.staging* demo/clone.db.lock
step tally --db demo/clone.db clone demo/site --operator-key "$operator"
step tally --db demo/clone.db verify --operator-key "$operator"
step tally --db demo/clone.db documents list
