"""The Jinja2 environment of the site: templates shipped as package data, autoescaped.

Recorded text (names, quotes, reasons, URLs) comes from whoever recorded it. Every page
goes through autoescaping, so markup in it is shown, never parsed; `shown` also writes
each hidden character (a bidi override, a zero-width space: see `ledger/model/text.py`) as its
code point, so one text cannot pose as another on screen; `web_url` makes a link only
of an http(s) URL (never `javascript:` or `data:`).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib import resources
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined

from tally.ledger.model.text import code_point, is_hidden
from tally.projections.publish.site import paths

_PACKAGE = "tally.projections.publish.site"


def shown(text: object) -> str:
    """`text` with every hidden character written as its code point, e.g. [U+202E]."""
    value = "" if text is None else str(text)
    if value.isprintable():  # the common case: printable text holds none
        return value
    return "".join(f"[{code_point(c)}]" if is_hidden(c) else c for c in value)


def web_url(url: str | None) -> str | None:
    """`url` if a reader may follow it (http or https, to a host, no hidden or space
    characters), else None: the page then shows it as text."""
    if not url or shown(url) != url or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def when(moment: dt.datetime) -> str:
    """A recorded time as a reader reads it: 2026-01-15 12:00:00 UTC."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def pixels(value: float) -> str:
    """A pixel position as SVG text: at most one decimal, no float artefacts (118.4, 5)."""
    text = f"{round(float(value), 1) + 0.0:.1f}"
    return text[:-2] if text.endswith(".0") else text


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader(_PACKAGE, "templates"),
        autoescape=True,  # every template, whatever its name: recorded text is never markup
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(shown=shown, web_url=web_url, when=when, px=pixels)
    env.globals["paths"] = paths  # macros imported without the page's context are cached
    return env


def render(template: str, **context: object) -> bytes:
    return environment().get_template(template).render(**context).encode("utf-8")


def static_files() -> list[tuple[str, bytes]]:
    """The site's static assets (stylesheet...), as (path under static/, bytes), by name."""
    folder = resources.files(_PACKAGE) / "static"
    return sorted((f"static/{f.name}", f.read_bytes()) for f in folder.iterdir()
                  if f.is_file())
