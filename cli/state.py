"""What the command modules share: the per-invocation State (global options, and the
ledger, keys and read model opened lazily), the options every command takes, and the
helpers that print the answers common to many commands.

Heavy modules (eventsourcing, SQLAlchemy, cryptography) are imported only when a
command needs them, so `tally --help` starts fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from pydantic import BaseModel

    from tally.ledger import KeyPair, KeyStore, Ledger
    from tally.projections.reader import Views
    from tally.projections.readmodel import ReadModel


@dataclass
class State:
    db: str | None = None
    home: Path | None = None
    json: bool = False
    _ledger: Any = field(default=None, repr=False)
    _read_model: Any = field(default=None, repr=False)
    _views: Any = field(default=None, repr=False)  # Views on the tables, no event store
    # events a killed writer left out of the Merkle log, logged when the ledger was opened
    logged_on_open: int = 0

    def keystore(self) -> KeyStore:
        from tally.ledger.infra.keystore import KeyStore

        return KeyStore(self.home)

    def key(self, name: str) -> KeyPair:
        return self.keystore().load(name)

    def ledger(self, *, create: bool = False) -> Ledger:
        if self._ledger is None:
            from tally.ledger.application import Ledger
            from tally.projections.readmodel import ReadModel

            self._ledger = Ledger.open(self.db, create=create)
            # a writer killed mid-command may have left the log behind: its events are
            # checked, then logged, and every command says so
            self.logged_on_open = self._ledger.journal.catch_up_log()
            if self.logged_on_open:
                from tally.cli.output import warn

                warn(f"{self.logged_on_open} events were not in the Merkle log (a writer "
                     "stopped before logging them, or they were written by another program): "
                     "they were checked (rules and signatures) and logged now; no earlier "
                     "checkpoint covers them")
            self._read_model = ReadModel(self._ledger).attach()
            _say_if_refused(self._ledger.engine)
        return self._ledger  # type: ignore[no-any-return]

    def read_model(self) -> ReadModel:
        """The read model, caught up first: another process may have written since."""
        self.ledger()
        self._read_model.catch_up()
        return self._read_model  # type: ignore[no-any-return]

    def views(self) -> Views:
        """What a read command queries: when the Merkle log and the read model have caught
        up with the event store, the tables themselves, without opening the event store
        (nothing to check or project: eventsourcing and the write side stay unloaded);
        else the read model, caught up (`read_model`), which says what lags on a ledger that
        can only be read."""
        if self._ledger is None and self._views is None:
            from tally.projections.reader import open_views

            self._views = open_views(self.db)
            if self._views is not None:
                _say_if_refused(self._views.engine)
        if self._views is not None:
            return self._views  # type: ignore[no-any-return]
        return self.read_model()

    def operator_key(self) -> KeyPair:
        """The local key matching this ledger's operator key, or a clear error."""
        from tally.ledger.errors import KeyStoreError

        info = self.ledger().info()
        found = self.keystore().find_by_public_key(bytes.fromhex(info.operator_public_key))
        if found is None:
            raise KeyStoreError(
                f"the operator key {info.operator_key_id} of this ledger is not in "
                f"{self.keystore().dir}: pass --home with the directory that holds it"
            )
        return found

    def signing_key(self, name: str | None) -> KeyPair:
        """The named local key, or the operator key when no name is given."""
        return self.key(name) if name else self.operator_key()

    def close(self) -> None:
        if self._views is not None:
            self._views.engine.dispose()
        if self._ledger is not None:
            self._ledger.close()


def _say_if_refused(engine: Any) -> None:
    """A replica whose last update was refused answers from its last good checkpoint, and
    says so once a command."""
    from tally.ledger.infra.replica_mark import last_refusal

    refused = last_refusal(engine)
    if refused:
        from tally.cli.output import warn

        warn(refused, "warning")


# -- options and helpers every command module shares ------------------------------------

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (errors too).")]
SigningKeyOpt = Annotated[
    str, typer.Option("--key", metavar="NAME", help="The local key that signs (see 'tally keys').")
]
DefaultKeyOpt = Annotated[
    str | None,
    typer.Option("--key", metavar="NAME",
                 help="Local key that signs the definition (default: the operator's)."),
]


def state_of(ctx: typer.Context, as_json: bool = False) -> State:
    """The invocation's State, with the command's own --json folded into the global one."""
    state: State = ctx.obj
    state.json = state.json or as_json
    return state


def show_list(state: State, answer: BaseModel, key: str, title: str, columns: list[str],
              rows: list[dict[str, Any]] | None = None) -> None:
    """A list answer: with --json the `answer` (every list command's is an object whose list
    is `key`, so keys can be added beside it), else a table of that list (or of `rows`,
    when the table shows them otherwise)."""
    from tally.cli.output import emit, emit_json, layout_width
    from tally.cli.render import listing

    if state.json:
        emit_json(answer)
        return
    shown = answer.model_dump(mode="json")[key] if rows is None else rows
    emit(listing(shown, title, columns, layout_width()), soft_wrap=True)


def show_appended(state: State, result: Any, what: str) -> None:
    """The answer of a command that appends one event: `id`, `status`, `position`."""
    from rich.text import Text

    from tally.cli.output import emit_json, success
    from tally.cli.safe_text import literal

    if state.json:
        emit_json(result)
        return
    where = f" at position {result.position}" if result.position else ""
    success(Text.assemble(literal(what), ": ", literal(result.status), where, " ",
                          literal(result.id, "dim")))
