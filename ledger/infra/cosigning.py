"""Gathering witnesses' cosignatures on a new checkpoint (the log side of C2SP tlog-witness).

Each configured witness gets ``POST <url>/add-checkpoint`` with a consistency proof from
the size it last cosigned; a 409 names the witness's real size and is retried once from
there. Witnesses are asked in parallel, each with a short timeout and all within one
deadline, so a witness that is down costs seconds and never the checkpoint. Only
cosignature lines that verify under the witness's configured key are kept.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from tally.ledger.errors import VerificationError
from tally.ledger.integrity.checkpoints import Checkpoint, split_note
from tally.ledger.integrity.cosignature import (
    Cosigner,
    cosignatures,
    parse_cosigner_vkey,
    verify_cosignature,
)
from tally.ledger.integrity.witness_protocol import (
    ADD_CHECKPOINT,
    MAX_BODY,
    format_add_checkpoint,
    parse_cosignature_lines,
    parse_size,
)

TIMEOUT_SECONDS = 2.0  # per request; a 409 adds one more
DEADLINE_SECONDS = 5.0  # for all witnesses together

Outcome = Literal["cosigned", "already cosigned", "refused", "unreachable"]


@dataclass(frozen=True)
class WitnessTarget:
    """A configured witness: name, submission URL, and the vkey its cosignatures verify under."""

    name: str
    url: str
    vkey: str


@dataclass(frozen=True)
class WitnessAnswer:
    name: str
    outcome: Outcome
    detail: str
    status: int | None = None  # the HTTP status of the last answer, if any
    lines: tuple[str, ...] = ()
    old_size: int | None = None  # the size the accepted proof started from


Proof = Callable[[int], list[bytes]]  # consistency hashes from an old size to the checkpoint


def _post(url: str, body: str, timeout: float) -> tuple[int, str, str]:
    """(status, content type, body) of a POST; OSError when no answer came."""
    request = urllib.request.Request(
        url.rstrip("/") + ADD_CHECKPOINT, data=body.encode("utf-8"), method="POST",
        headers={"Content-Type": "text/plain; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers.get_content_type(), \
                response.read(MAX_BODY + 1).decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        with e:
            return e.code, e.headers.get_content_type(), \
                e.read(MAX_BODY + 1).decode("utf-8", "replace")


def ask(target: WitnessTarget, note: str, last_size: int, proof: Proof,
        timeout: float = TIMEOUT_SECONDS) -> WitnessAnswer:
    """Ask one witness to cosign `note`, from `last_size` (then once from a 409's size)."""
    text, _ = split_note(note)
    size = Checkpoint.parse_body(text).size
    cosigner = parse_cosigner_vkey(target.vkey)
    old, status = last_size, None
    for _attempt in range(2):
        if old > size:
            return WitnessAnswer(target.name, "refused", f"the witness is at size {old}, past "
                                 f"this checkpoint ({size})", status)
        try:
            status, kind, body = _post(target.url, format_add_checkpoint(old, proof(old), note),
                                       timeout)
        except (OSError, ValueError) as e:  # refused, timed out, or not a URL
            reason = getattr(e, "reason", None) or e
            return WitnessAnswer(target.name, "unreachable", str(reason), status)
        if status == 409 and kind == "text/x.tlog.size":
            try:
                sent, old = old, parse_size(body)
            except VerificationError as e:
                return WitnessAnswer(target.name, "refused", e.message, status)
            if old == sent == size:
                return WitnessAnswer(target.name, "refused", "the witness cosigned another "
                                     f"checkpoint of size {size}: a fork of this log", status)
            continue
        if status != 200:
            detail = body.strip().splitlines()[0][:200] if body.strip() else f"HTTP {status}"
            return WitnessAnswer(target.name, "refused", detail, status)
        return _accepted(target.name, cosigner, text, body, status, old)
    return WitnessAnswer(target.name, "refused", f"a second 409 (witness at size {old})", status)


def _accepted(name: str, cosigner: Cosigner, text: str, body: str, status: int,
              old: int) -> WitnessAnswer:
    """The lines of a 200 answer that are valid cosignatures by this witness."""
    try:
        lines = parse_cosignature_lines(body)
    except VerificationError as e:
        return WitnessAnswer(name, "refused", e.message, status)
    good = []
    for line, sig in lines:
        try:
            verify_cosignature(text, sig, cosigner)
        except VerificationError:
            continue  # another key's line, or a bad one: the client must ignore it
        good.append(line)
    if not good:
        return WitnessAnswer(name, "refused", "no valid cosignature by its key in the answer",
                             status)
    return WitnessAnswer(name, "cosigned", "", status, tuple(good), old)


def gather(note: str, targets: Sequence[WitnessTarget], last_size: Callable[[Cosigner], int],
           proof: Proof, *, timeout: float = TIMEOUT_SECONDS,
           deadline: float = DEADLINE_SECONDS) -> list[WitnessAnswer]:
    """Ask every witness that has not cosigned `note` yet, in parallel, within `deadline`."""
    answers: dict[str, WitnessAnswer] = {}
    threads = []
    for target in targets:
        cosigner = parse_cosigner_vkey(target.vkey)
        if cosignatures(note, [cosigner]):
            answers[target.name] = WitnessAnswer(target.name, "already cosigned", "")
            continue

        def run(t: WitnessTarget = target, old: int = last_size(cosigner)) -> None:
            try:
                answers[t.name] = ask(t, note, old, proof, timeout)
            except Exception as e:  # one witness's failure is reported, never raised
                answers[t.name] = WitnessAnswer(t.name, "unreachable", str(e))

        thread = threading.Thread(target=run, daemon=True, name=f"witness {target.name}")
        thread.start()
        threads.append(thread)
    end = time.monotonic() + deadline
    for thread in threads:
        thread.join(max(0.0, end - time.monotonic()))
    return [answers.get(t.name) or WitnessAnswer(t.name, "unreachable", "no answer in time")
            for t in targets]
