"""A deterministic synthetic workload: a JSONL import file of pre-signed reports and follow-ups.

The same seed and size always give the same bytes. The file holds

- sources (official, media, ngo, ...), about one per 5,000 claims (at least 20);
- figures grouped by site, six per site: a cumulative total with three cumulative
  parts (`bodies` = `women` + `men` + `children`), a non-cumulative quantity
  (`unidentified`) and a status (`exhumation`: planned, ongoing, completed, suspended);
  about one figure per 20 claims, so a figure has ~20 claims on average;
- reports, each pre-signed by one of several signers (`ledger`, `signer`, `signature`
  fields, so the import checks every signature) with realistic values (exact 55%, ~ 12%,
  ranges 10%, >= 8%, > 5%, <= 5%, < 5%; states for status figures) around a per-site
  trajectory with some noise (so some claims contradict or regress, as real reports do),
  EDTF as_of dates (days, months, years, `?`/`~` qualifiers, intervals), publication
  dates, URLs, quotes in several scripts, via chains and document hashes;
- corrections (~5%) and retractions (~5%) of recent claims, signed by the claim's
  signer or the operator, referring to the claim id computed exactly as the ledger
  computes it (the SHA-256 of the RFC 8785 body), so they can sit in the same file.

The keys are derived from the seed; `Workload.operator` and `Workload.signers` give
them so the benchmark can create the ledger (`ORIGIN`, operator) and register the
signers before importing. Usage: python benchmarks/generate.py N [--seed S] [-o FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing import Pool
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tally.ledger.integrity import disclosure, signing
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.model.bodies import claim_body, correction_body, ledger_id, retraction_body
from tally.ledger.model.inputs import CorrectionRecord, ReportRecord, RetractionRecord
from tally.ledger.model.values import parse_value
from tally.ledger.reports import salts_of

ORIGIN = "bench.tally.invalid/synthetic"
SIGNERS = 8
FIRST_DAY = dt.date(2014, 1, 1)
LAST_DAY = dt.date(2025, 12, 31)
SPAN = (LAST_DAY - FIRST_DAY).days
STATES = ["planned", "ongoing", "completed", "suspended"]
KINDS = ["official", "media", "ngo", "individual", "academic", "other"]
WORDS = [
    "bodies", "exhumed", "site", "forest", "graves", "reburied", "identified", "families",
    "police", "report", "official", "count", "according", "preliminary", "final", "update",
    "investigators", "tally", "records", "тіла", "ексгумовано", "могили", "слідчі", "остаточно",
    "кількість", "ідентифіковано", "поліція", "corps", "fosses", "enquêteurs", "décompte",
    "selon", "préliminaire",
]
CHUNK = 2000


def _key(seed: int, name: str) -> KeyPair:
    material = hashlib.sha256(f"tally-bench:{seed}:{name}".encode()).digest()
    return KeyPair(name, Ed25519PrivateKey.from_private_bytes(material))


@dataclass
class _Site:
    name: str
    start: int  # day offset the count starts growing
    total: int  # final count
    shares: tuple[float, float, float]  # women, men, children
    unidentified: int


@dataclass
class _Recent:
    claim_id: str
    figure: str
    status: bool
    signer: int  # index in signers; -1 is the operator
    retracted: bool = False


@dataclass
class Workload:
    claims: int
    seed: int = 1
    signer_count: int = SIGNERS
    operator: KeyPair = field(init=False)
    signers: list[KeyPair] = field(init=False)

    def __post_init__(self) -> None:
        self.operator = _key(self.seed, "operator")
        self.signers = [_key(self.seed, f"signer{i}") for i in range(self.signer_count)]

    @property
    def ledger_id(self) -> str:
        return ledger_id(ORIGIN, self.operator.public_key)

    @property
    def source_count(self) -> int:
        return max(20, self.claims // 5000)

    @property
    def site_count(self) -> int:
        return max(10, self.claims // 120)  # six figures a site: ~20 claims a figure

    def lines(self) -> Iterator[str]:
        """The file's lines (without newlines), in order."""
        rng = random.Random(self.seed)
        sources = [f"src-{i:04d}" for i in range(self.source_count)]
        for i, s in enumerate(sources):
            yield _dumps({"type": "source", "id": s, "name": f"Source {i} ({KINDS[i % 6]})",
                          "kind": KINDS[i % len(KINDS)]})
        sites = []
        for i in range(self.site_count):
            name = f"region-{i % 97:02d}/site-{i:06d}"
            women = rng.uniform(0.3, 0.5)
            children = rng.uniform(0.01, 0.1)
            sites.append(_Site(name, rng.randrange(SPAN // 2), rng.randrange(20, 3000),
                               (women, 1 - women - children, children), rng.randrange(0, 40)))
            parts = [f"{name}/bodies/{p}" for p in ("women", "men", "children")]
            for part in parts:
                yield _dumps({"type": "figure", "id": part, "unit": "bodies",
                              "cumulative": True})
            yield _dumps({"type": "figure", "id": f"{name}/bodies", "unit": "bodies",
                          "cumulative": True, "parts": parts})
            yield _dumps({"type": "figure", "id": f"{name}/unidentified", "unit": "people",
                          "tolerance": "0.1"})
            yield _dumps({"type": "figure", "id": f"{name}/exhumation", "kind": "status",
                          "unit": "state", "states": STATES})
        recent: list[_Recent] = []
        with Pool(2) as pool:
            made = 0
            while made < self.claims:
                n = min(CHUNK, self.claims - made)
                reports = [self._report(rng, sites, sources, made + k) for k in range(n)]
                signed = pool.map(_sign_reports, _split(self, reports), chunksize=1)
                followups: list[tuple[int, dict[str, Any], int]] = []  # (after, line, signer)
                for k, (line, claim_id) in enumerate(x for part in signed for x in part):
                    _, figure, status, signer = reports[k]
                    recent.append(_Recent(claim_id, figure, status, signer))
                    roll = rng.random()
                    if roll < 0.10 and len(recent) > 10:
                        target = recent[rng.randrange(max(0, len(recent) - 5000), len(recent))]
                        if not target.retracted:
                            followups.append((k, self._followup(rng, target, roll < 0.05),
                                              target.signer))
                    signed_line = line
                    reports[k] = (signed_line, figure, status, signer)
                if len(recent) > 20000:
                    del recent[: len(recent) - 10000]
                done = pool.map(_sign_followups, _split_followups(self, followups), chunksize=1)
                lines_after: dict[int, list[str]] = {}
                for (after, _, _), text in zip(followups, (t for p in done for t in p),
                                               strict=True):
                    lines_after.setdefault(after, []).append(text)
                for k in range(n):
                    yield reports[k][0]
                    yield from lines_after.get(k, ())
                made += n

    # -- one report ------------------------------------------------------------

    def _report(self, rng: random.Random, sites: list[_Site], sources: list[str],
                number: int) -> tuple[dict[str, Any], str, bool, int]:
        site = sites[rng.randrange(len(sites))]
        which = rng.random()
        day = rng.randrange(SPAN)
        as_of, as_of_day = _as_of(rng, day)
        status = False
        if which < 0.30:
            figure = f"{site.name}/bodies"
            value = _quantity(rng, _count(site, as_of_day))
        elif which < 0.75:
            p = rng.randrange(3)
            figure = f"{site.name}/bodies/{('women', 'men', 'children')[p]}"
            value = _quantity(rng, round(_count(site, as_of_day) * site.shares[p]))
        elif which < 0.90:
            figure = f"{site.name}/unidentified"
            value = _quantity(rng, max(0, site.unidentified - as_of_day // 400))
        else:
            figure, status = f"{site.name}/exhumation", True
            grown = _count(site, as_of_day) / site.total
            value = ("planned" if grown == 0 else "completed" if grown >= 0.99 else
                     rng.choice(["ongoing", "ongoing", "suspended"]))
        published = FIRST_DAY + dt.timedelta(days=min(SPAN, as_of_day + rng.randrange(0, 40)))
        record: dict[str, Any] = {
            "type": "report", "figure": figure, "value": value, "as_of": as_of,
            "source": (source := sources[rng.randrange(len(sources))]),
            # a chain of other sources, each once (Tally refuses a via naming the source)
            "via": rng.sample([s for s in sources if s != source], rng.choice((0, 0, 0, 1, 2))),
            "url": f"https://news.example/{number:08d}/{rng.getrandbits(32):08x}",
            "published": (published.isoformat() if rng.random() < 0.8
                          else published.isoformat()[:7]),
            "quote": _quote(rng, value),
            "document_sha256": (hashlib.sha256(f"{self.seed}:{number}".encode()).hexdigest()
                                if rng.random() < 0.3 else None),
        }
        return record, figure, status, rng.randrange(self.signer_count)

    def _followup(self, rng: random.Random, target: _Recent, retract: bool) -> dict[str, Any]:
        if retract:
            target.retracted = True
            return {"type": "retraction", "claim": target.claim_id,
                    "reason": rng.choice(["misattributed", "duplicate of another report",
                                          "the source withdrew the article"])}
        value = rng.choice(STATES) if target.status else str(rng.randrange(0, 3000))
        return {"type": "correction", "claim": target.claim_id, "value": value,
                "reason": rng.choice(["the article was updated", "a typo in the count",
                                      "the final figure was published"])}


def _count(site: _Site, day: int) -> int:
    if day <= site.start:
        return 0
    return min(site.total, round(site.total * (day - site.start) / (SPAN / 3)))


def _quantity(rng: random.Random, true: int) -> str:
    if rng.random() < 0.1:  # a source that got it wrong
        true = max(0, true + rng.randrange(-true // 5 - 3, true // 5 + 3))
    r = rng.random()
    if r < 0.55:
        return str(true)
    if r < 0.67:
        return f"~{max(1, true)}"
    if r < 0.77:
        low = max(0, true - rng.randrange(1, 10))
        return f"{low}..{true + rng.randrange(1, 10)}"
    if r < 0.85:
        return f">={max(0, true - rng.randrange(0, 5))}"
    if r < 0.90:
        return f">{max(0, true - rng.randrange(1, 5))}"
    if r < 0.95:
        return f"<={true + rng.randrange(0, 5)}"
    return f"<{true + rng.randrange(1, 5)}"


def _as_of(rng: random.Random, day: int) -> tuple[str, int]:
    date = FIRST_DAY + dt.timedelta(days=day)
    r = rng.random()
    if r < 0.50:
        return date.isoformat(), day
    if r < 0.72:
        return date.isoformat()[:7], day
    if r < 0.76:
        return str(date.year), day
    if r < 0.83:
        return date.isoformat()[:7] + "?", day
    if r < 0.88:
        return date.isoformat() + "~", day
    length = rng.choice((6, 13, 29))
    end = min(LAST_DAY, date + dt.timedelta(days=length))
    return f"{date.isoformat()}/{end.isoformat()}", (end - FIRST_DAY).days


def _quote(rng: random.Random, value: str) -> str | None:
    if rng.random() < 0.2:
        return None
    words = [rng.choice(WORDS) for _ in range(rng.randrange(4, 16))]
    words.insert(rng.randrange(len(words) + 1), value)
    return " ".join(words)


def _dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


# -- signing, in worker processes ---------------------------------------------------

def _split(w: Workload, reports: list[Any]) -> list[tuple[int, int, str, list[Any]]]:
    half = (len(reports) + 1) // 2
    return [(w.seed, w.signer_count, w.ledger_id, [(r, s) for r, _, _, s in reports[i:i + half]])
            for i in range(0, len(reports), half)]


def _split_followups(w: Workload, items: list[Any]) -> list[tuple[int, int, str, list[Any]]]:
    half = max(1, (len(items) + 1) // 2)
    return [(w.seed, w.signer_count, w.ledger_id, [(r, s) for _, r, s in items[i:i + half]])
            for i in range(0, len(items), half)]


_KEYS: dict[tuple[int, int], tuple[KeyPair, list[KeyPair]]] = {}


def _keys(seed: int, count: int, index: int) -> KeyPair:
    if (seed, count) not in _KEYS:
        _KEYS[(seed, count)] = (_key(seed, "operator"),
                                [_key(seed, f"signer{i}") for i in range(count)])
    operator, signers = _KEYS[(seed, count)]
    return operator if index < 0 else signers[index]


def _signed(record: dict[str, Any], lid: str, key: KeyPair, body: str) -> str:
    return _dumps({**record, "ledger": lid, "signer": key.key_id,
                   "signature": signing.sign(key.private_key, body)})


def _sign_reports(job: tuple[int, int, str, list[Any]]) -> list[tuple[str, str]]:
    seed, count, lid, items = job
    out = []
    for record, signer in items:
        key = _keys(seed, count, signer)
        fields = {k: v for k, v in record.items() if k != "type"}
        rec = ReportRecord(**fields)
        kind = "status" if record["figure"].endswith("/exhumation") else "quantity"
        written = parse_value(rec.value, kind=kind, states=STATES if kind == "status" else None)
        # format v2, as `tally export` writes a claim: its erasable fields committed with
        # the salts the key derives, and those salts in the line
        plain = claim_body(lid, key.key_id, rec, written.written)
        salt_for = salts_of(key, plain)
        committed, _ = disclosure.commit(plain, salt_for)
        body = signing.canonical(committed)
        salts = {path: salt_for(path) for path in disclosure.commitments(committed)}
        line = {**record, "salts": salts} if salts else record
        out.append((_signed(line, lid, key, body), signing.body_id(body)))
    return out


def _sign_followups(job: tuple[int, int, str, list[Any]]) -> list[str]:
    seed, count, lid, items = job
    out = []
    for record, claim_signer in items:
        # one follow-up in ten is signed by the operator, the others by the claim's signer
        operator = int(hashlib.sha256(record["claim"].encode()).hexdigest(), 16) % 10 == 0
        key = _keys(seed, count, -1 if operator else claim_signer)
        fields = {k: v for k, v in record.items() if k != "type"}
        if record["type"] == "correction":
            rec = CorrectionRecord(**fields)
            kind = "status" if rec.value in STATES else "quantity"
            written = parse_value(rec.value, kind=kind, states=STATES if kind == "status" else None)
            body = signing.canonical(correction_body(lid, key.key_id, rec.claim, rec,
                                                     written.written))
        else:
            body = signing.canonical(retraction_body(lid, key.key_id, record["claim"],
                                                     RetractionRecord(**fields)))
        out.append(_signed(record, lid, key, body))
    return out


def cached(workload: Workload, cache: Path) -> Path:
    """The workload's file in `cache`, generated on first use. Pre-signed lines hold for one
    event format, and a changed generator makes other lines: the name carries both."""
    from tally.ledger.integrity.envelope import FORMAT_VERSION

    generator = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    path = cache / (f"claims-{workload.claims}-seed{workload.seed}-format{FORMAT_VERSION}"
                    f"-{generator}.jsonl")
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        print(f"generating {workload.claims:,} claims into {path} ...", flush=True)
        write(workload, path)
    return path


def write(workload: Workload, path: Path) -> int:
    """Write the workload's file; returns the number of lines."""
    count = 0
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for line in workload.lines():
            f.write(line + "\n")
            count += 1
    tmp.replace(path)
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("claims", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-o", "--output", type=Path, default=None)
    args = parser.parse_args()
    workload = Workload(args.claims, args.seed)
    if args.output:
        print(f"{write(workload, args.output)} lines written to {args.output}")
    else:
        for line in workload.lines():
            sys.stdout.write(line + "\n")


if __name__ == "__main__":
    main()
