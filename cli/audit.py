"""Auditing: checkpoints, proofs, full verification, offline proof checks, rebuilds."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from tally.cli.files import output_file
from tally.cli.output import (
    emit,
    emit_json,
    err_console,
    error,
    layout_width,
    progress_bar,
    read_text_file,
    success,
    warn,
)
from tally.cli.render import listing, witness_answer
from tally.cli.safe_text import json_text, literal, visible
from tally.cli.state import JsonOpt, State, state_of
from tally.cli.words import counted

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tally.cli.answers import VerifyAnswer
    from tally.ledger.errors import AuditError, Checked
    from tally.ledger.integrity.tlog_policy import Policy


def checkpoint(
    ctx: typer.Context,
    list_: Annotated[bool, typer.Option("--list", help="List stored checkpoints instead.")] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE",
                                  help="Also write the note to this file.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Sign and store a checkpoint (C2SP signed tree head) with the operator key.

    Example: tally checkpoint -o checkpoint.txt
    """
    state = state_of(ctx, as_json)
    ledger = state.ledger()
    if list_:
        _list_checkpoints(state)
        return
    from tally.ledger.cosigned_checkpoint import sign_cosigned

    with output_file(output) as write:  # a path that cannot be written fails before signing
        size, note, answers = sign_cosigned(ledger.parts, state.operator_key())
        write(note)
    if state.json:
        from tally.cli.answers import SignedCheckpoint

        emit_json(SignedCheckpoint(size=size, note=note, witnesses=answers))
    else:
        for answer in answers:
            err_console.print(witness_answer(answer), soft_wrap=True)
        # the note alone on stdout, byte for byte (no wrapping), so that
        # `tally checkpoint > checkpoint.txt` keeps a note that verifies; the status on stderr
        written = (" written to ", literal(output)) if output else ()
        err_console.print(Text.assemble(("ok", "green"), ": checkpoint of size ", str(size),
                                        *written))
        typer.echo(note, nl=False)


def _list_checkpoints(state: State) -> None:
    """The stored checkpoints, each read with the checkpoint parser and its signature
    checked against the operator key: a root is shown only from a note that verifies."""
    from tally.cli.answers import CheckpointList, StoredCheckpoint
    from tally.ledger.errors import VerificationError
    from tally.ledger.integrity.checkpoints import verify_checkpoint
    from tally.ledger.model.moments import iso_utc

    ledger = state.ledger()
    info = ledger.info()
    key = bytes.fromhex(info.operator_public_key)
    rows = []
    root: str | None
    problem: str | None
    for size, note, signed_at in ledger.log.checkpoints():
        try:
            checked = verify_checkpoint(note, key, info.origin)
            root, problem = checked.root_hash.hex(), None
            if checked.size != size:
                root, problem = None, f"the note is for size {checked.size}, stored as {size}"
        except VerificationError as e:
            root, problem = None, e.message
        rows.append(StoredCheckpoint(size=size, signed_at=iso_utc(signed_at), root=root,
                                     verified=problem is None, problem=problem, note=note))
    if state.json:
        emit_json(CheckpointList(checkpoints=rows))
        return
    # roots are never cut: the rows stack as `column  value` lines when they do not fit
    failed = any(not row.verified for row in rows)
    columns = ["size", "signed_at", "root"] + (["does not verify"] if failed else [])
    shown = [{"size": row.size, "signed_at": row.signed_at, "root": row.root,
              "does not verify": row.problem} for row in rows]
    emit(listing(shown, "checkpoints", columns, layout_width()), soft_wrap=True)


def proof(
    ctx: typer.Context,
    claim: Annotated[str, typer.Argument(
        metavar="ID",
        help="Claim id, or the id of a correction or retraction (as history shows it), or "
             "a unique prefix.")],
    checkpoint_size: Annotated[
        int | None, typer.Option("--checkpoint", metavar="SIZE",
                                 help="Checkpoint size (default: latest).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write the proof here.")
    ] = None,
    tlog: Annotated[
        bool, typer.Option("--tlog", help="C2SP tlog-proof@v1 text instead of JSON.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Inclusion proof for a claim (or a correction or retraction of one) against a
    checkpoint, as JSON (or --tlog). Warns on stderr when what it proves no longer stands
    (the claim was corrected or retracted since).

    With --json the answer is the proof and `status`, `warning` (what stands now, not
    proven: verify-proof ignores them).
    Example: tally proof 69cec0ff -o proof.json
    """
    from tally.cli.answers import ProofAnswer, ProofWritten, TlogProof

    state = state_of(ctx, as_json)
    cited = state.read_model().cite(claim, checkpoint_size)
    made = cited.proof
    if cited.warning:
        warn(cited.warning, "warning")
    text = made.tlog_text() if tlog else made.model_dump_json(indent=2) + "\n"
    # what stands now: beside the proof, never in it (verify-proof drops these keys)
    status, warning = cited.status, cited.warning
    if output:
        output.write_text(text, encoding="utf-8")
        if state.json:
            emit_json(ProofWritten(claim_id=made.claim_id, kind=cited.kind, id=cited.id,
                                   leaf_index=made.leaf_index, tree_size=made.tree_size,
                                   output=str(output), status=status, warning=warning))
        else:
            success(Text.assemble(
                f"proof for {cited.kind} ", literal(cited.id), f" at leaf {made.leaf_index} "
                f"of {made.tree_size} written to ", literal(output)
            ))
    elif state.json:
        emit_json(ProofAnswer(**made.model_dump(), status=status, warning=warning) if not tlog
                  else TlogProof(claim_id=made.claim_id, kind=cited.kind, id=cited.id,
                                 tlog_proof=text, status=status, warning=warning))
    elif tlog:
        typer.echo("\n".join(visible(line) for line in text.split("\n")), nl=False)
    else:
        typer.echo(json_text(text), nl=False)


def consistency(
    ctx: typer.Context,
    old: Annotated[int, typer.Argument(metavar="OLD", help="Size of the older checkpoint.")],
    new: Annotated[int, typer.Argument(metavar="NEW", help="Size of the newer checkpoint.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE",
                                                help="Write it here.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Consistency proof (JSON) that checkpoint NEW extends checkpoint OLD append-only.

    With --json and -o FILE the answer says where it was written.
    Example: tally consistency 83 120 -o consistency.json
    """
    state = state_of(ctx, as_json)
    text = state.ledger().consistency_proof(old, new).model_dump_json(indent=2) + "\n"
    if output:
        output.write_text(text, encoding="utf-8")
        if state.json:
            from tally.cli.answers import ConsistencyWritten

            emit_json(ConsistencyWritten(old_size=old, new_size=new, output=str(output)))
        else:
            success(Text.assemble(f"consistency proof {old} -> {new} written to ",
                                  literal(output)))
    else:
        typer.echo(json_text(text), nl=False)


PolicyOpt = Annotated[
    Path | None,
    typer.Option("--policy", metavar="FILE",
                 help="A C2SP tlog-policy file: the checkpoint must be cosigned "
                 "by the witnesses its quorum requires."),
]


def read_policy(policy_file: Path) -> Policy:
    from tally.ledger.integrity.tlog_policy import parse_policy

    return parse_policy(read_text_file(policy_file, "policy"))


def verify(
    ctx: typer.Context,
    operator_key: Annotated[
        str | None, typer.Option("--operator-key", metavar="PUBHEX",
                                 help="Expected operator public key (hex).")
    ] = None,
    kept: Annotated[
        list[Path] | None,
        typer.Option("--checkpoint", metavar="FILE",
                     help="A checkpoint note you kept (repeatable): the "
                     "ledger must hold the same root at its size."),
    ] = None,
    policy: PolicyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Full audit: rules and signatures at every position, Merkle log, stored checkpoints
    and the ones you kept, and read models vs a rebuild.

    With --policy, the latest stored checkpoint and the ones you kept must also be
    cosigned to the policy's quorum. Exits 1 naming the first bad position or the
    missing witnesses. Never repairs anything.
    Example: tally verify --operator-key 980468cb... --checkpoint checkpoint.txt
    """
    from tally.ledger.errors import AuditError
    from tally.ledger.integrity.signing import parse_public_key
    from tally.ledger.verify.audit import verify as run_verify

    state = state_of(ctx, as_json)
    expected = parse_public_key(operator_key) if operator_key else None
    notes = [read_text_file(path, "checkpoint") for path in kept or []]
    required = None if policy is None else read_policy(policy)
    # the read models against a rebuild, in a process of its own beside the audit
    with state.read_model().diff_apart() as compared:
        try:
            with progress_bar("verifying") as progress:
                audited = run_verify(state.ledger().parts, operator_key=expected,
                                     kept=notes, progress=progress, policy=required)
        except AuditError as refused:
            compared.cancel()
            if state.json:
                emit_json(_verify_answer(state, refused.checked, refused=refused))
            else:
                where = (f"position {refused.position}: " if refused.position is not None
                         else "")
                error(where + refused.message, as_json=False)
            raise typer.Exit(1) from None
        differences = compared.wait()
    if state.json:
        emit_json(_verify_answer(state, audited, differences=differences,
                                 witnessed_by=audited.witnessed_by))
    elif differences:
        error(
            f"read models differ from a rebuild: {differences[0]} (run 'tally rebuild')",
            as_json=False,
        )
    else:
        success(
            f"[green]ok[/]: {counted(audited.events, 'event')}, "
            f"{counted(audited.signatures, 'signature')}, "
            f"{counted(audited.checkpoints, 'checkpoint')}"
            + (f" and {counted(audited.kept, 'kept checkpoint')}" if audited.kept else "")
            + f" verified; root {audited.root}"
        )
        if audited.witnessed_by:
            success(Text.assemble("latest checkpoint cosigned to the policy's quorum by ",
                                  literal(", ".join(audited.witnessed_by))))
        if audited.pending:
            warn(f"{counted(audited.pending, 'event')} past the Merkle log's end: checked "
                 "(rules and signatures) but not in the root above; a writer is still logging "
                 "them")
    if differences:
        raise typer.Exit(1)


def _verify_answer(state: State, checked: Checked, *, refused: AuditError | None = None,
                   differences: Sequence[str] = (),
                   witnessed_by: Sequence[str] = ()) -> VerifyAnswer:
    """`verify --json`: what the audit checked, and its refusal or the read models'
    differences from a rebuild."""
    from tally.cli.answers import VerifyAnswer

    return VerifyAnswer(
        ok=refused is None and not differences, events=checked.events,
        signatures=checked.signatures, checkpoints=checked.checkpoints,
        kept_checkpoints=checked.kept, pending=checked.pending, tree_size=checked.size,
        root=checked.root, problem=None if refused is None else refused.message,
        position=None if refused is None else refused.position,
        projection_differences=list(differences[:20]), logged_on_open=state.logged_on_open,
        witnessed_by=list(witnessed_by),
    )


def _read(path: Path) -> str:
    """A proof or checkpoint file's text: a binary or oversized file is one sentence."""
    from tally.ledger.errors import VerificationError
    from tally.ledger.infra.bounded_files import read_regular
    from tally.ledger.verify.citation import MAX_FILE_BYTES, file_text

    return file_text(read_regular(path, MAX_FILE_BYTES, "file", VerificationError), str(path))


def verify_proof(
    ctx: typer.Context,
    proof_file: Annotated[
        Path, typer.Argument(metavar="PROOF", help="proof JSON or tlog-proof file")
    ],
    checkpoint_file: Annotated[
        Path, typer.Option("--checkpoint", metavar="FILE",
                           help="A checkpoint note file you trust.")
    ],
    operator_key: Annotated[
        str, typer.Option("--operator-key", metavar="PUBHEX",
                          help="The operator's public key (hex).")
    ],
    consistency_file: Annotated[
        Path | None,
        typer.Option(
            "--consistency", metavar="FILE",
            help="A consistency proof from the proof's own (older) checkpoint to the "
            "--checkpoint you trust (newer), as 'tally consistency' writes it.",
        ),
    ] = None,
    policy: PolicyOpt = None,
    claim: Annotated[
        str | None,
        typer.Option("--claim", metavar="CLAIM", help="The claim id (or a 4+ digit prefix) "
                     "you cite: the proof must prove that claim."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a proof offline, with no database: signature, checkpoint, audit path.

    With --consistency, an inclusion proof made against an older checkpoint is checked
    through a newer checkpoint you trust. With --policy, the trusted checkpoint must be
    cosigned to the policy's quorum (refused, naming the missing witnesses, if not).
    Example: tally verify-proof proof.json --checkpoint checkpoint.txt --operator-key 980468cb...
    """
    from tally.ledger.integrity.signing import parse_public_key
    from tally.ledger.verify.citation import ProvenConsistency, require_claim, verify_proof_file

    state = state_of(ctx, as_json)
    checked = verify_proof_file(
        _read(proof_file),
        _read(checkpoint_file),
        parse_public_key(operator_key),
        None if consistency_file is None else _read(consistency_file),
        None if policy is None else read_policy(policy),
    )
    if claim is not None:
        require_claim(checked, claim)
    if state.json:
        emit_json(checked)
    elif isinstance(checked, ProvenConsistency):
        success(Text.assemble(
            ("ok", "green"), f": checkpoint {checked.new_size} extends checkpoint "
            f"{checked.old_size} of ", literal(checked.origin), " append-only"
        ))
    else:
        through = (
            f", which the trusted checkpoint of size {checked.trusted_tree_size} "
            "extends append-only" if checked.trusted_tree_size is not None else ""
        )
        of_claim = "" if checked.kind == "claim" else f"{checked.kind} {checked.event_id} of "
        success(Text.assemble(
            ("ok", "green"), ": ", literal(of_claim), "claim ", literal(checked.claim_id),
            f" is leaf {checked.leaf_index} of the {checked.tree_size}-event log signed by ",
            literal(checked.origin), through,
        ))
        from tally.cli.citation_view import proven_statement  # its models: only here

        emit(proven_statement(checked))
    if checked.witnessed_by and not state.json:
        success(Text.assemble("cosigned to the policy's quorum by ",
                              literal(", ".join(checked.witnessed_by))))


def rebuild(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Drop and rebuild the read models from the event log.

    Example: tally rebuild
    """
    state = state_of(ctx, as_json)
    views = state.read_model()
    with progress_bar("rebuilding") as progress:
        views.rebuild(progress=progress)
    if state.json:
        from tally.cli.answers import Rebuilt

        emit_json(Rebuilt(position=views.position()))
    else:
        success(f"read models rebuilt up to position {views.position()}")


def register(app: typer.Typer) -> None:
    app.command()(checkpoint)
    app.command()(proof)
    app.command()(consistency)
    app.command()(verify)
    app.command("verify-proof")(verify_proof)
    app.command()(rebuild)
