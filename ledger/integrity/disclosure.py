"""Format v2's erasable fields: salted commitments in the signed body, disclosures beside it.

A claim's quote, URL and anchor text may have to come down (a witness in danger, a
take-down notice, a court order). A v2 body therefore signs, in place of each such
value, `{"commitment": HEX}`, where HEX is the SHA-256 of the value's *disclosure*:
the RFC 8785 JSON array `[salt, path, value]` (salt: 32 lowercase hex digits, 128
bits; path: which field, so a disclosure cannot be moved to another one). The
disclosures travel beside the body (in the store, on the site, in exports); deleting
one leaves the body, its signature, its leaf and every proof unchanged.

Salts are derived, not drawn: HMAC-SHA256 under the signer's private key of the
plain body and the path. Only the key holder can compute them (so a redacted value
cannot be guessed and checked against its commitment), and the same report signed
twice is the same body, so it is "already recorded" (idempotent imports). Pure code:
an auditor's own verifier needs only this, `signing` and `merkle`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import rfc8785

from tally.ledger.errors import VerificationError
from tally.ledger.integrity.signing import canonical_strings

# The fields a v2 claim body commits to, as dotted paths into the body.
ERASABLE = ("quote", "url", "anchor.quote.exact", "anchor.quote.prefix",
            "anchor.quote.suffix")
# What a redaction order names, and the paths it takes down: a quote goes with the text of
# its anchor (the position stays: it says where, not what).
FIELDS: dict[str, tuple[str, ...]] = {
    "quote": ("quote", "anchor.quote.exact", "anchor.quote.prefix", "anchor.quote.suffix"),
    "url": ("url",),
}
_SALT = re.compile(r"[0-9a-f]{32}")
_HEX64 = re.compile(r"[0-9a-f]{64}")

SaltFor = Callable[[str], str]  # path -> salt


def disclosure_text(salt: str, path: str, value: str) -> str:
    """The disclosure of one value: RFC 8785 JSON of [salt, path, value]."""
    return canonical_strings([salt, path, value])


def commitment_of(disclosure: str) -> str:
    return hashlib.sha256(disclosure.encode("utf-8")).hexdigest()


def parse_disclosure(text: str) -> tuple[str, str, str]:
    """(salt, path, value) of a disclosure; VerificationError unless it is exactly the
    canonical form of one."""
    try:
        fields = json.loads(text)
    except ValueError:
        raise VerificationError("a disclosure is not JSON") from None
    if not (isinstance(fields, list) and len(fields) == 3
            and all(type(f) is str for f in fields)):
        raise VerificationError("a disclosure must be [salt, path, value], three strings")
    salt, path, value = fields
    if _SALT.fullmatch(salt) is None:
        raise VerificationError("a disclosure's salt must be 32 lowercase hex digits")
    if path not in ERASABLE:
        raise VerificationError(f"a disclosure names field {path!r}, which is not erasable")
    if disclosure_text(salt, path, value) != text:
        raise VerificationError("a disclosure is not in canonical form (RFC 8785)")
    return salt, path, value


def keyed_salts(seed: bytes, plain_body: str) -> SaltFor:
    """Salts only the holder of `seed` (the signer's private key) can compute, fixed by
    the plain body, so signing the same report twice gives the same body."""
    def salt(path: str) -> str:
        message = b"tally-disclosure-salt\x00" + plain_body.encode("utf-8") + b"\x00" \
            + path.encode("utf-8")
        return hmac.new(seed, message, hashlib.sha256).hexdigest()[:32]
    return salt


_PARTS = {path: tuple(path.split(".")) for path in ERASABLE}


def _get(body: Mapping[str, Any], path: str) -> Any:
    node: Any = body
    for part in _PARTS.get(path) or path.split("."):
        # a JSON object is a dict: the ABC check is for other mappings (hot in the audit)
        if not (type(node) is dict or isinstance(node, Mapping)) or part not in node:
            return None
        node = node[part]
    return node


def _set(body: dict[str, Any], path: str, value: Any) -> None:
    """Set `value` at `path`, copying each object on the way first: the objects of the body
    it came from stay as they were."""
    *parents, last = path.split(".")
    node = body
    for part in parents:
        node[part] = dict(node[part])
        node = node[part]
    node[last] = value


def commit(plain: Mapping[str, Any], salt_for: SaltFor,
           paths: tuple[str, ...] = ERASABLE) -> tuple[dict[str, Any], list[str]]:
    """The v2 body of a plain one (each string at an erasable path replaced by its
    commitment) and the disclosures of those strings; `plain` is left as it was (the new
    body shares only the values it did not replace)."""
    body = dict(plain)
    disclosures = []
    for path in paths:
        value = _get(body, path)
        if isinstance(value, str):
            text = disclosure_text(salt_for(path), path, value)
            disclosures.append(text)
            _set(body, path, {"commitment": commitment_of(text)})
    return body, disclosures


def commitments(body: Mapping[str, Any]) -> dict[str, str]:
    """The body's committed paths and their commitments ({} for a v1 body)."""
    found = {}
    for path in ERASABLE:
        value = _get(body, path)
        if (type(value) is dict or isinstance(value, Mapping)) and set(value) == {"commitment"} \
                and isinstance(value["commitment"], str) \
                and _HEX64.fullmatch(value["commitment"]):
            found[path] = value["commitment"]
    return found


def check_disclosure(path: str, commitment: str, text: str) -> str:
    """The value a disclosure opens, after checking it is the one the body committed to at
    `path`; VerificationError otherwise."""
    if commitment_of(text) != commitment:
        raise VerificationError(f"the disclosure of {path} does not match its signed "
                                "commitment")
    _, named, value = parse_disclosure(text)
    if named != path:
        raise VerificationError(f"the disclosure of {path} is for another field ({named})")
    return value


def open_body(body: Mapping[str, Any], disclosed: Mapping[str, str],
              found: Mapping[str, str] | None = None) -> tuple[dict[str, Any], list[str]]:
    """The body as its signer wrote it: each commitment replaced by its disclosed value,
    checked, or by None where none is disclosed (returned: those paths, in order).
    `disclosed` maps commitments to disclosure texts; `found`, the body's `commitments`
    when the caller has them already. A v1 body comes back as it is."""
    if found is None:
        found = commitments(body)
    if not found:
        return dict(body), []
    opened = dict(body)  # `_set` copies what it changes: `body` stays as it was
    missing = []
    for path, commitment in found.items():
        text = disclosed.get(commitment)
        if text is None:
            missing.append(path)
            _set(opened, path, None)
        else:
            _set(opened, path, check_disclosure(path, commitment, text))
    return opened, missing


def bundle_bytes(disclosures: Iterable[str]) -> bytes:
    """A site's disclosure bundle: the RFC 8785 JSON object of commitment -> disclosure."""
    return rfc8785.dumps({commitment_of(d): d for d in disclosures})


def read_bundle(data: bytes) -> dict[str, str]:
    """The disclosures a bundle holds, each checked against the commitment it is filed
    under (VerificationError otherwise): what a clone may store."""
    try:
        found = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise VerificationError("a disclosure bundle is not UTF-8 JSON") from None
    if not isinstance(found, dict) or not all(type(v) is str for v in found.values()):
        raise VerificationError("a disclosure bundle must map commitments to disclosures")
    for commitment, text in found.items():
        if commitment_of(text) != commitment:
            raise VerificationError(f"the disclosure filed under {commitment} does not "
                                    "hash to it")
        parse_disclosure(text)
    return found
