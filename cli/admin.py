"""Setting a ledger up: init, local keys, signers, sources and figures."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from tally.cli.output import emit_json, success
from tally.cli.safe_text import literal
from tally.cli.state import DefaultKeyOpt, JsonOpt, show_appended, show_list, state_of


def init(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Option("--name", metavar="ORIGIN",
                          help="The ledger's origin, e.g. example.org/izium.")
    ],
    key: Annotated[
        str, typer.Option("--key", metavar="NAME", help="Operator key name (created if missing).")
    ] = "operator",
    as_json: JsonOpt = False,
) -> None:
    """Create the ledger and its operator key (idempotent).

    Example: tally init --name example.org/izium
    """
    from tally.ledger.application import check_origin

    state = state_of(ctx, as_json)
    check_origin(name)  # before any key or file is made
    ledger = state.ledger(create=True)  # a database that cannot be opened costs no key
    store = state.keystore()
    operator = store.load(key) if store.exists(key) else store.create(key)
    info, created = ledger.init(name, operator)
    if state.json:
        from tally.cli.answers import Initialised

        emit_json(Initialised(**info.__dict__, created=created))
    else:
        verb = "created" if created else "already exists:"
        success(
            Text.assemble(
                f"ledger {verb} ", literal(info.origin, "bold"), " at ", literal(info.database),
                "\noperator key ", literal(info.operator_key_id), " (", literal(key),
                "); public key ", literal(info.operator_public_key),
            )
        )


keys_app = typer.Typer(
    help="Local Ed25519 keys (private files mode 0600, never in the database).",
    no_args_is_help=True,
)


@keys_app.command("new")
def keys_new(ctx: typer.Context, name: Annotated[str, typer.Argument(metavar="NAME")],
             as_json: JsonOpt = False) -> None:
    """Generate a new key NAME in the key directory.

    Example: tally keys new alice
    """
    state = state_of(ctx, as_json)
    pair = state.keystore().create(name)
    if state.json:
        from tally.cli.answers import NewKey

        emit_json(NewKey(name=name, key_id=pair.key_id, public_key=pair.public_key.hex()))
    else:
        success(Text.assemble("key ", literal(name, "bold"),
                              f" {pair.key_id}; public key {pair.public_key.hex()}"))


@keys_app.command("list")
def keys_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the local keys (names, key ids, public keys)."""
    from tally.cli.offline_answers import KeyList

    state = state_of(ctx, as_json)
    store = state.keystore()
    show_list(state, KeyList(dir=str(store.dir), keys=store.list()), "keys",
              f"keys in {store.dir}", ["name", "key_id", "public_key"])


signers_app = typer.Typer(
    help="Signers registered in the ledger (operator-signed).", no_args_is_help=True
)


@signers_app.command("add")
def signers_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME")],
    key: Annotated[
        str,
        typer.Option(
            "--key", metavar="PUBHEX|NAME",
            help="A public key (exactly 64 hex digits, always read as a key) "
            "or the name of a local key.",
        ),
    ],
    operator: Annotated[bool, typer.Option("--operator", help="Register as an operator.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Register a signer NAME with a key; the operator key signs the registration.

    --key takes a public key as 64 hex digits (someone else's key) or the name of a key
    in your key folder; 64 hex digits are always read as a public key.
    Example: tally signers add alice --key alice
    """
    state = state_of(ctx, as_json)
    public = state.keystore().public_key_of(key)
    result = state.ledger().add_signer(
        name, public, state.operator_key(), role="operator" if operator else "signer"
    )
    show_appended(state, result, f"signer {name}")


@signers_app.command("revoke")
def signers_revoke(
    ctx: typer.Context,
    key_id: Annotated[str, typer.Argument(metavar="KEYID|NAME")],
    reason: Annotated[str, typer.Option("--reason", metavar="REASON",
                                        help="Why the key is revoked.")] = "revoked",
    as_json: JsonOpt = False,
) -> None:
    """Revoke a signer, by key id or by its registered name; what it signed before stays
    valid.

    Example: tally signers revoke bob --reason "key lost"
    """
    state = state_of(ctx, as_json)
    show_appended(state, state.ledger().revoke_signer(key_id, state.operator_key(), reason),
                  "revocation")


@signers_app.command("list")
def signers_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the ledger's signers and whether they are revoked."""
    from tally.cli.answers import SignerList

    state = state_of(ctx, as_json)
    show_list(state, SignerList(signers=state.ledger().directory.signers()), "signers",
              "signers", ["key_id", "name", "role", "revoked", "public_key"])

sources_app = typer.Typer(help="Sources: who said it.", no_args_is_help=True)


@sources_app.command("add")
def sources_add(
    ctx: typer.Context,
    source_id: Annotated[str, typer.Argument(metavar="ID")],
    name: Annotated[str, typer.Option("--name", metavar="NAME", help="Display name.")],
    kind: Annotated[
        str, typer.Option("--kind", metavar="KIND",
                          help="official, media, ngo, individual, academic, other")
    ],
    key_id: Annotated[
        str | None, typer.Option("--key-id", metavar="KEYID",
                                 help="The source's own signer key id (a registered signer).")
    ] = None,
    key: DefaultKeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a source ID.

    Example: tally sources add suspilne --name Suspilne --kind media
    """
    from tally.cli.validation import build
    from tally.ledger.model.inputs import SourceRecord

    state = state_of(ctx, as_json)
    record = build(SourceRecord, id=source_id, name=name, kind=kind, key_id=key_id)
    show_appended(state, state.ledger().add_source(record, state.signing_key(key)),
                  f"source {source_id}")


@sources_app.command("list")
def sources_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List registered sources."""
    state = state_of(ctx, as_json)
    show_list(state, state.views().sources(), "sources", "sources",
              ["id", "name", "kind", "key_id"])


figures_app = typer.Typer(help="Figures: the tracked facts.", no_args_is_help=True)


@figures_app.command("define")
def figures_define(
    ctx: typer.Context,
    figure_id: Annotated[str, typer.Argument(metavar="ID")],
    unit: Annotated[
        str, typer.Option("--unit", metavar="UNIT", help="bodies, graves, people, %, UAH, km2 ...")
    ] = "count",
    kind: Annotated[str, typer.Option("--kind", metavar="KIND",
                                      help="quantity or status")] = "quantity",
    states: Annotated[str | None, typer.Option("--states", metavar="STATES",
                                               help="Status vocabulary: a,b,c")] = None,
    cumulative: Annotated[bool, typer.Option("--cumulative", help="Should never go down.")] = False,
    integer: Annotated[bool, typer.Option(
        "--integer", help="Counts things (bodies, graves): refuse values that are not whole "
        "numbers.")] = False,
    parts: Annotated[
        str | None, typer.Option("--parts", metavar="FIGURES",
                                 help="Figure ids that sum to this one: A,B")
    ] = None,
    tolerance: Annotated[
        str, typer.Option("--tolerance", metavar="FRACTION", help="For ~values (0.05 = 5%).")
    ] = "0.05",
    name: Annotated[str | None, typer.Option(
        "--name", metavar="NAME", help="What a reader calls it (signed): "
        "\"Bodies exhumed at the Izium burial site\".")] = None,
    description: Annotated[str | None, typer.Option(
        "--description", metavar="DESCRIPTION",
        help="What it counts, in a sentence or two.")] = None,
    key: DefaultKeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Define a figure ID before reporting on it.

    Example: tally figures define izium/burial-site/bodies-exhumed --unit bodies --cumulative
    --name "Bodies exhumed at the Izium burial site"
    """
    from tally.cli.validation import build, split_list
    from tally.ledger.model.inputs import FigureRecord

    state = state_of(ctx, as_json)
    record = build(
        FigureRecord,
        id=figure_id,
        unit=unit,
        kind=kind,
        states=split_list(states),
        cumulative=cumulative,
        parts=split_list(parts),
        tolerance=tolerance,
        integer=integer,
        name=name,
        description=description,
    )
    show_appended(state, state.ledger().define_figure(record, state.signing_key(key)),
                  f"figure {figure_id}")


@figures_app.command("list")
def figures_list(
    ctx: typer.Context,
    prefix: Annotated[str | None, typer.Argument(
        metavar="PREFIX", help="Only the figures of this case, e.g. izium/burial-site.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List defined figures (those of a case with PREFIX).

    Example: tally figures list izium/burial-site
    """
    state = state_of(ctx, as_json)
    out = state.views().figures(prefix)
    # a status figure's unit and tolerance are signed defaults that measure nothing
    rows = [
        {**f.model_dump(), "parts": ",".join(f.parts), "states": ",".join(f.states),
         **({"unit": None, "tolerance": None} if f.kind == "status" else {})}
        for f in out.figures
    ]
    named = ["name"] if any(f.name for f in out.figures) else []  # a column only if used
    show_list(
        state, out, "figures", "figures",
        ["id", *named, "kind", "unit", "cumulative", "integer", "parts", "tolerance", "states"],
        rows,
    )


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.add_typer(keys_app, name="keys")
    app.add_typer(signers_app, name="signers")
    app.add_typer(sources_app, name="sources")
    app.add_typer(figures_app, name="figures")
