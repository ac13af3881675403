"""C2SP tlog-policy: which logs and witnesses a reader trusts, and the quorum it requires.

Format (https://c2sp.org/tlog-policy), one item per line, fields separated by
spaces or tabs, ``#`` comments and blank lines ignored::

    log <vkey> [<url>]
    witness <name> <vkey> [<url>]
    group <name> all|any|<k> <member>...
    quorum <name>|none

Names (witnesses and groups share one namespace; ``none`` is reserved) must be
defined on an earlier line than any line that uses them, so there are no cycles;
a member appears once per group; duplicate keys are refused. Log vkeys are
signed-note Ed25519 keys (0x01), named after the log's origin; witness vkeys are
cosignature keys (0x04). No library reads this format in Python; it is small
enough to transcribe, and every rule above has a test.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tally.ledger.errors import VerificationError
from tally.ledger.integrity.checkpoints import (
    Checkpoint,
    open_note,
    parse_decimal,
    parse_verifier_key,
    split_note,
)
from tally.ledger.integrity.cosignature import Cosigner, cosignatures, parse_cosigner_vkey

NONE = "none"
MAX_ITEMS = 1000  # far above the 32 logs, witnesses and groups the spec asks for
_FIELDS = re.compile(r"[ \t]+")
_BAD_OCTET = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _bad(number: int, why: str) -> VerificationError:
    return VerificationError(f"policy line {number}: {why}.")


@dataclass(frozen=True)
class Group:
    threshold: int
    members: tuple[str, ...]


@dataclass
class Policy:
    """A parsed policy: logs (origin -> key), witnesses (name -> cosigner), groups, quorum."""

    logs: dict[str, bytes] = field(default_factory=dict)
    witnesses: dict[str, Cosigner] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    quorum: str = NONE

    def witnessed(self, name: str, cosigned: set[str]) -> bool:
        """Whether witness or group `name` witnessed, given the witnesses that cosigned."""
        if name == NONE:
            return True
        if name in self.witnesses:
            return name in cosigned
        group = self.groups[name]
        return sum(self.witnessed(m, cosigned) for m in group.members) >= group.threshold

    def missing(self, name: str, cosigned: set[str]) -> list[str]:
        """The witnesses under `name` that did not cosign, in policy order."""
        if name == NONE:
            return []
        if name in self.witnesses:
            return [] if name in cosigned else [name]
        out: list[str] = []
        for member in self.groups[name].members:
            out.extend(w for w in self.missing(member, cosigned) if w not in out)
        return out


def parse_policy(text: str) -> Policy:
    """Parse a policy file; VerificationError names the first bad line."""
    policy = Policy()
    keys: set[bytes] = set()
    quorum_lines = 0
    lines = text.split("\n")
    if len(lines) > MAX_ITEMS:
        raise VerificationError(f"the policy has more than {MAX_ITEMS} lines.")
    for number, raw in enumerate(lines, start=1):
        if _BAD_OCTET.search(raw):
            raise _bad(number, "a control character other than tab")
        line = raw.strip(" \t")
        if not line or line.startswith("#"):
            continue
        keyword, *args = _FIELDS.split(line)
        if keyword == "log" and len(args) in (1, 2):
            try:
                origin, key = parse_verifier_key(args[0])
            except VerificationError as e:
                raise _bad(number, f"not a log key: {e.message.rstrip('.')}") from None
            if key in keys:
                raise _bad(number, "a key that is already in the policy")
            keys.add(key)
            policy.logs[origin] = key
        elif keyword == "witness" and len(args) in (2, 3):
            name = _new_name(policy, args[0], number)
            try:
                cosigner = parse_cosigner_vkey(args[1])
            except VerificationError as e:
                raise _bad(number, f"not a witness key: {e.message.rstrip('.')}") from None
            if cosigner.public_key in keys:
                raise _bad(number, "a key that is already in the policy")
            keys.add(cosigner.public_key)
            policy.witnesses[name] = cosigner
            if len(args) == 3:
                policy.urls[name] = args[2]
        elif keyword == "group" and len(args) >= 3:
            name = _new_name(policy, args[0], number)
            members = tuple(args[2:])
            for member in members:
                if member not in policy.witnesses and member not in policy.groups:
                    raise _bad(number, f"member {member!r} is not defined on an earlier line")
            if len(set(members)) != len(members):
                raise _bad(number, "a member listed twice")
            threshold = {"all": len(members), "any": 1}.get(args[1]) or \
                parse_decimal(args[1], len(members))
            if not threshold:
                raise _bad(number, f"threshold {args[1]!r} is not all, any or 1..{len(members)}")
            policy.groups[name] = Group(threshold, members)
        elif keyword == "quorum" and len(args) == 1:
            quorum_lines += 1
            name = args[0]
            if name != NONE and name not in policy.witnesses and name not in policy.groups:
                raise _bad(number, f"quorum {name!r} is not defined on an earlier line")
            policy.quorum = name
        else:
            raise _bad(number, f"not a log, witness, group or quorum line ({keyword!r})")
    if quorum_lines != 1:
        raise VerificationError("a policy needs exactly one quorum line.")
    return policy


def policy_text(log_vkey: str, witnesses: Sequence[tuple[str, str, str | None]],
                threshold: int | None) -> str:
    """A policy requiring `threshold` (all when None) of `witnesses` (name, cosignature vkey,
    URL or None) to cosign the checkpoints of the log `log_vkey`; `parse_policy` reads it."""
    lines = [f"log {log_vkey}"]
    lines += [" ".join(filter(None, ("witness", name, vkey, url))) for name, vkey, url in witnesses]
    names = [name for name, _, _ in witnesses]
    if threshold is not None and not 1 <= threshold <= len(names):
        raise VerificationError(
            f"a quorum of {threshold} needs a number between 1 and {len(names)}, the "
            "witnesses configured")
    if not names:
        return "\n".join([*lines, f"quorum {NONE}", ""])
    group = "witnesses"
    while group in names:  # witnesses and groups share one namespace
        group += "-group"
    needed = "all" if threshold is None else str(threshold)
    return "\n".join([*lines, f"group {group} {needed} {' '.join(names)}", f"quorum {group}", ""])


def _new_name(policy: Policy, name: str, number: int) -> str:
    if name == NONE or name in policy.witnesses or name in policy.groups:
        raise _bad(number, f"the name {name!r} is reserved or already defined")
    return name


@dataclass(frozen=True)
class PolicyCheck:
    """A checkpoint that meets a policy, and the policy witnesses that cosigned it."""

    checkpoint: Checkpoint
    cosigned: tuple[str, ...]


def check_note(policy: Policy, note: str,
               log_keys: Iterable[tuple[str, bytes]] = ()) -> PolicyCheck:
    """That `note` is a checkpoint signed by a policy log (or one of `log_keys`, when the
    policy lists none) and cosigned to the quorum; VerificationError names what is missing."""
    text, _ = split_note(note)
    origin = text.split("\n", 1)[0]
    trusted = policy.logs or dict(log_keys)
    if origin not in trusted:
        raise VerificationError(f"the policy does not trust log {origin!r}.")
    checkpoint = Checkpoint.parse_body(open_note(note, origin, trusted[origin]))
    by_key = cosignatures(note, policy.witnesses.values())
    cosigned = {name for name, c in policy.witnesses.items() if c in by_key}
    if not policy.witnessed(policy.quorum, cosigned):
        missing = ", ".join(policy.missing(policy.quorum, cosigned))
        raise VerificationError(
            f"checkpoint {checkpoint.size} of {origin} is short of the policy's quorum "
            f"{policy.quorum!r}: no cosignature from {missing}.")
    return PolicyCheck(checkpoint, tuple(n for n in policy.witnesses if n in cosigned))


def check_notes(policy: Policy, notes: Iterable[str], origin: str,
                log_key: bytes) -> list[PolicyCheck]:
    """Every note checked against the policy, the ledger's own key standing for the log
    when the policy lists no log; the first short one raises."""
    return [check_note(policy, note, [(origin, log_key)]) for note in notes]


def witnessed_by(policy: Policy, notes: Iterable[str], origin: str, log_key: bytes) -> list[str]:
    """The policy witnesses that cosigned every one of `notes` (checked as `check_notes`
    does; VerificationError for the first short of the quorum), sorted."""
    checks = check_notes(policy, notes, origin, log_key)
    return sorted(set.intersection(*(set(c.cosigned) for c in checks))) if checks else []
