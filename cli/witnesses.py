"""`tally witnesses`: the witnesses this ledger asks to cosign its checkpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from tally.cli.output import emit, emit_json, layout_width, reported, success
from tally.cli.render import listing
from tally.cli.safe_text import literal
from tally.cli.state import JsonOpt, state_of
from tally.cli.words import counted

witnesses_app = typer.Typer(
    help="Witnesses that cosign this ledger's checkpoints (operator-signed configuration).",
    no_args_is_help=True,
)


@witnesses_app.command("add")
def witnesses_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A short name for the witness, e.g. w1.")],
    url: Annotated[str, typer.Option("--url", help="Its submission prefix, e.g. "
                                     "http://127.0.0.1:7380.")],
    vkey: Annotated[str, typer.Option("--vkey", help="Its cosignature vkey, as "
                                      "'tally witness init' prints it.")],
    as_json: JsonOpt = False,
) -> None:
    """Ask witness NAME to cosign every checkpoint from now on (signed by the operator key).

    Example: tally witnesses add w1 --url http://127.0.0.1:7380 --vkey 'w1.example+...'
    """
    state = state_of(ctx, as_json)
    result = state.ledger().add_witness(name, url, vkey, state.operator_key())
    if state.json:
        emit_json(result)
    else:
        success(Text.assemble(f"witness {result.status}: ", literal(name, "bold"), " at ",
                              literal(url)))


@witnesses_app.command("list")
def witnesses_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the configured witnesses, and this log's own vkey (what witnesses add with
    'tally witness add-log').

    Example: tally witnesses list
    """
    from tally.ledger.integrity.checkpoints import verifier_key

    state = state_of(ctx, as_json)
    ledger = state.ledger()
    info = ledger.info()
    log_vkey = verifier_key(info.origin, bytes.fromhex(info.operator_public_key))
    rows = [w.__dict__ for w in ledger.directory.witnesses()]
    removed = [w.__dict__ | {"reason": reason} for w, reason in
               ledger.directory.removed_witnesses()]
    if state.json:
        from tally.cli.answers import ConfiguredWitness, RemovedWitness, WitnessList

        emit_json(WitnessList(origin=info.origin, log_vkey=log_vkey,
                              witnesses=[ConfiguredWitness(**row) for row in rows],
                              removed=[RemovedWitness(**row) for row in removed]))
        return
    emit(Text.assemble("log ", literal(info.origin, "bold"), " vkey ", literal(log_vkey)),
         soft_wrap=True)
    emit(listing(rows, "witnesses", ["name", "url", "vkey"], layout_width()), soft_wrap=True)
    if removed:
        emit(listing(removed, "removed witnesses", ["name", "url", "reason"], layout_width()),
             soft_wrap=True)


@witnesses_app.command("remove")
def witnesses_remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The configured witness's name.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is no longer asked.")],
    as_json: JsonOpt = False,
) -> None:
    """Stop asking witness NAME to cosign checkpoints (signed by the operator key). Its
    name is not configured again: add the witness back under another name.

    Example: tally witnesses remove w1 --reason "the witness was shut down"
    """
    state = state_of(ctx, as_json)
    result = state.ledger().remove_witness(name, reason, state.operator_key())
    if state.json:
        emit_json(result)
    else:
        success(Text.assemble(f"witness removal {result.status}: ", literal(name, "bold")))


@witnesses_app.command("update")
def witnesses_update(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The configured witness's name.")],
    url: Annotated[str, typer.Option("--url", help="Its new submission prefix, e.g. "
                                     "http://127.0.0.1:7381.")],
    as_json: JsonOpt = False,
) -> None:
    """Ask witness NAME at a new URL from now on; its name and key stay (signed by the
    operator key).

    Example: tally witnesses update w1 --url http://127.0.0.1:7381
    """
    state = state_of(ctx, as_json)
    result = state.ledger().update_witness(name, url, state.operator_key())
    if state.json:
        emit_json(result)
    else:
        success(Text.assemble(f"witness move {result.status}: ", literal(name, "bold"),
                              " at ", literal(url)))


@witnesses_app.command("policy")
def witnesses_policy(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("--output", "-o", metavar="FILE",
                                         help="The policy file to write.")],
    quorum: Annotated[int | None, typer.Option(
        "--quorum", metavar="COUNT", help="How many witnesses must cosign (default all).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the C2SP tlog-policy file of this log and its configured witnesses, for
    readers' --policy (verify, verify-proof, monitor).

    Example: tally witnesses policy -o policy.txt --quorum 2
    """
    from tally.cli.files import output_file
    from tally.ledger.cosigned_checkpoint import witness_policy

    state = state_of(ctx, as_json)
    with output_file(output) as write:
        write(witness_policy(state.ledger().parts, quorum))
    witnesses = [w.name for w in state.ledger().directory.witnesses()]
    if state.json:
        from tally.cli.answers import WitnessPolicyWritten

        emit_json(WitnessPolicyWritten(output=str(output), witnesses=witnesses, quorum=quorum))
    else:
        what = counted(len(witnesses), "witness", "witnesses")
        reported(Text.assemble(f"wrote the policy of {what} to ", literal(str(output))))


def register(app: typer.Typer) -> None:
    app.add_typer(witnesses_app, name="witnesses")
