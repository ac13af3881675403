"""`tally documents add` and `tally extract` on a large HTML page and a long PDF.

    python benchmarks/evidence.py [--html-mb 1] [--pages 100]

Writes a news-style HTML page of about --html-mb MB and a PDF of --pages pages (each a
page of news-style sentences with numbers, dates and hedges), then runs, as a person
would, `tally documents add` (reading, normalising, hashing, storing, signing) and
`tally extract` (the candidates of the stored text) on each, in a fresh SQLite ledger;
wall time and peak memory per command, start-up included (docs/performance.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from run import TALLY, measured  # noqa: E402

SENTENCES = [
    "Investigators said on {d} September that more than {n} bodies had been exhumed.",
    "About {n} graves were counted in the forest, and at least {m} of them were unmarked.",
    "Between {m} and {n} residents were still missing, a {d}-year-old volunteer said.",
    "Officials reported that {n} homes were destroyed and nearly {m} percent damaged.",
    "Hundreds of families waited at 10:30 for news from the morgue.",
]


def _sentences(count: int) -> list[str]:
    return [SENTENCES[i % len(SENTENCES)].format(n=100 + i % 900, m=10 + i % 90,
                                                   d=1 + i % 28) for i in range(count)]


def html_page(megabytes: float) -> bytes:
    head = ("<html><head><title>Update</title><script>var x = 1;</script></head><body>"
            "<nav><a href='/'>Home</a> | <a href='/news'>News</a></nav><article>"
            "<h1>Site update</h1>")
    paragraphs, size, i = [], len(head), 0
    while size < megabytes * 1_000_000:
        p = "<p>" + " ".join(_sentences(5 + i % 3)) + "</p>"
        paragraphs.append(p)
        size += len(p)
        i += 1
    return (head + "".join(paragraphs) + "</article><footer>Copyright</footer></body>"
            "</html>").encode()


def pdf_document(pages: int, lines_per_page: int = 40) -> bytes:
    """A PDF of `pages` pages of text in Helvetica. Written by hand: no PDF library the
    project installs lays out text (pypdf reads and merges, it does not typeset)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for page in range(pages):
        text = _sentences(lines_per_page * (page + 1))[-lines_per_page:]
        stream = "BT /F1 9 Tf 40 800 Td 11 TL " + " ".join(
            "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            + ") '" for line in text) + " ET"
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream"
                       % (len(stream), stream.encode("latin-1")))
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                       b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>"
                       % len(objects))
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids), pages)
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--html-mb", type=float, default=1.0)
    parser.add_argument("--pages", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        env = {**os.environ, "TALLY_HOME": str(tmp / "home"), "TALLY_DB": str(tmp / "t.db")}
        for setup in (["init", "--name", "example.org/bench", "--key", "operator"],
                      ["sources", "add", "news", "--name", "News", "--kind", "media",
                       "--key", "operator"]):
            subprocess.run([TALLY, *setup], env=env, check=True, capture_output=True)
        files = {"html": tmp / "page.html", "pdf": tmp / "report.pdf"}
        files["html"].write_bytes(html_page(args.html_mb))
        files["pdf"].write_bytes(pdf_document(args.pages))
        rows = []
        for kind, path in files.items():
            add = measured([TALLY, "--json", "documents", "add", str(path), "--key",
                            "operator"], env, tmp)
            sha = json.loads(add.stdout)["id"]
            out = tmp / f"{kind}.jsonl"
            extract = measured([TALLY, "extract", sha, "--source", "news", "--published",
                                "2025-02-03", "-o", str(out)], env, tmp)
            candidates = len(out.read_text().splitlines())
            rows.append((kind, path.stat().st_size, add, extract, candidates))
        print("\n| input | bytes | documents add s | MB | extract s | MB | candidates |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for kind, size, add, extract, candidates in rows:
            label = (f"HTML, {args.html_mb:g} MB" if kind == "html"
                     else f"PDF, {args.pages} pages")
            print(f"| {label} | {size:,} | {add.wall:.2f} | {add.rss_mb:.0f} | "
                  f"{extract.wall:.2f} | {extract.rss_mb:.0f} | {candidates:,} |")


if __name__ == "__main__":
    main()
