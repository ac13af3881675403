"""Where each page of a published site lives, and how a page reaches the others.

Pages link with relative URLs, so the site works from `file://`, from any static server
and under any path prefix. Figure ids hold '/' (`izium/bodies` is
`figures/izium/bodies.html`), so a page's links climb as many folders as it is deep.
Figure ids are slug paths (`[a-z0-9][a-z0-9_.-]*` between slashes) and claim ids and
document hashes hex: none can climb out of its folder.

The mapping from figure ids to paths is injective, and stays so on a file system that
ignores case: no two ids share a file, and no id's folder is another id's file
(`x` is `figures/x.html`, so `x.html/y` is `figures/x.html~/y.html`). See
`figure_path`.
"""

from __future__ import annotations

import re

from tally.ledger.tlog.documents import bytes_path, page_path, text_path

CHECKPOINT = "checkpoint"
LOG_INFO = "log.json"


_KEPT = re.compile(r"[a-z0-9_.-]")
_FOLDER_MARK = "~"


def figure_page(figure_id: str, suffix: str = ".html") -> str:
    """`suffix` must hold a '.' (every page's does), so no file is named like a folder."""
    return f"figures/{figure_path(figure_id)}{suffix}"


def figure_path(figure_id: str) -> str:
    """The id's path without its suffix: each segment escaped (`_escape`), and every
    folder segment that holds a '.' marked with a trailing '~'.

    Files end with a suffix that holds a '.', so a folder named without a '.' cannot be a
    file's name, and a marked one ends with '~', which no escaped segment ends with. An
    escaped segment is lowercase, so case-insensitive file systems keep the ids apart.
    """
    *folders, name = figure_id.split("/")
    marked = [_escape(f) + (_FOLDER_MARK if "." in f else "") for f in folders]
    return "/".join([*marked, _escape(name)])


def _escape(segment: str) -> str:
    """Lowercase letters, digits, '_', '.' and '-' as they are (all a valid id holds);
    any other character as `~` and its code point in lowercase hex, with a ';' after."""
    return "".join(c if _KEPT.fullmatch(c) else f"~{ord(c):x};" for c in segment)


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
