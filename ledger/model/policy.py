"""The ledger's rules, as pure functions over small facts: one copy for every path.

`tally report` and the other commands (through `ledger.handlers`), the bulk
import, the check of a tail another process left unlogged, and the full audit
(`ledger.verify.replay`) all call these, each with facts from its own source (the
aggregates, the import's staging file, the audit's running state).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Protocol

from tally.ledger.errors import (
    ClaimStateError,
    DuplicateDefinitionError,
    InputError,
    InvalidValueError,
    NotAuthorisedError,
    RevokedSignerError,
    UnknownSignerError,
)
from tally.ledger.model.dates import check_published, parse_edtf_date
from tally.ledger.model.kinds import FigureKind, Role
from tally.ledger.model.suggest import hint
from tally.ledger.model.values import Quantity, Status, parse_value


class SignerFacts(Protocol):
    key_id: str
    role: Role
    revoked: bool


class ClaimFacts(Protocol):
    """What a correction or retraction needs of the claim it refers to."""

    @property
    def claim_id(self) -> str: ...

    figure: str
    signer: str
    retracted: bool
    followups: list[str]


class FigureFacts(Protocol):
    figure_id: str
    kind: FigureKind
    states: list[str]
    integer: bool  # counts things: whole numbers only


def signer_may_sign(signer: SignerFacts | None, key_id: str) -> SignerFacts:
    """The signer of a new event: registered and not revoked (what a key signed before its
    revocation stays valid, so this is asked of new events only)."""
    if signer is None:
        raise UnknownSignerError(
            f"signer {key_id} is not registered in this ledger: "
            "an operator must run 'tally signers add'")
    if signer.revoked:
        raise RevokedSignerError(f"signer {key_id} was revoked and can no longer sign")
    return signer


def operator_only(signer_key_id: str, operator_key_id: str, what: str) -> None:
    """Signer registrations and revocations are signed by the ledger's operator key."""
    if signer_key_id != operator_key_id:
        raise NotAuthorisedError(f"only the ledger's operator key may sign {what}", field="key")


def may_revoke(key_id: str, operator_key_id: str) -> None:
    if key_id == operator_key_id:
        raise NotAuthorisedError(
            "the ledger's operator key is its trust root and cannot be revoked", field="key")


def followup_is_new(claim: ClaimFacts, followup_id: str, signer: SignerFacts, *,
                    correcting: bool) -> bool:
    """False when this exact follow-up is already recorded; a new one is refused if its
    signer is revoked, is neither the claim's signer nor an operator, or if the claim is
    retracted."""
    if followup_id in claim.followups:
        return False
    signer_may_sign(signer, signer.key_id)
    if signer.key_id != claim.signer and signer.role != "operator":
        raise NotAuthorisedError(
            f"only the claim's signer ({claim.signer}) or an operator key may correct "
            f"or retract claim {claim.claim_id}")
    if claim.retracted:
        if correcting:
            raise ClaimStateError(f"claim {claim.claim_id} is retracted and cannot be corrected")
        raise ClaimStateError(f"claim {claim.claim_id} is already retracted")
    return True


def defined_once(existing: object | None, wanted: object, refusal: str, field: str) -> bool:
    """Each source, figure, signer and witness is defined once, under its id. True for an id
    nothing defines yet; False when `existing` (what is recorded under it) is `wanted`
    (appending the same definition twice is a no-op); another definition of a taken id is
    refused with `refusal`, naming `field`."""
    if existing is None:
        return True
    if existing == wanted:
        return False
    raise DuplicateDefinitionError(refusal, field=field)


def witness_is_new(name: str, url: str, vkey: str,
                   configured: Mapping[str, tuple[str, str]],
                   removed: Mapping[str, str] | None = None) -> bool:
    """A witness is configured once, and its key under one name only (one key cosigning
    under two names would count twice toward a quorum). `configured`: (url, vkey) by name;
    `removed`: the removal's reason by name (a removed name is never configured again: its
    aggregate is derived from the name). False when this one is configured already with
    this URL and key."""
    if removed and name in removed:
        raise DuplicateDefinitionError(
            f"witness {name!r} was removed ({removed[name]}): choose another name",
            field="name")
    if not defined_once(configured.get(name), (url, vkey),
                        f"witness {name!r} is already configured with another URL or key",
                        "name"):
        return False
    for other, (_, other_vkey) in configured.items():
        if other_vkey == vkey:
            raise DuplicateDefinitionError(f"witness {other!r} is already configured with "
                                           "this key", field="vkey")
    return True

def witness_configured(name: str, configured: Mapping[str, tuple[str, str]],
                       removed: Mapping[str, str] | None = None) -> tuple[str, str]:
    """A witness removed or updated is configured (added, and not removed since): its
    (url, vkey)."""
    if removed and name in removed:
        raise ClaimStateError(f"witness {name!r} was removed ({removed[name]})", field="name")
    found = configured.get(name)
    if found is None:
        raise InputError(f"witness {name!r} is not configured"
                                  + hint(name, list(configured), "see 'tally witnesses list'"),
                                  field="name")
    return found


def witness_url_changes(url_in_force: str, url: str) -> bool:
    """An update moves the witness: False (already recorded, nothing appended) when it is
    at this URL already."""
    return url != url_in_force


def correction_changes(claim_id: str, value_in_force: str, corrected: str) -> None:
    """A correction signed now changes the claim's value; one that would not is refused, as
    nothing would be recorded. Not replayed: such corrections signed before stay valid."""
    if corrected == value_in_force:
        raise ClaimStateError(
            f"claim {claim_id} already has the value {corrected}: a correction must change "
            "it; nothing was recorded")


def check_figure_shape(figure_id: str, kind: str, cumulative: bool, parts: Sequence[str],
                       states: Sequence[str], defined: Callable[[str], object]) -> None:
    """A figure definition that can hold: its parts defined first, once each, and not itself;
    `defined(id)` raises for a figure that is not defined."""
    for part in parts:
        defined(part)
    if kind == "status" and (cumulative or parts):
        raise InputError("a status figure cannot be cumulative or have parts", field="kind")
    if kind == "quantity" and states:
        raise InputError("only a status figure has states", field="states")
    if figure_id in parts:
        raise InputError(f"figure {figure_id!r} cannot be one of its own parts", field="parts")
    if len(set(parts)) != len(parts):
        raise InputError("a figure's parts must not repeat", field="parts")
    if len(set(states)) != len(states):
        raise InputError("a figure's states must not repeat", field="states")


def new_status_has_states(kind: str, states: Sequence[str]) -> None:
    """A status figure signed now names its states, so a number or a typo cannot be reported
    on it. Asked of definitions this ledger signs, not replayed: a status figure signed
    without states before this rule stays valid, and its export re-imports."""
    if kind == "status" and not states:
        raise InputError("a status figure needs its states: give them with --states a,b",
                         field="states")


def value_for(figure: FigureFacts, written: str) -> Quantity | Status:
    value = _value(written, figure.kind, tuple(figure.states))
    if figure.integer and isinstance(value, Quantity) and not value.is_whole():
        raise InvalidValueError(
            f"figure {figure.figure_id!r} counts things (defined with --integer): {written!r} "
            "must use whole numbers")
    return value


@lru_cache(maxsize=16384)
def _value(written: str, kind: FigureKind, states: tuple[str, ...]) -> Quantity | Status:
    """Values repeat (small counts above all): each distinct one is parsed once. Quantity and
    Status are immutable, so one parsed object can serve every caller."""
    return parse_value(written, kind=kind, states=list(states) or None)


def check_dates(as_of: str, published: str | None, today: dt.date) -> None:
    """as_of and published parse, are not in the future, and published is not before as_of."""
    valid = parse_edtf_date(as_of, field="as_of", now=today)
    if published is not None:
        check_published(valid, parse_edtf_date(published, field="published", now=today))


def check_period(period: str) -> None:
    """A case's period is an EDTF date or interval (it may run on past today)."""
    parse_edtf_date(period, field="period", now=dt.date.max)
