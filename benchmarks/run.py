"""The Tally benchmark: one run on the embedded SQLite default (or PostgreSQL), one table.

    python benchmarks/run.py --claims 50000        (what `make bench` runs)
    python benchmarks/run.py --claims 50000 --compare old.json   (then beside an earlier run)
    pg_virtualenv -v 15 -t python benchmarks/run.py --claims 50000 --postgres

It generates (or reuses) a deterministic synthetic file (benchmarks/generate.py),
creates a ledger in a temporary directory, registers the file's signers, then
measures, each in its own process where memory matters:

- bulk import of the pre-signed file with `tally import` (end to end: parsing,
  validation, every signature check, the event store, the Merkle log and the
  read-model catch-up), in claims/s and events/s, its peak RSS and its CPU time;
- `tally import --key` of the same reports without their signatures (the follow-ups left
  out), into a ledger of its own: each body built, committed and signed at import;
- `tally verify` (the streaming audit alone, and the whole command, which also
  compares the read models with a fresh rebuild) and `tally rebuild`, in events/s,
  with their peak RSS and CPU time;
- one `tally report` as a user runs it (process start included), median of 5, beside
  the start-up floor: a process that only imports the libraries it needs;
- `show` and `history` in process (median and p99 over 200 figures), and the
  generation of an inclusion proof (median over 50 claims);
- bytes on disk per claim (the SQLite file, or `pg_database_size`).

In the same run it measures the references on this machine: the raw Ed25519 verify and
sign rates on 1 and 2 threads (libsodium, which Tally verifies with, and OpenSSL through
`cryptography`, which it signs with), and the bare `eventsourcing` batched append rate
(an aggregate with a body of the same size, batches of 500, the library's own SQLite or
PostgreSQL module);
every throughput is also printed as a ratio to them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import ORIGIN, Workload, cached  # noqa: E402

TALLY = str(Path(sys.executable).parent / "tally")
# A process that only imports the libraries `tally report` needs: the start-up floor.
LIBRARIES = ("import sqlalchemy, typer, pydantic, rich.console, eventsourcing.application, "
             "cryptography.hazmat.primitives.asymmetric.ed25519")
CORES = os.cpu_count() or 1

# Run a command and report its wall time, peak RSS and CPU time: RUSAGE_CHILDREN in a
# wrapper process whose only child is the command, so each figure is that command's own
# (the CPU time includes its signature workers; on a shared machine it moves less than
# the wall time does).
_WRAPPER = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[2:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
rss, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
with open(sys.argv[1], "w") as f:
    json.dump({"rc": done.returncode, "wall": wall, "rss_kb": rss, "cpu": cpu,
               "stdout": done.stdout.decode(errors="replace")[-20000:],
               "stderr": done.stderr.decode(errors="replace")[-4000:]}, f)
"""


@dataclass
class Child:
    wall: float
    rss_mb: float
    cpu: float
    stdout: str


def measured(cmd: list[str], env: dict[str, str], tmp: Path) -> Child:
    out = tmp / "child.json"
    subprocess.run([sys.executable, "-c", _WRAPPER, str(out), *cmd], env=env, check=True)
    result = json.loads(out.read_text())
    print(f"  {Path(cmd[0]).name} {cmd[-1] if len(cmd) < 6 else cmd[3]}: {result['wall']:.1f} s, "
          f"{result['cpu']:.1f} s CPU, {result['rss_kb'] / 1024:.0f} MB", flush=True)
    if result["rc"] != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({result['rc']}):\n{result['stderr']}"
                         f"\n{result['stdout'][-2000:]}")
    return Child(result["wall"], result["rss_kb"] / 1024, result["cpu"], result["stdout"])


# -- references -----------------------------------------------------------------------

def ed25519_rates(workload: Workload, bodies: list[str]) -> dict[str, float]:
    """Raw verify and sign rates (per second) with 1 and 2 threads, libsodium and OpenSSL
    (Tally verifies with libsodium and signs with OpenSSL through `cryptography`)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
    from nacl.bindings import crypto_sign, crypto_sign_open, crypto_sign_seed_keypair

    key = workload.signers[0]
    messages = [b.encode() for b in bodies]
    signatures = [key.private_key.sign(m) for m in messages]
    public = key.public_key
    openssl = Ed25519PublicKey.from_public_bytes(public)

    def sodium_chunk(r: range) -> None:
        for i in r:
            crypto_sign_open(signatures[i] + messages[i], public)

    def openssl_chunk(r: range) -> None:
        for i in r:
            openssl.verify(signatures[i], messages[i])

    seed = key.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw,
                                         NoEncryption())
    _, secret = crypto_sign_seed_keypair(seed)

    def sodium_sign_chunk(r: range) -> None:
        for i in r:
            crypto_sign(messages[i], secret)

    def openssl_sign_chunk(r: range) -> None:
        for i in r:
            key.private_key.sign(messages[i])

    n = len(messages)
    chunks = [range(i, min(n, i + 256)) for i in range(0, n, 256)]
    rates: dict[str, float] = {}
    for name, fn in (("sodium", sodium_chunk), ("openssl", openssl_chunk),
                     ("sodium_sign", sodium_sign_chunk), ("openssl_sign", openssl_sign_chunk)):
        for threads in (1, 2):
            best = 0.0
            for _ in range(2):
                with ThreadPoolExecutor(threads) as pool:
                    started = time.perf_counter()
                    list(pool.map(fn, chunks))
                    best = max(best, n / (time.perf_counter() - started))
            rates[f"{name}_{threads}"] = best
    return rates


def bare_append_rate(tmp: Path, n: int, body: str, postgres: str | None = None) -> float:
    """eventsourcing alone: an aggregate event with a body and a signature, batches of 500
    (in SQLite, or in the PostgreSQL database named `postgres`)."""
    from uuid import UUID

    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event

    class Item(Aggregate):
        @event("Recorded")
        def __init__(self, body: str, signature: str, value: dict[str, str]) -> None:
            self.body = body

    class Bare(Application[UUID]):
        name = "Bare"

    path = tmp / "bare.db"
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
    if postgres is not None:  # the server pg_virtualenv's PG* variables name
        env = {"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": postgres,
               "POSTGRES_HOST": os.environ.get("PGHOST", "localhost"),
               "POSTGRES_PORT": os.environ.get("PGPORT", "5432"),
               "POSTGRES_USER": os.environ.get("PGUSER", ""),
               "POSTGRES_PASSWORD": os.environ.get("PGPASSWORD", "")}
    app = Bare(env=env)
    value = {"kind": "exact", "low": "447", "high": None}
    started = time.perf_counter()
    for start in range(0, n, 500):
        app.save(*[Item(body=body, signature="ab" * 64, value=value)
                   for _ in range(min(500, n - start))])
    rate = n / (time.perf_counter() - started)
    app.close()
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return rate


# -- setup ---------------------------------------------------------------------------

UNSIGNED_DROPS = ("salts", "ledger", "signer", "signature")


def unsigned_reports(source: Path, target: Path, limit: int | None = None) -> int:
    """The workload's sources, figures and (at most `limit`) reports with the reports'
    signatures (and their salts) taken out, for `tally import --key` to sign; follow-ups
    name claims by ids the pre-signed bodies give, so they are left out. Returns the number
    of reports."""
    count = 0
    with source.open("rb") as f, target.open("w", encoding="utf-8") as out:
        for raw in f:
            if raw.startswith(b'{"type":"report"'):
                if limit is not None and count >= limit:
                    continue
                record = json.loads(raw)
                for field in UNSIGNED_DROPS:
                    record.pop(field, None)
                out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
                count += 1
            elif raw.startswith((b'{"type":"source"', b'{"type":"figure"')):
                out.write(raw.decode("utf-8"))
    return count


class Postgres:
    """Throwaway databases on the PostgreSQL server the PG* variables name (pg_virtualenv)."""

    def __init__(self) -> None:
        self.created: list[str] = []

    def new(self, name: str) -> str:
        import psycopg
        from psycopg import sql

        dbname = f"tally_bench_{name}_{os.getpid()}"
        with psycopg.connect(autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                         .format(sql.Identifier(dbname)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        self.created.append(dbname)
        return dbname

    def size(self, dbname: str) -> int:
        import psycopg

        with psycopg.connect(dbname=dbname) as conn:
            found = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        return int(found[0]) if found else 0

    def drop_all(self) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(autocommit=True) as conn:
            for dbname in self.created:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                             .format(sql.Identifier(dbname)))


def write_key(home: Path, name: str, key: Any) -> None:
    from cryptography.hazmat.primitives import serialization

    keys = home / "keys"
    keys.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = key.private_key.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
    path = keys / f"{name}.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    (keys / f"{name}.pub").write_text(key.public_key.hex() + "\n")


def create_ledger(db: Path | str, home: Path, workload: Workload) -> None:
    from tally.ledger.application import Ledger
    from tally.projections.readmodel import ReadModel

    with Ledger.open(str(db), create=True) as ledger:
        ReadModel(ledger).attach()
        ledger.init(ORIGIN, workload.operator)
        for i, key in enumerate(workload.signers):
            ledger.add_signer(f"signer{i}", key.public_key, workload.operator)
    write_key(home, "operator", workload.operator)
    write_key(home, "signer0", workload.signers[0])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


# -- the run ---------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description="Tally benchmark (see module docstring)")
    parser.add_argument("--claims", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "tally-bench",
                        help="where generated files are kept between runs")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep the ledger here instead of a temporary directory")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--postgres", action="store_true",
                        help="the ledger (and the bare append reference) in PostgreSQL, on "
                             "the server the PG* variables name: run under pg_virtualenv")
    parser.add_argument("--keyed-claims", type=int, default=None, metavar="N",
                        help="import with --key at most N of the reports, unsigned (default: "
                             "all of them)")
    parser.add_argument("--compare", type=Path, default=None, metavar="OLD_JSON",
                        help="then print this run beside an earlier --json file "
                             "(benchmarks/compare.py)")
    args = parser.parse_args()

    # read first: a missing file should stop the run before it starts, not after it
    earlier = json.loads(args.compare.read_text()) if args.compare else None
    workload = Workload(args.claims, args.seed)
    source = cached(workload, args.cache)
    counts = {"report": 0, "correction": 0, "retraction": 0}
    bodies: list[str] = []
    figures: list[str] = []
    with source.open("rb") as f:
        for raw in f:
            if raw.startswith(b'{"type":"figure"'):
                figures.append(json.loads(raw)["id"])
            for k in counts:
                if raw.startswith(b'{"type":"' + k.encode()):
                    counts[k] += 1
                    if k == "report" and len(bodies) < 20_000:
                        bodies.append(raw.decode())

    tmp_root = args.workdir or Path(tempfile.mkdtemp(prefix="tally-bench-"))
    tmp_root.mkdir(parents=True, exist_ok=True)
    db, home = tmp_root / "tally.db", tmp_root / "home"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    server = Postgres() if args.postgres else None
    ledger_db = f"postgresql:///{server.new('ledger')}" if server else str(db)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TALLY_")}
    env["TALLY_HOME"] = str(home)
    base = [TALLY, "--db", ledger_db]
    engine = "PostgreSQL" if server else "SQLite"
    figures_out: dict[str, Any] = {"claims": args.claims, "cores": CORES, "engine": engine,
                                   **counts}
    try:
        print(f"{CORES} cores; {counts['report']:,} reports, {counts['correction']:,} "
              f"corrections, {counts['retraction']:,} retractions, {len(figures):,} figures; "
              f"ledger in {tmp_root}", flush=True)

        print("references ...", flush=True)
        rates = ed25519_rates(workload, bodies)
        bare = bare_append_rate(tmp_root, min(args.claims, 50_000), bodies[0],
                                server.new("bare") if server else None)
        # Tally verifies with libsodium and signs with OpenSSL: each against its own library
        ref_sig, ref_sign, ref_append = rates["sodium_2"], rates["openssl_sign_2"], bare

        create_ledger(ledger_db, home, workload)

        print("import ...", flush=True)
        # reports are pre-signed; the source and figure lines are signed by --key
        imported = measured([*base, "--json", "import", str(source), "--key", "signer0"],
                            env, tmp_root)
        summary = json.loads(imported.stdout)
        events = summary["added"]  # a few generated follow-ups repeat an earlier one exactly

        from tally.ledger.application import Ledger
        from tally.projections.readmodel import ReadModel

        with Ledger.open(ledger_db) as ledger:
            checkpoint_s = timed(lambda: ledger.checkpoint(workload.operator))
            total_events = ledger.events.max_position()

        print("verify ...", flush=True)
        audit = measured([sys.executable, str(Path(__file__).resolve()), "--audit-only",
                          ledger_db], env, tmp_root)
        verified = measured([*base, "--json", "verify"], env, tmp_root)
        assert json.loads(verified.stdout)["ok"], verified.stdout[:2000]
        print("rebuild ...", flush=True)
        rebuilt = measured([*base, "--json", "rebuild"], env, tmp_root)

        print("import with --key ...", flush=True)
        unsigned = tmp_root / "unsigned.jsonl"
        keyed_reports = unsigned_reports(source, unsigned, args.keyed_claims)
        keyed_db = f"postgresql:///{server.new('keyed')}" if server else str(
            tmp_root / "keyed.db")
        create_ledger(keyed_db, home, workload)
        keyed = measured([TALLY, "--db", keyed_db, "--json", "import", str(unsigned),
                          "--key", "signer0"], env, tmp_root)
        assert json.loads(keyed.stdout)["added"] >= keyed_reports, keyed.stdout[:2000]

        print("report, show, history, proof ...", flush=True)
        rng = random.Random(args.seed)
        site_figures = [f for f in figures if f.endswith("/unidentified")]
        report_walls = []
        for i in range(5):
            figure = rng.choice(site_figures)
            cmd = [*base, "report", figure, str(1000 + i), "--as-of", "2025-06-01",
                   "--source", "src-0000", "--key", "signer0", "--quote", f"bench {i}"]
            started = time.perf_counter()
            subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
            report_walls.append(time.perf_counter() - started)
        floor_walls = []  # what importing the required libraries alone costs, same moment
        for _ in range(5):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", LIBRARIES], env=env, check=True)
            floor_walls.append(time.perf_counter() - started)

        with Ledger.open(ledger_db) as ledger:
            views = ReadModel(ledger).attach()
            sample = [rng.choice(figures) for _ in range(200)]
            show_ms = [1000 * timed(lambda f=f: views.show(f)) for f in sample]
            history_ms = [1000 * timed(lambda f=f: views.history(f)) for f in sample]
            history_entries = statistics.mean(len(views.history(f).entries) for f in sample[:50])
            with ledger.engine.connect() as conn:
                from sqlalchemy import text
                ids = [r[0] for r in conn.execute(text(
                    "SELECT claim_id FROM tally_view_history WHERE kind = 'claim' "
                    "ORDER BY random() LIMIT 50"))]
            proof_ms = [1000 * timed(lambda c=c: ledger.inclusion_proof(c)) for c in ids]
        if server:
            disk = server.size(ledger_db.rsplit("/", 1)[1])
        else:
            import sqlite3

            with sqlite3.connect(db) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            disk = sum(Path(str(db) + s).stat().st_size for s in ("", "-wal", "-shm")
                       if Path(str(db) + s).exists())

        import_rate = counts["report"] / imported.wall
        import_events = events / imported.wall
        rows: list[tuple[str, str, str, str, str]] = []

        def ratio(rate: float) -> str:
            return f"{rate / ref_sig:.2f} x sig, {rate / ref_append:.2f} x append"

        def row(name: str, value: str, target: str, ok: bool | None, ratios: str = "") -> None:
            mark = "" if ok is None else ("met" if ok else "MISSED")
            rows.append((name, value, target, mark, ratios))

        # the targets of issue 26, each a ratio to a reference measured in this run
        row("bulk import", f"{import_rate:,.0f} claims/s ({import_events:,.0f} events/s)",
            ">= 0.5 x sig", import_rate / ref_sig >= 0.5, ratio(import_rate))
        keyed_rate = keyed_reports / keyed.wall
        row("import with --key", f"{keyed_rate:,.0f} claims/s",
            ">= 0.5 x sign", keyed_rate / ref_sign >= 0.5,
            f"{keyed_rate / ref_sign:.2f} x sign")
        audit_rate = total_events / audit.wall
        verify_rate = total_events / verified.wall
        rebuild_rate = total_events / rebuilt.wall
        row("verify (audit only)", f"{audit_rate:,.0f} events/s", ">= 0.8 x sig",
            audit_rate / ref_sig >= 0.8, ratio(audit_rate))
        row("tally verify (+ read models vs rebuild)", f"{verify_rate:,.0f} events/s",
            ">= 0.5 x sig", verify_rate / ref_sig >= 0.5, ratio(verify_rate))
        row("tally rebuild", f"{rebuild_rate:,.0f} events/s", ">= 50,000/s, 2 x append",
            rebuild_rate >= 50_000 and rebuild_rate >= 2 * ref_append, ratio(rebuild_rate))
        report_ms = 1000 * statistics.median(report_walls)
        floor_ms = 1000 * statistics.median(floor_walls)
        row("tally report (wall, median of 5)", f"{report_ms:,.0f} ms", "<= 1.3 x floor",
            report_ms <= 1.3 * floor_ms, f"{report_ms / floor_ms:.2f} x import floor")
        for name, values in (("show", show_ms), ("history", history_ms)):
            p50, p99 = statistics.median(values), percentile(values, 99)
            row(f"{name} in process (median / p99)", f"{p50:.1f} / {p99:.1f} ms", "<= 20 ms",
                p99 <= 20)
        row("inclusion proof (median)", f"{statistics.median(proof_ms):.1f} ms", "", None)
        row("checkpoint", f"{1000 * checkpoint_s:,.0f} ms", "", None)
        for name, child in (("import", imported), ("import with --key", keyed),
                            ("verify (audit only)", audit), ("tally verify", verified),
                            ("rebuild", rebuilt)):
            row(f"peak RSS {name}", f"{child.rss_mb:,.0f} MB", "<= 300 MB", child.rss_mb <= 300)
        per_claim = disk / counts["report"]
        row("disk per claim", f"{per_claim:,.0f} B ({disk / 2**20:,.0f} MiB)", "<= 2,048 B",
            per_claim <= 2048)
        row("ref: Ed25519 verify, 2 threads (sig)", f"{ref_sig:,.0f} /s",
            f"1 thread {rates['sodium_1']:,.0f}", None,
            f"OpenSSL {rates['openssl_1']:,.0f} / {rates['openssl_2']:,.0f}")
        row("ref: Ed25519 sign, 2 threads (sign)", f"{ref_sign:,.0f} /s",
            f"1 thread {rates['openssl_sign_1']:,.0f}", None,
            f"libsodium {rates['sodium_sign_1']:,.0f} / {rates['sodium_sign_2']:,.0f}")
        row("ref: eventsourcing batched append", f"{ref_append:,.0f} events/s", "batches of 500",
            None)
        row("ref: import floor (python + libraries)", f"{floor_ms:,.0f} ms", "median of 5", None)

        figures_out.update(
            events=total_events, import_claims_s=import_rate, import_events_s=import_events,
            import_s=imported.wall, keyed_claims=keyed_reports, keyed_claims_s=keyed_rate,
            audit_events_s=audit_rate, verify_events_s=verify_rate,
            rebuild_events_s=rebuild_rate, report_ms=report_ms, import_floor_ms=floor_ms,
            show_ms=[statistics.median(show_ms), percentile(show_ms, 99)],
            history_ms=[statistics.median(history_ms), percentile(history_ms, 99)],
            history_entries_mean=history_entries, proof_ms=statistics.median(proof_ms),
            rss_mb={"import": imported.rss_mb, "keyed": keyed.rss_mb, "audit": audit.rss_mb,
                    "verify": verified.rss_mb, "rebuild": rebuilt.rss_mb},
            cpu_s={"import": imported.cpu, "keyed": keyed.cpu, "audit": audit.cpu,
                   "verify": verified.cpu,
                   "rebuild": rebuilt.cpu},
            disk_bytes=disk, disk_per_claim=per_claim, ed25519=rates, bare_append=ref_append)
        print_table(args.claims, total_events, rows, history_entries, engine)
        if args.json:
            args.json.write_text(json.dumps(figures_out, indent=2))
        if earlier is not None:
            from compare import print_comparison

            print_comparison(earlier, figures_out, f"{args.compare.name} -> this run")
    finally:
        if server:
            server.drop_all()
        if args.workdir is None:
            shutil.rmtree(tmp_root, ignore_errors=True)


def print_table(claims: int, events: int, rows: list[tuple[str, str, str, str, str]],
                history_entries: float, engine: str) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover
        for r in rows:
            print(" | ".join(r))
        return
    table = Table(title=f"Tally at {claims:,} claims ({events:,} events), {engine}, {CORES} cores")
    for column in ("measure", "result", "target", "", "ratio to references"):
        table.add_column(column)
    for r in rows:
        style = "bold red" if r[3] == "MISSED" else None
        table.add_row(*r, style=style)
    Console(width=160).print(table)
    print(f"(history queries return {history_entries:.1f} entries on average; "
          "sig = 2-thread Ed25519 verify (libsodium), sign = 2-thread Ed25519 sign (OpenSSL), "
          "append = bare eventsourcing append)")


def audit_only(db: str) -> None:
    """Child mode: the streaming audit alone (ledger.verify), as `tally verify` runs it."""
    from tally.ledger.application import Ledger
    from tally.ledger.errors import AuditError
    from tally.ledger.verify.audit import verify

    with Ledger.open(db) as ledger:
        try:
            audited = verify(ledger.parts)
        except AuditError as e:
            print(json.dumps({"ok": False, "events": e.checked.events, "problem": e.message}))
            raise SystemExit(1) from None
    print(json.dumps({"ok": True, "events": audited.events, "problem": None}))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--audit-only":
        audit_only(sys.argv[2])
    else:
        main()
