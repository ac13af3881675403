"""Where each page of a published site lives, and how a page reaches the others.

Pages link with relative URLs, so the site works from `file://`, from any static server
and under any path prefix. Figure ids hold '/' (`izium/bodies` is
`figures/izium/bodies.html`), so a page's links climb as many folders as it is deep.
Figure ids are slug paths (`[a-z0-9][a-z0-9_.-]*` between slashes) and claim ids and
document hashes hex: none can climb out of its folder.
"""

from __future__ import annotations

from tally.ledger.site_documents import bytes_path, page_path, text_path

CHECKPOINT = "checkpoint"
LOG_INFO = "log.json"


def figure_page(figure_id: str, suffix: str = ".html") -> str:
    return f"figures/{figure_id}{suffix}"


def claim_page(claim_id: str, suffix: str = ".html") -> str:
    return f"claims/{claim_id}{suffix}"


def checkpoint_file(size: int) -> str:
    """A checkpoint the site keeps for good (the latest is also at `checkpoint`)."""
    return f"checkpoints/{size}"


def case_of(figure_id: str) -> str:
    """The case a figure belongs to: the first segment of its id (`izium`)."""
    return figure_id.split("/", 1)[0]


def root_of(path: str) -> str:
    """The relative URL from the page at `path` back to the site's root ("" at the root)."""
    return "../" * path.count("/")


def document_bytes(sha256: str) -> str:
    return bytes_path(sha256)


def document_text(sha256: str) -> str:
    return text_path(sha256)


def document_page(sha256: str) -> str:
    return page_path(sha256)
