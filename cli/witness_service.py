"""`tally witness`: run a C2SP tlog witness that cosigns other logs' checkpoints."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from tally.cli.output import emit_json, err_console, success
from tally.cli.safe_text import literal
from tally.cli.state import JsonOpt, show_list, state_of

if TYPE_CHECKING:
    from tally.ledger.witness_service.service import Witness

witness_app = typer.Typer(
    help="Run a witness (C2SP tlog-witness): cosign logs' checkpoints, never two views.",
    no_args_is_help=True,
)


def _default_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("tally")) / "witness"


DirOpt = Annotated[
    Path | None,
    typer.Option("--dir", help="The witness's key and state (default: a per-user folder)."),
]


def _open(folder: Path | None) -> Witness:
    from tally.ledger.witness_service.service import Witness

    return Witness.open(folder or _default_dir())


@witness_app.command("init")
def witness_init(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="The witness's key name, e.g. "
                                      "witness.example.org/w1.")],
    folder: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create the witness key and state (idempotent) and print its verifier key.

    Give the vkey to the logs you witness ('tally witnesses add') and their readers.
    Example: tally witness init --name witness.example.org/w1 --dir ./w1
    """
    from tally.ledger.witness_service.service import Witness

    state = state_of(ctx, as_json)
    witness, created = Witness.init(folder or _default_dir(), name)
    vkey = witness.cosigner.vkey
    witness.close()
    if state.json:
        from tally.cli.answers import NewWitness

        emit_json(NewWitness(name=name, vkey=vkey, dir=str(witness.folder), created=created))
    else:
        verb = "created" if created else "already exists:"
        success(Text.assemble(f"witness {verb} ", literal(name, "bold"), " in ",
                              literal(witness.folder), "\nvkey ", literal(vkey),
                              "\nserve it with: tally witness serve --dir ",
                              literal(witness.folder)))


@witness_app.command("add-log")
def witness_add_log(
    ctx: typer.Context,
    origin: Annotated[str, typer.Argument(help="The log's origin (its checkpoints' first line).")],
    vkey: Annotated[str, typer.Option("--vkey", help="The log's verifier key "
                                      "(ORIGIN+keyid+base64), as the log's "
                                      "'tally witnesses list' prints it.")],
    folder: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Witness the log ORIGIN, whose checkpoints VKEY signs.

    Example: tally witness add-log example.org/izium --vkey 'example.org/izium+1a2b3c4d+AU...'
    """
    from tally.ledger.errors import InputError
    from tally.ledger.integrity.checkpoints import parse_verifier_key

    state = state_of(ctx, as_json)
    if parse_verifier_key(vkey.strip())[0] != origin:
        raise InputError(f"the vkey names another log than {origin!r}", field="vkey")
    witness = _open(folder)
    try:
        entry = witness.add_log(vkey)
    finally:
        witness.close()
    if state.json:
        emit_json(entry)
    else:
        success(Text.assemble("witnessing log ", literal(entry.origin, "bold"),
                              f" (latest cosigned size {entry.size})"))


@witness_app.command("logs")
def witness_logs(ctx: typer.Context, folder: DirOpt = None, as_json: JsonOpt = False) -> None:
    """List the logs this witness follows and the size it last cosigned for each."""
    state = state_of(ctx, as_json)
    witness = _open(folder)
    from tally.cli.answers import WitnessedLogs

    try:
        answer = WitnessedLogs(logs=witness.logs())
    finally:
        witness.close()
    show_list(state, answer, "logs", f"logs witnessed by {witness.name}",
              ["origin", "size", "vkey"])


@witness_app.command("serve")
def witness_serve(
    ctx: typer.Context,
    listen: Annotated[str, typer.Option("--listen", help="HOST:PORT to listen on (PORT 0: "
                                        "any free port).")] = "127.0.0.1:7380",
    folder: DirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer POST /add-checkpoint and GET /<origin hash>/checkpoint until stopped.

    The first line on stdout is the URL it listens on (useful with port 0); with --json
    it is a JSON object: `url`, `name`, `vkey`.
    Example: tally witness serve --listen 127.0.0.1:7380 --dir ./w1
    """
    from tally.ledger.errors import InputError
    from tally.ledger.witness_service.server import WitnessServer, parse_listen

    try:
        address = parse_listen(listen)
    except ValueError as e:
        raise InputError(str(e), field="listen") from None
    witness = _open(folder)
    try:
        server = WitnessServer(witness, address)
    except OSError as e:
        witness.close()
        raise InputError(f"cannot listen on {listen}: {e.strerror}", field="listen") from None
    if state_of(ctx, as_json).json:
        sys.stdout.write(json.dumps({"url": server.url, "name": witness.name,
                                     "vkey": witness.cosigner.vkey}) + "\n")
    else:
        sys.stdout.write(server.url + "\n")
    sys.stdout.flush()
    err_console.print(Text.assemble("witness ", literal(witness.name, "bold"), " listening; ",
                                    "vkey ", literal(witness.cosigner.vkey)), soft_wrap=True)
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        witness.close()


def _stop(*_: object) -> None:
    """SIGTERM ends `serve` as Ctrl-C does: the server closes, the state is already stored."""
    raise KeyboardInterrupt


def register(app: typer.Typer) -> None:
    app.add_typer(witness_app, name="witness")
