"""Tally's own stored-event format and the Merkle leaf built from it (versions 1 and 2).

A stored event is four persisted values: the aggregate id, its version, the type
name (`claim.recorded` …) and the state. The state is the canonical JSON of
exactly three strings: the signed body, the signature (128 hex digits) and the
operator's recording time (ISO 8601, UTC, microseconds). It is parsed strictly,
so one event has one byte string.

The leaf is the canonical JSON of the type, aggregate id, version, body,
signature, recording time, the format version the event is written in (2 for
format v2's statements, `version_of`), and the SHA-256 of the state bytes as
persisted: every persisted byte is in the leaf or bound by that
digest. This module is pure (no database): an auditor's own verifier needs only
it, `signing` and `merkle`. See docs/formats.md for the vectors.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from json.encoder import encode_basestring as _json_string

from tally.ledger.errors import VerificationError
from tally.ledger.integrity.signing import canonical

FORMAT_VERSION = 2  # the newest; a leaf carries the version its event is written in
# Format v2's statements: the take-down orders, and a claim whose body commits to an
# erasable value. In canonical JSON a string's quotes are escaped, so this text occurs in
# a body only as a commitment object, never inside a value.
V2_TYPES = frozenset({"claim.redacted", "document.withheld", "witness.removed",
                      "witness.updated"})
_COMMITMENT = '{"commitment":"'
MAX_LEAF_BYTES = 65535  # a C2SP tile entry carries a 2-byte length
_HEX = frozenset("0123456789abcdef")
# the one form `format_time` writes: UTC, microseconds, "+00:00"
_RECORDED = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}\+00:00")


class Withheld(VerificationError):
    """A stored event whose body an operator's order took down (format v2, `tally redact
    --field body`): its state is a stub that keeps the Merkle leaf hash the event had and
    nothing else (not even its recording time, which nothing could vouch for any more).
    Readers that show or replay bodies catch it; anything else refuses the stub as it
    refuses a state it cannot decode."""

    def __init__(self, leaf_hash: bytes) -> None:
        super().__init__("the event's body was withheld by an order of the operator")
        self.leaf_hash = leaf_hash


def encode_stub(leaf_hash: bytes) -> bytes:
    """The state that replaces a withheld event's: canonical JSON of its leaf hash (hex)."""
    return canonical({"withheld": leaf_hash.hex()}).encode("utf-8")


@dataclass(frozen=True)
class Stored:
    """What a stored event's state holds, decoded."""

    body: str
    signature: str
    recorded: dt.datetime
    recorded_text: str = ""  # as stored (its one form), when decoded from a state

    def time_text(self) -> str:
        return self.recorded_text or format_time(self.recorded)


def format_time(recorded: dt.datetime) -> str:
    """The one text form of a recording time: UTC, microseconds, `+00:00`."""
    if recorded.tzinfo is None:
        raise ValueError("a recording time must carry its time zone")
    return recorded.astimezone(dt.UTC).isoformat(timespec="microseconds")


def encode_state(body: str, signature: str, recorded: dt.datetime) -> bytes:
    return canonical({"body": body, "recorded": format_time(recorded),
                      "signature": signature}).encode("utf-8")


def state_sha256(state: bytes) -> str:
    return hashlib.sha256(state).hexdigest()


# Each stored event is decoded twice per write: by the Merkle log (its leaf) and then by
# the read model (its rows), a batch apart at most. The same bytes always decode to the
# same frozen `Stored` (a refusal is raised again, never kept), so the second decoding of
# the last few thousand states is a look-up.
DECODED_STATES = 4096


@lru_cache(maxsize=DECODED_STATES)
def decode_state(state: bytes) -> Stored:
    """The state's three fields; VerificationError unless it is exactly their canonical form."""
    try:
        text = bytes(state).decode("utf-8")
        fields = json.loads(text)
    except (UnicodeDecodeError, ValueError, TypeError):
        raise VerificationError("the stored state is not UTF-8 JSON") from None
    if isinstance(fields, dict) and set(fields) == {"withheld"}:
        raise _stub(fields, text)
    if not isinstance(fields, dict) or set(fields) != {"body", "recorded", "signature"} \
            or not all(type(v) is str for v in fields.values()):
        raise VerificationError("the stored state must hold exactly body, recorded, signature")
    signature = fields["signature"]
    if len(signature) != 128 or not set(signature) <= _HEX:
        raise VerificationError("the stored signature is not 128 lowercase hex digits")
    if _RECORDED.fullmatch(fields["recorded"]) is None:
        raise VerificationError("the stored recording time is not in its one ISO 8601 form")
    try:
        recorded = dt.datetime.fromisoformat(fields["recorded"])
    except ValueError:
        raise VerificationError("the stored recording time is not a valid time") from None
    # What canonical() writes for these three strings, built directly (hot: every event of
    # every audit and catch-up; the two agree byte for byte: test_canonical_differential)
    if (f'{{"body":{_json_string(fields["body"])},"recorded":"{fields["recorded"]}",'
            f'"signature":"{signature}"}}') != text:
        raise VerificationError("the stored state is not in canonical form (RFC 8785)")
    return Stored(fields["body"], signature, recorded, fields["recorded"])


def _stub(fields: dict[str, object], text: str) -> VerificationError:
    """A withheld event's stub as `Withheld`, if it is exactly one; else the refusal."""
    leaf = fields["withheld"]
    if not (isinstance(leaf, str) and len(leaf) == 64 and set(leaf) <= _HEX):
        return VerificationError("the stored stub of a withheld event is malformed")
    if encode_stub(bytes.fromhex(leaf)).decode("utf-8") != text:
        return VerificationError("the stored stub of a withheld event is not in canonical form")
    return Withheld(bytes.fromhex(leaf))


_STUB_ENTRY_KEYS = {"id", "type", "version", "withheld"}


def stub_entry(type_name: str, aggregate_id: str, version: int, withheld: Withheld) -> bytes:
    """What a published entry bundle carries for a withheld event in place of its leaf:
    canonical JSON of where the event is and the leaf hash it keeps."""
    return canonical({"id": aggregate_id, "type": type_name, "version": version,
                      "withheld": withheld.leaf_hash.hex()}).encode("utf-8")


def parse_stub_entry(entry: bytes) -> tuple[dict[str, object], Withheld] | None:
    """A withheld event's stub entry (`stub_entry`) as its fields and the `Withheld` it
    stands for; None for anything else (a leaf, or bytes that are neither)."""
    if not entry.startswith(b"{") or b'"withheld":"' not in entry:
        return None
    try:
        fields = json.loads(entry.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(fields, dict) or set(fields) != _STUB_ENTRY_KEYS \
            or type(fields["version"]) is not int or not all(
                isinstance(fields[k], str) for k in ("id", "type", "withheld")):
        return None
    leaf = fields["withheld"]
    if len(leaf) != 64 or not set(leaf) <= _HEX:
        return None
    withheld = Withheld(bytes.fromhex(leaf))
    if stub_entry(
            fields["type"], fields["id"], fields["version"], withheld) != entry:
        return None
    return fields, withheld


def leaf_bytes(type_name: str, aggregate_id: str, version: int, state: bytes) -> bytes:
    """The Merkle leaf of one stored event (VerificationError if its state does not decode)."""
    return leaf_from(type_name, aggregate_id, version, decode_state(state), state_sha256(state))


def version_of(type_name: str, body: str) -> int:
    """The format version an event is written in: 2 for format v2's statements (a take-down
    order, a claim with a commitment), else 1, so every leaf of a v1 ledger is as it was."""
    return 2 if type_name in V2_TYPES or _COMMITMENT in body else 1


def leaf_from(type_name: str, aggregate_id: str, version: int, stored: Stored,
              state_sha256: str) -> bytes:
    if type(version) is not int or not 0 < version < 2**53:
        raise VerificationError(f"the stored event's version {version!r} is out of range")
    # What canonical() writes for these keys, in their sorted order, built directly: this
    # runs once per event on every catch-up and audit (the two agree byte for byte:
    # tests/properties/test_canonical_differential.py).
    text = (f'{{"body":{_json_string(stored.body)},"id":{_json_string(aggregate_id)},'
            f'"recorded":"{stored.time_text()}","signature":"{stored.signature}",'
            f'"state_sha256":"{state_sha256}","type":{_json_string(type_name)},'
            f'"v":{version_of(type_name, stored.body)},"version":{version}}}')
    try:
        leaf = text.encode("utf-8")
    except UnicodeEncodeError:
        raise VerificationError("the stored event holds text that is not valid Unicode") from None
    if len(leaf) > MAX_LEAF_BYTES:
        raise VerificationError(f"the event's leaf is {len(leaf)} bytes, over the 64 KiB cap")
    return leaf


def parse_leaf(leaf: bytes) -> dict[str, object]:
    """A leaf's fields (for offline readers of proofs and published tiles)."""
    try:
        fields = json.loads(leaf.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise VerificationError("the leaf is not UTF-8 JSON") from None
    if not isinstance(fields, dict) or canonical(fields).encode("utf-8") != leaf:
        raise VerificationError("the leaf is not a canonical Tally envelope")
    if fields.get("v") not in (1, 2) or fields["v"] != version_of(str(fields.get("type")),
                                                                   str(fields.get("body"))):
        raise VerificationError("the leaf is not a Tally envelope of format version 1 or 2, "
                                "as its type and body are written")
    return fields
