"""The golden vectors of the event format (docs/vectors/format-v2.json, and the vectors
of version 1, docs/vectors/format-v1.json, which every later version still accepts).

(a) Rebuilding the vector ledger from its seeds gives exactly the stored vectors, and
    docs/formats.md shows them as stored: a change of the format fails here.
(b) An implementation of the format written from docs/formats.md alone, below, with
    nothing but hashlib, json, rfc8785, base64 and cryptography's Ed25519 (no `ledger`
    module: a subprocess test checks it), accepts every vector: key ids, ledger id,
    aggregate ids, canonical bodies, signatures, stored states, leaves and leaf hashes,
    the Merkle root, the checkpoint notes and the proofs (a claim's, a correction's, and
    the consistency proof); each archived document's hashes, the normalisation of its
    text and the quotes anchored in it; and (version 2) each disclosure against its
    commitment, every commitment without one covered by an operator's redaction order,
    and every document without its bytes by a withholding order.
(c) Altering any one field of the vectors makes that implementation refuse them.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from budgets import examples
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from hypothesis import given, settings
from hypothesis import strategies as st

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
VECTORS_FILE = ROOT / "docs" / "vectors" / "format-v2.json"
V1_FILE = ROOT / "docs" / "vectors" / "format-v1.json"
DOC_FILE = ROOT / "docs" / "formats.md"


def load(path: Path = VECTORS_FILE) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


VECTORS = load()
V1_VECTORS = load(V1_FILE)


# -- (a) the vectors are what the code writes ----------------------------------------------


def test_rebuilding_the_vector_ledger_gives_the_stored_vectors() -> None:
    import format_vectors  # builds through ledger.Ledger; imported here only

    rebuilt = format_vectors.build_vectors()
    assert rebuilt == VECTORS
    assert format_vectors.dump(rebuilt) == VECTORS_FILE.read_text(encoding="utf-8")


def test_the_document_shows_the_stored_vectors() -> None:
    import format_vectors

    shown = format_vectors.doc_section(DOC_FILE.read_text(encoding="utf-8"))
    assert shown == format_vectors.markdown(VECTORS), (
        "docs/formats.md is out of date: replace its vectors section with the output of "
        "python tests/unit/format_vectors.py --markdown")


# -- (b) an independent implementation, from docs/formats.md -------------------------------


class Invalid(Exception):
    """The vectors break the format."""


def require(condition: object, what: str) -> None:
    if not condition:
        raise Invalid(what)


def jcs(value: Any) -> str:
    """RFC 8785 canonical JSON, as text."""
    return str(rfc8785.dumps(value).decode("utf-8"))


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


_HEX = re.compile(r"[0-9a-f]*")
_RECORDED = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}\+00:00")


def hex_bytes(text: object, size: int, what: str) -> bytes:
    """Lowercase hex of exactly `size` bytes."""
    require(isinstance(text, str) and len(text) == 2 * size and _HEX.fullmatch(text), what)
    assert isinstance(text, str)
    return bytes.fromhex(text)


def b64(text: str, what: str) -> bytes:
    """Standard padded base64, in its one canonical spelling."""
    raw = base64.b64decode(text, validate=True)
    require(base64.b64encode(raw).decode("ascii") == text, f"{what}: not canonical base64")
    return raw


def uuid5(namespace: bytes, name: str) -> bytes:
    """RFC 9562 UUIDv5: SHA-1 of namespace || name, version 5, variant 10."""
    raw = bytearray(hashlib.sha1(namespace + name.encode("utf-8")).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x50
    raw[8] = (raw[8] & 0x3F) | 0x80
    return bytes(raw)


NAMESPACE_URL = bytes.fromhex("6ba7b8119dad11d180b400c04fd430c8")
TALLY_NAMESPACE = uuid5(NAMESPACE_URL, "https://tally.invalid/ledger")


def key_id(public_key: bytes) -> str:
    return sha256(public_key).hex()[:16]


def verify_ed25519(public_key: bytes, signature: bytes, message: bytes) -> None:
    Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)


# RFC 9162 section 2.1


def mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return sha256(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def inclusion_path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m < k:
        return [*inclusion_path(m, leaves[:k]), mth(leaves[k:])]
    return [*inclusion_path(m - k, leaves[k:]), mth(leaves[:k])]


def subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    if m == len(leaves):
        return [] if whole else [mth(leaves)]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m <= k:
        return [*subproof(m, leaves[:k], whole), mth(leaves[k:])]
    return [*subproof(m - k, leaves[k:], False), mth(leaves[:k])]


def root_from_inclusion(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes:
    """RFC 9162 section 2.1.3.2, as a verifier runs it."""
    fn, sn, r = index, size - 1, leaf
    for p in path:
        require(sn != 0, "inclusion path too long")
        if fn & 1 or fn == sn:
            r = sha256(b"\x01" + p + r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = sha256(b"\x01" + r + p)
        fn, sn = fn >> 1, sn >> 1
    require(sn == 0, "inclusion path too short")
    return r


def check_note(note: str, origin: str, size: int, root: bytes, public_key: bytes) -> None:
    """A C2SP checkpoint signed note by the operator key, under the origin as key name."""
    text = f"{origin}\n{size}\n{base64.b64encode(root).decode('ascii')}\n"
    require(note.startswith(text + "\n"), "checkpoint text")
    line = note[len(text) + 1 :]
    prefix = f"\u2014 {origin} "
    require(line.startswith(prefix) and line.endswith("\n") and line.count("\n") == 1,
            "checkpoint signature line")
    blob = b64(line[len(prefix) : -1], "checkpoint signature")
    require(len(blob) == 68, "checkpoint signature length")
    key_hash = sha256(origin.encode("utf-8") + b"\n\x01" + public_key)[:4]
    require(blob[:4] == key_hash, "checkpoint key hash")
    verify_ed25519(public_key, blob[4:], text.encode("utf-8"))


EVENT_KEYS = {"leaf_index", "type", "aggregate_id", "version", "body", "body_id", "signature",
              "recorded", "state", "state_sha256", "leaf", "leaf_hash"}
BODY_KEYS = {
    "ledger.created": {"origin", "operator_public_key", "hash_algorithm",
                       "signature_algorithm"},
    "signer.added": {"key_id", "public_key", "name", "role"},
    "signer.revoked": {"key_id", "reason"},
    "source.registered": {"id", "name", "kind", "key_id"},
    "figure.defined": {"id", "kind", "unit", "cumulative", "parts", "tolerance", "states"},
    "claim.recorded": {"figure", "value", "as_of", "source", "via", "url", "published",
                       "quote", "document_sha256"},
    "claim.corrected": {"claim", "value", "reason"},
    "claim.retracted": {"claim", "reason"},
    "witness.added": {"name", "url", "vkey"},
    "witness.removed": {"name", "reason"},
    "witness.updated": {"name", "url"},
    "document.archived": {"sha256", "media_type", "url", "retrieved", "source", "extractor",
                          "extractor_version", "text_sha256"},
    "claim.redacted": {"claim", "field", "commitments", "reason"},
    "document.withheld": {"sha256", "reason"},
    "case.defined": {"id", "name", "description", "place", "period"},
}
# format v2: the paths a claim may commit to, by the field a redaction order names
ERASABLE = {"quote": ("quote", "anchor.quote.exact", "anchor.quote.prefix",
                      "anchor.quote.suffix"), "url": ("url",)}
ANCHOR_KEYS = {"position": {"type", "start", "end"},
               "quote": {"type", "exact", "prefix", "suffix"}}
# members that may be absent: a claim's `anchor`, and a figure's `integer` (present only as
# true, on a figure that counts things), `name` and `description` (present only when given)
OPTIONAL_KEYS = {"figure.defined": {"integer", "name", "description"},
                 "claim.recorded": {"anchor"}}


def normalised(text: str) -> str:
    """docs/formats.md §3.1, read as a one-pass scan: NFC; a character of category Cc or
    Cf that is not whitespace is dropped; a run of whitespace is one space between kept
    characters, none at either end."""
    out: list[str] = []
    space = False
    for ch in unicodedata.normalize("NFC", text):
        if ch.isspace():
            space = bool(out)
        elif unicodedata.category(ch) not in ("Cc", "Cf"):
            if space:
                out.append(" ")
            out.append(ch)
            space = False
    return "".join(out)


def check_documents(entries: list[dict[str, Any]]) -> dict[str, tuple[bytes, str]]:
    """The vectors' documents by SHA-256 of their bytes: (bytes, normalised text)."""
    found = {}
    for d in entries:
        require(set(d) == {"sha256", "data", "text"}, "document keys")
        data = b64(d["data"], "document bytes")
        require(d["sha256"] == sha256(data).hex() and d["sha256"] not in found,
                "document hash")
        found[d["sha256"]] = (data, d["text"])
    return found


def check_document(body: dict[str, Any], documents: dict[str, tuple[bytes, str]]) -> str:
    """A `document.archived` body against its bytes: the text it signs; for plain text read
    by Tally's own reader, the normalisation of the bytes."""
    require(body["sha256"] in documents, "the archived document's bytes")
    data, text = documents[body["sha256"]]
    require(body["media_type"] in ("text/plain", "text/html", "application/pdf",
                                   "application/warc"), "media type")
    if (body["media_type"], body["extractor"]) == ("text/plain", "tally-text"):
        require(text == normalised(data.decode("utf-8-sig")), "normalised text")
    require(body["text_sha256"] == sha256(text.encode("utf-8")).hex(), "text hash")
    return text


def check_anchor(body: dict[str, Any], texts: dict[str, str]) -> None:
    """An anchored quote: its selectors are exactly those of its position in the text."""
    anchor = body["anchor"]
    require(body["document_sha256"] in texts, "the anchor's document is archived before")
    text = texts[body["document_sha256"]]
    require(isinstance(anchor, dict) and set(anchor) == set(ANCHOR_KEYS), "anchor keys")
    position, quote = anchor["position"], anchor["quote"]
    require(set(position) == ANCHOR_KEYS["position"] and set(quote) == ANCHOR_KEYS["quote"],
            "selector keys")
    require((position["type"], quote["type"]) == ("TextPositionSelector",
                                                  "TextQuoteSelector"), "selector types")
    start, end = position["start"], position["end"]
    require(type(start) is int and type(end) is int and 0 <= start < end <= len(text),
            "anchor position")
    if None in (quote["exact"], quote["prefix"], quote["suffix"], body["quote"]):
        return  # redacted: its position is all that is left to check
    require(quote["exact"] == text[start:end] == body["quote"], "anchored quote")
    require(quote["prefix"] == text[max(0, start - 32):start], "anchor prefix")
    require(quote["suffix"] == text[end:end + 32], "anchor suffix")


def _at(body: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        if not isinstance(body, dict) or part not in body:
            return None
        body = body[part]
    return body


def opened(body: dict[str, Any], disclosures: list[str], undisclosed: dict[str, int],
           index: int) -> tuple[dict[str, Any], dict[str, str]]:
    """Format v2: the claim's body with each commitment `{"commitment": HEX}` replaced by
    the value of the disclosure whose SHA-256 is HEX (`[salt, path, value]`, RFC 8785,
    a 32-hex-digit salt, at that path), or by None; each commitment without a disclosure
    is added to `undisclosed` (an order must name it). Returns the commitments by path."""
    by_hash = {sha256(d.encode("utf-8")).hex(): d for d in disclosures}
    require(len(by_hash) == len(disclosures), "a disclosure given twice")
    out = copy.deepcopy(body)
    committed = {}
    for path in (p for paths in ERASABLE.values() for p in paths):
        value = _at(body, path)
        if not isinstance(value, dict):
            require(value is None or isinstance(value, str), f"{path} is a string or null")
            continue
        require(set(value) == {"commitment"}, "a commitment object")
        commitment = value["commitment"]
        hex_bytes(commitment, 32, "commitment")
        committed[path] = commitment
        *parents, last = path.split(".")
        target = out
        for part in parents:
            target = target[part]
        text = by_hash.pop(commitment, None)
        if text is None:
            undisclosed[commitment] = index
            target[last] = None
            continue
        fields = json.loads(text)
        require(isinstance(fields, list) and len(fields) == 3
                and all(type(f) is str for f in fields) and jcs(fields) == text,
                "a disclosure is the canonical [salt, path, value]")
        salt, named, target[last] = fields
        require(len(salt) == 32 and _HEX.fullmatch(salt) and named == path,
                "a disclosure's salt and path")
    require(not by_hash, "a disclosure of no commitment of the body")
    return out, committed


def check_events(vectors: dict[str, Any], operator_key: bytes, origin: str, ledger: str,
                 documents: dict[str, tuple[bytes, str]]) -> list[bytes]:
    """Every event: body, ids, where it is stored, signature, state, leaf; the leaf hashes."""
    operator = key_id(operator_key)
    signers: dict[str, dict[str, Any]] = {}
    claims: dict[str, dict[str, Any]] = {}
    sources: set[str] = set()
    texts: dict[str, str] = {}  # archived documents' texts by their bytes' SHA-256
    hashes = []
    undisclosed: dict[str, int] = {}  # commitments without a disclosure -> leaf index
    withheld: dict[str, int] = {}  # documents archived without their bytes -> leaf index
    witnesses: dict[str, dict[str, Any]] = {}  # by name: its URL, version, and removal
    for index, e in enumerate(vectors["events"]):
        keys_v = EVENT_KEYS if vectors["v"] == 1 else EVENT_KEYS | {"disclosures"}
        require(set(e) == keys_v and e["leaf_index"] == index, "event keys")
        text, kind = e["body"], e["type"]
        body = json.loads(text)
        require(jcs(body) == text, "body is not canonical")
        keys = set(body) - {"type", "ledger", "signer"}
        optional = OPTIONAL_KEYS.get(kind, set())
        require({"type", "ledger", "signer"} <= set(body)
                and BODY_KEYS[kind] <= keys <= BODY_KEYS[kind] | optional, "body keys")
        require(body.get("integer", True) is True, "integer is true when present")
        for member, most in (("name", 200), ("description", 1000)):
            require(member not in body or (isinstance(body[member], str)
                                           and 0 < len(body[member]) <= most),
                    f"{member} is a non-empty string when present")
        require(body["type"] == kind and body["ledger"] == ledger, "body type or ledger")
        body_id = sha256(text.encode("utf-8")).hex()[:32]
        require(e["body_id"] == body_id, "body id")
        signer = body["signer"]
        if kind == "ledger.created":
            require(index == 0 and body["origin"] == origin, "genesis")
            require(body["operator_public_key"] == operator_key.hex() and signer == operator,
                    "genesis key")
            require((body["hash_algorithm"], body["signature_algorithm"]) == ("sha256",
                                                                                "ed25519"),
                    "algorithms")
            where, public_key = (uuid5(TALLY_NAMESPACE, "genesis").hex(), 1), operator_key
        elif kind in ("signer.added", "signer.revoked"):
            require(index > 0 and signer == operator, "signer changes are the operator's")
            where = (uuid5(TALLY_NAMESPACE, "signer:" + body["key_id"]).hex(),
                     1 if kind == "signer.added" else 2)
            if kind == "signer.added":
                added = hex_bytes(body["public_key"], 32, "signer key")
                require(key_id(added) == body["key_id"] not in signers, "signer key id")
                signers[body["key_id"]] = {"key": added, "role": body["role"], "revoked": False}
            else:
                require(body["key_id"] != operator, "the operator key is never revoked")
                revoked = signers[body["key_id"]]
                require(not revoked["revoked"], "revoked twice")
                revoked["revoked"] = True
            public_key = operator_key
        elif kind == "witness.added":
            require(signer == operator, "witness changes are the operator's")
            name, kid, encoded = body["vkey"].split("+", 2)
            witness_key = b64(encoded, "witness vkey")
            require(witness_key[:1] == b"\x04" and len(witness_key) == 33, "a cosigner vkey")
            require(sha256(name.encode() + b"\n" + witness_key).hex()[:8] == kid,
                    "witness key id")
            require(body["name"] not in witnesses, "a witness name is added once")
            witnesses[body["name"]] = {"url": body["url"], "version": 1, "removed": False}
            where = (uuid5(TALLY_NAMESPACE, "witness:" + body["name"]).hex(), 1)
            public_key = operator_key
        elif kind in ("witness.removed", "witness.updated"):
            require(signer == operator, "witness changes are the operator's")
            witness = witnesses[body["name"]]
            require(not witness["removed"], "a removed witness is not changed")
            if kind == "witness.updated":
                require(body["url"] != witness["url"], "a move changes the URL")
                witness["url"] = body["url"]
            witness["removed"] = kind == "witness.removed"
            witness["version"] += 1
            where = (uuid5(TALLY_NAMESPACE, "witness:" + body["name"]).hex(), witness["version"])
            public_key = operator_key
        else:
            require(signer in signers and not signers[signer]["revoked"], "unknown signer")
            public_key = signers[signer]["key"]
            if kind in ("source.registered", "figure.defined", "case.defined"):
                prefix = {"source.registered": "source:", "figure.defined": "figure:",
                          "case.defined": "case:"}[kind]
                where = (uuid5(TALLY_NAMESPACE, prefix + body["id"]).hex(), 1)
                if kind == "source.registered":
                    sources.add(body["id"])
            elif kind == "document.archived":
                require(body["sha256"] not in texts and body["sha256"] not in withheld,
                        "a document archived twice")
                require(body["source"] is None or body["source"] in sources,
                        "the document's source is registered")
                if body["sha256"] in documents:
                    texts[body["sha256"]] = check_document(body, documents)
                else:  # a withholding order must follow
                    withheld[body["sha256"]] = index
                where = (uuid5(TALLY_NAMESPACE, "document:" + body["sha256"]).hex(), 1)
            elif kind == "claim.recorded":
                shown, committed = opened(body, e.get("disclosures", []), undisclosed, index)
                if "anchor" in body and body["document_sha256"] not in withheld:
                    check_anchor(shown, texts)
                where = (body_id, 1)
                claims[body_id] = {"signer": signer, "version": 1, "retracted": False,
                                   "committed": committed}
            elif kind in ("claim.redacted", "document.withheld"):
                require(signer == operator, "take-down orders are the operator's")
                if kind == "document.withheld":
                    require(body["sha256"] in texts or body["sha256"] in withheld,
                            "the withheld document is archived before")
                    withheld.pop(body["sha256"], None)
                    where = (uuid5(TALLY_NAMESPACE, "document:" + body["sha256"]).hex(), 2)
                else:
                    committed = claims[body["claim"]]["committed"]
                    named = sorted(committed[p] for p in ERASABLE[body["field"]]
                                   if p in committed)
                    require(named and body["commitments"] == named,
                            "the order names the commitments of the claim's field")
                    for commitment in named:
                        undisclosed.pop(commitment, None)
                    where = (uuid5(TALLY_NAMESPACE, f"redaction:{body['claim']}:"
                                                    f"{body['field']}").hex(), 1)
            else:
                claim = claims[body["claim"]]
                require(signer == claim["signer"] or signers[signer]["role"] == "operator",
                        "follow-up by the claim's signer or an operator")
                require(not claim["retracted"], "follow-up after a retraction")
                claim["version"] += 1
                claim["retracted"] = kind == "claim.retracted"
                where = (body["claim"], claim["version"])
        require((e["aggregate_id"], e["version"]) == where, "aggregate id and version")
        signature = hex_bytes(e["signature"], 64, "signature")
        verify_ed25519(public_key, signature, text.encode("utf-8"))
        require(_RECORDED.fullmatch(e["recorded"]), "recording time")
        state = jcs({"body": text, "recorded": e["recorded"], "signature": e["signature"]})
        require(e["state"] == state, "stored state")
        state_sha256 = sha256(state.encode("utf-8")).hex()
        require(e["state_sha256"] == state_sha256, "state digest")
        leaf = jcs({"body": text, "id": e["aggregate_id"], "recorded": e["recorded"],
                    "signature": e["signature"], "state_sha256": state_sha256, "type": kind,
                    "v": leaf_version(kind, body), "version": e["version"]})
        require(e["leaf"] == leaf and len(leaf.encode("utf-8")) <= 65535, "leaf")
        leaf_hash = sha256(b"\x00" + leaf.encode("utf-8"))
        require(e["leaf_hash"] == leaf_hash.hex(), "leaf hash")
        hashes.append(leaf_hash)
    require(set(texts) == set(documents), "every document of the vectors is archived")
    require(not undisclosed and not withheld,
            "a disclosure or a document is missing, and no operator's order took it down")
    return hashes


def leaf_version(kind: str, body: dict[str, Any]) -> int:
    """A leaf's `v`: 2 for format v2's statements (a take-down order, a witness's removal or
    move, or a claim with a commitment), else 1."""
    committed = any(isinstance(_at(body, p), dict) for ps in ERASABLE.values() for p in ps)
    return 2 if kind in ("claim.redacted", "document.withheld", "witness.removed",
                         "witness.updated") or committed else 1


def check(vectors: dict[str, Any]) -> None:
    """Raise Invalid unless the vectors hold by docs/formats.md."""
    try:
        _check(vectors)
    except Invalid:
        raise
    except Exception as e:  # a malformed field: refused all the same
        raise Invalid(f"{type(e).__name__}: {e}") from None


def _check(v: dict[str, Any]) -> None:
    require(set(v) == {"about", "v", "keys", "ledger", "events", "documents", "tree",
                       "checkpoints", "inclusion_proof", "tlog_proof", "correction_proof",
                       "consistency_proof"}, "top keys")
    require(v["v"] in (1, 2), "format version")
    public = {}
    for name, k in v["keys"].items():
        require(set(k) == {"seed", "public_key", "key_id"}, "key fields")
        seed = hex_bytes(k["seed"], 32, "seed")
        raw = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
        require(k["public_key"] == raw.hex() and k["key_id"] == key_id(raw), f"key {name}")
        public[name] = raw
    operator_key = public["operator"]
    info = v["ledger"]
    require(set(info) == {"origin", "ledger_id", "note_key_hash"}, "ledger fields")
    origin = info["origin"]
    material = f"tally-ledger\n{origin}\n{operator_key.hex()}".encode()
    require(info["ledger_id"] == sha256(material).hex()[:32], "ledger id")
    note_key = sha256(origin.encode("utf-8") + b"\n\x01" + operator_key)[:4]
    require(info["note_key_hash"] == note_key.hex(), "note key hash")

    leaves = check_events(v, operator_key, origin, info["ledger_id"],
                          check_documents(v["documents"]))
    size, root = len(leaves), mth(leaves)
    require(v["tree"] == {"size": size, "root": root.hex()}, "tree root")

    notes = {}
    for c in v["checkpoints"]:
        require(set(c) == {"size", "root", "note"} and 0 < c["size"] <= size, "checkpoint")
        at = mth(leaves[: c["size"]])
        require(c["root"] == at.hex(), "checkpoint root")
        check_note(c["note"], origin, c["size"], at, operator_key)
        notes[c["size"]] = c["note"]
    require(size in notes, "a checkpoint at the tree's size")

    p = v["inclusion_proof"]
    require(set(p) == {"claim_id", "leaf_index", "tree_size", "leaf", "leaf_hash", "path",
                       "checkpoint"}, "inclusion proof keys")
    index = p["leaf_index"]
    event = v["events"][index]
    require(event["type"] == "claim.recorded" and event["aggregate_id"] == p["claim_id"],
            "the proof's leaf records its claim")
    require(p["tree_size"] == size and p["checkpoint"] == notes[size], "proof checkpoint")
    require(p["leaf"] == event["leaf"] and p["leaf_hash"] == event["leaf_hash"], "proof leaf")
    path = [hex_bytes(h, 32, "path hash") for h in p["path"]]
    require(path == inclusion_path(index, leaves), "inclusion path")
    leaf_hash = sha256(b"\x00" + p["leaf"].encode("utf-8"))
    require(root_from_inclusion(index, size, leaf_hash, path) == root, "inclusion root")
    tlog = ["c2sp.org/tlog-proof@v1",
            "extra " + base64.b64encode(p["leaf"].encode("utf-8")).decode("ascii"),
            f"index {index}", *(base64.b64encode(h).decode("ascii") for h in path)]
    require(v["tlog_proof"] == "\n".join(tlog) + "\n\n" + notes[size], "tlog-proof")

    f = v["correction_proof"]
    require(set(f) == {"claim_id", "event_id", "leaf_index", "tree_size", "leaf", "leaf_hash",
                       "path", "checkpoint"}, "correction proof keys")
    index = f["leaf_index"]
    event = v["events"][index]
    require(event["type"] == "claim.corrected" and event["aggregate_id"] == f["claim_id"]
            and json.loads(event["body"])["claim"] == f["claim_id"]
            and event["body_id"] == f["event_id"], "the proof's leaf records its correction")
    require(f["tree_size"] == size and f["checkpoint"] == notes[size], "proof checkpoint")
    require(f["leaf"] == event["leaf"] and f["leaf_hash"] == event["leaf_hash"], "proof leaf")
    path = [hex_bytes(h, 32, "path hash") for h in f["path"]]
    require(path == inclusion_path(index, leaves), "correction inclusion path")
    leaf_hash = sha256(b"\x00" + f["leaf"].encode("utf-8"))
    require(root_from_inclusion(index, size, leaf_hash, path) == root, "inclusion root")

    c = v["consistency_proof"]
    require(set(c) == {"old_size", "new_size", "old_root", "new_root", "path",
                       "old_checkpoint", "new_checkpoint"}, "consistency proof keys")
    old = c["old_size"]
    require(0 < old < size and c["new_size"] == size, "consistency sizes")
    require(c["old_root"] == mth(leaves[:old]).hex() and c["new_root"] == root.hex(),
            "consistency roots")
    require((c["old_checkpoint"], c["new_checkpoint"]) == (notes[old], notes[size]),
            "consistency checkpoints")
    require(c["path"] == [h.hex() for h in subproof(old, leaves, True)], "consistency path")


def test_an_independent_implementation_accepts_the_vectors() -> None:
    check(VECTORS)
    kinds = [e["type"] for e in VECTORS["events"]]
    assert sorted(set(kinds)) == sorted(BODY_KEYS)  # every statement type has a vector
    assert any("anchor" in json.loads(e["body"]) for e in VECTORS["events"])
    claims = [e for e in VECTORS["events"] if e["type"] == "claim.recorded"]
    # a v1 claim, a v2 claim whose quote an order took down, one fully disclosed
    assert any(not e["disclosures"] and '"commitment"' not in e["body"] for e in claims)
    assert any(e["disclosures"] and e["body"].count('"commitment"') > len(e["disclosures"])
               for e in claims)
    assert any(e["body"].count('"commitment"') == len(e["disclosures"]) > 0 for e in claims)


def test_the_vectors_of_version_1_are_still_accepted() -> None:
    check(V1_VECTORS)


def test_a_redaction_left_the_proofs_made_before_it_valid() -> None:
    """The consistency proof runs from a checkpoint signed before the redaction order."""
    order = next(e["leaf_index"] for e in VECTORS["events"] if e["type"] == "claim.redacted")
    assert VECTORS["consistency_proof"]["old_size"] <= order


def test_the_independent_implementation_uses_no_ledger_module() -> None:
    code = ("import sys; sys.path[:0] = sys.argv[1:]; import test_format_vectors as t; "
            "t.check(t.load()); "
            "assert not [m for m in sys.modules if m.split('.')[0] == 'tally'], 'tally'")
    # tests/ for the example budgets (tests/budgets.py), which import no Tally module
    result = subprocess.run([sys.executable, "-c", code, str(HERE), str(HERE.parent)], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


# -- (c) any altered field is refused ------------------------------------------------------


def _fields(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _fields(item, (*path, key))
    elif isinstance(value, list):
        for number, item in enumerate(value):
            yield from _fields(item, (*path, number))
    else:
        yield path


# Every scalar of the vectors but the prose of "about".
FIELDS = [path for path in _fields(VECTORS) if path[0] != "about"]


def _altered(vectors: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(vectors)
    target = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return changed


def _get(vectors: dict[str, Any], path: tuple[Any, ...]) -> Any:
    for step in path:
        vectors = vectors[step]
    return vectors


_CHARS = st.characters(codec="utf-8")  # any code point but a lone surrogate


@st.composite
def _alteration(draw: st.DrawFn, old: Any) -> Any:
    if isinstance(old, bool):
        return not old
    if isinstance(old, int):
        return old + draw(st.integers(-3, 3).filter(bool))
    if old is None:
        return draw(st.one_of(st.text(max_size=3), st.integers()))
    assert isinstance(old, str)
    at = draw(st.integers(0, len(old)))
    how = draw(st.sampled_from(["replace", "insert", "delete"] if old else ["insert"]))
    if how == "insert" or at == len(old):
        return old[:at] + draw(_CHARS) + old[at:]
    if how == "delete":
        return old[:at] + old[at + 1 :]
    return old[:at] + draw(_CHARS.filter(lambda c: c != old[at])) + old[at + 1 :]


@settings(max_examples=examples(200))
@given(data=st.data())
def test_altering_any_one_field_is_refused(data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(FIELDS), label="field")
    value = data.draw(_alteration(_get(VECTORS, path)), label="altered to")
    with pytest.raises(Invalid):
        check(_altered(VECTORS, path, value))


@pytest.mark.parametrize("path", FIELDS, ids=lambda p: "/".join(map(str, p)))
def test_every_field_is_checked(path: tuple[Any, ...]) -> None:
    old = _get(VECTORS, path)
    new = old + 1 if isinstance(old, int) else old[:-1] if old else "x"
    with pytest.raises(Invalid):
        check(_altered(VECTORS, path, new))


# -- (d) the document and anchor rules bite on their own, not only through signatures ------


def _anchored() -> tuple[dict[str, Any], dict[str, str]]:
    documents = check_documents(VECTORS["documents"])
    texts = {sha: text for sha, (_, text) in documents.items()}
    body = next(opened(json.loads(e["body"]), e["disclosures"], {}, 0)[0]
                for e in VECTORS["events"] if "anchor" in json.loads(e["body"]))
    return body, texts


def _moved(body: dict[str, Any], start: int, end: int) -> dict[str, Any]:
    moved = copy.deepcopy(body)
    moved["anchor"]["position"].update(start=start, end=end)
    return moved


@pytest.mark.parametrize("change", [
    lambda b: _moved(b, b["anchor"]["position"]["start"] + 1, b["anchor"]["position"]["end"]),
    lambda b: _moved(b, b["anchor"]["position"]["start"] + 1,
                     b["anchor"]["position"]["end"] + 1),
    lambda b: {**b, "quote": b["quote"].replace("\u201c", '"').replace("\u201d", '"')},
    lambda b: {**b, "document_sha256": "0" * 64},
    lambda b: {**b, "anchor": {**b["anchor"], "quote": {**b["anchor"]["quote"],
                                                        "prefix": ""}}},
    lambda b: {**b, "anchor": {**b["anchor"], "quote": {**b["anchor"]["quote"],
                                                        "suffix": "x"}}},
    lambda b: {**b, "anchor": {**b["anchor"], "extra": 1}},
    lambda b: _moved(b, True, b["anchor"]["position"]["end"]),
], ids=["start", "shifted", "folded quote", "other document", "prefix", "suffix",
        "extra member", "boolean start"])
def test_an_anchor_not_at_its_place_is_refused(change: Any) -> None:
    body, texts = _anchored()
    check_anchor(body, texts)
    with pytest.raises(Invalid):
        check_anchor(change(body), texts)


def test_a_document_whose_text_is_not_its_normalised_bytes_is_refused() -> None:
    documents = check_documents(VECTORS["documents"])
    body = next(json.loads(e["body"]) for e in VECTORS["events"]
                if e["type"] == "document.archived")
    check_document(body, documents)
    data, _ = documents[body["sha256"]]
    unnormalised = data.decode("utf-8")  # the raw text: hashed as signed, but not normalised
    body = {**body, "text_sha256": sha256(unnormalised.encode()).hex()}
    with pytest.raises(Invalid, match="normalised text"):
        check_document(body, {body["sha256"]: (data, unnormalised)})


@settings(max_examples=examples(100))
@given(st.text(st.characters(codec="utf-8"), max_size=40)
       | st.lists(st.sampled_from(["a", " ", "\u00a0", "\u00ad", "\u200b", "\r\n", "e\u0301",
                                   "\u2028", "\x00", "\u202e", "\t"]), max_size=20).map("".join))
def test_the_independent_normalisation_agrees_with_tallys(text: str) -> None:
    from tally.ledger.evidence.normalise import normalise

    assert normalised(text) == normalise(text)


# -- (e) format v2: what may be missing is what an operator's order took down -------------


def test_a_disclosure_deleted_without_an_order_is_refused() -> None:
    """Deleting a disclosure changes no leaf, no root and no signature: only the rule that
    an order must name every undisclosed commitment catches it."""
    vectors = copy.deepcopy(VECTORS)
    full = next(e for e in vectors["events"] if e["type"] == "claim.recorded"
                and e["disclosures"] and e["body"].count('"commitment"') ==
                len(e["disclosures"]))
    full["disclosures"].pop()
    with pytest.raises(Invalid, match="no operator's order took it down"):
        check(vectors)


def test_a_document_deleted_without_an_order_is_refused() -> None:
    vectors = copy.deepcopy(VECTORS)
    vectors["documents"] = []
    with pytest.raises(Invalid):
        check(vectors)


def test_an_order_signed_by_a_recorder_is_refused() -> None:
    body = next(json.loads(e["body"]) for e in VECTORS["events"]
                if e["type"] == "claim.redacted")
    recorder = VECTORS["keys"]["recorder"]["key_id"]
    vectors = copy.deepcopy(VECTORS)
    order = next(e for e in vectors["events"] if e["type"] == "claim.redacted")
    order["body"] = jcs({**body, "signer": recorder})
    order["body_id"] = sha256(order["body"].encode()).hex()[:32]
    # the recorder is revoked by then: refused as a key that may not sign anything
    with pytest.raises(Invalid, match=r"unknown signer|operator's"):
        check(vectors)
