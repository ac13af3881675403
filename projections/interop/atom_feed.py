"""An Atom feed (RFC 4287) of new and corrected claims, newest first, so that a newsroom
can subscribe to a site: an entry a claim, and an entry a correction or retraction of it,
each linking the claim's permalink and naming its leaf."""

from __future__ import annotations

import datetime as dt
from xml.etree import ElementTree as ET

from tally.ledger.model.moments import iso_utc
from tally.projections.interop.mapping import ClaimRecord, Record

ATOM = "http://www.w3.org/2005/Atom"
MAX_ENTRIES = 200


def _entry(feed: ET.Element, ident: str, title: str, link: str, when: dt.datetime,
           summary: str) -> None:
    entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
    ET.SubElement(entry, f"{{{ATOM}}}id").text = ident
    ET.SubElement(entry, f"{{{ATOM}}}title").text = title
    ET.SubElement(entry, f"{{{ATOM}}}link", href=link, rel="alternate", type="text/html")
    ET.SubElement(entry, f"{{{ATOM}}}updated").text = iso_utc(when, "seconds")
    ET.SubElement(entry, f"{{{ATOM}}}summary").text = summary


def _events(claim: ClaimRecord) -> list[tuple[dt.datetime, str, str, str]]:
    """(when, id, title, summary) of the claim and each of its follow-ups."""
    said = f"{claim.figure}: {claim.reported.written} as of {claim.as_of} ({claim.source.id})"
    found = [(claim.recorded_at, claim.permalink, said,
              f"Claim {claim.id}, leaf {claim.log.leaf_index} ({claim.log.leaf_hash}), "
              f"checkpoint {claim.log.checkpoint}.")]
    for f in claim.followups:
        change = f"corrected to {f.value.written}" if f.value else "retracted"
        found.append((f.recorded_at, f"{claim.permalink}#{f.id}",
                      f"{claim.figure}: {change} ({claim.source.id})",
                      f"{f.kind.capitalize()} {f.id} of claim {claim.id}: {f.reason}; leaf "
                      f"{f.log.leaf_index} ({f.log.leaf_hash}), checkpoint {f.log.checkpoint}."))
    return found


def feed(record: Record) -> bytes:
    """The feed's XML: the newest `MAX_ENTRIES` claims, corrections and retractions."""
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(root, f"{{{ATOM}}}id").text = record.base_url + "feed.atom"
    ET.SubElement(root, f"{{{ATOM}}}title").text = f"New and corrected claims: {record.origin}"
    ET.SubElement(root, f"{{{ATOM}}}link", href=record.base_url + "feed.atom", rel="self")
    ET.SubElement(root, f"{{{ATOM}}}link", href=record.base_url, rel="alternate")
    events = sorted((e for c in record.claims for e in _events(c)), key=lambda e: e[0],
                    reverse=True)[:MAX_ENTRIES]
    updated = events[0][0] if events else dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    ET.SubElement(root, f"{{{ATOM}}}updated").text = iso_utc(updated, "seconds")
    author = ET.SubElement(root, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = record.origin
    for when, ident, title, summary in events:
        _entry(root, ident, title, ident, when, summary)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"
