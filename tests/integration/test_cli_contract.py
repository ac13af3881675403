"""The contract every command keeps (docs/cli.md), checked on the whole command tree, walked
from the typer application, so a command added later is held to it too:

- `-h` works, and help placeholders are words (FIGURE, DATE), never Python or click types;
- every command takes `--json`;
- a malformed command line (an unknown option, a missing argument, a number that is not
  one) exits 2, and with `--json` the error is JSON on stdout;
- a well-formed request that is refused (here: no ledger, no key) exits 1, and with
  `--json` the error is JSON on stdout.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperArgument, TyperOption
from typer.testing import CliRunner

from tally.cli.main import app

ROOT = typer.main.get_command(app)
TYPE_NAMES = re.compile(r"\b(TEXT|INTEGER|PATH|FLOAT|BOOLEAN)\b|<(str|int|float|Path|bool)>")


def _leaves(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    children = getattr(command, "commands", None)
    if not children:
        return [(path, command)]
    return [leaf for name, sub in sorted(children.items()) for leaf in _leaves(sub, (*path, name))]


LEAVES = _leaves(ROOT)
IDS = [" ".join(path) for path, _ in LEAVES]


def _is_int(param: Any) -> bool:
    return getattr(param.type_descriptor, "annotation", None) in (int, int | None)


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    env = {"TALLY_HOME": str(tmp_path / "home"), "TALLY_DB": str(tmp_path / "none.db"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "COLUMNS": "100"}
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str) -> Any:
        result = CliRunner().invoke(app, list(args), env=env)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            args, result.exception)
        assert "Traceback" not in result.output
        return result

    return invoke


def test_the_walk_finds_every_command() -> None:
    assert {"report", "export", "proof", "consistency", "verify-proof", "keys list",
            "witness serve", "checkpoint"} <= set(IDS)


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=IDS)
def test_help_names_placeholders_in_words(run: Any, path: tuple[str, ...], command: Any) -> None:
    shown = run(*path, "-h")
    assert shown.exit_code == 0
    assert not TYPE_NAMES.search(shown.stdout), shown.stdout
    assert "--json" in shown.stdout
    assert any("--json" in getattr(p, "opts", []) for p in command.params)


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=IDS)
def test_a_malformed_command_line_exits_2_and_is_json_with_json(
    run: Any, path: tuple[str, ...], command: Any
) -> None:
    plain = run(*path, "--no-such-option")
    assert plain.exit_code == 2 and "No such option" in plain.stderr
    assert plain.stdout == ""
    as_json = run("--json", *path, "--no-such-option")
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["error"].startswith("No such option")
    # each kind of option and argument given something malformed: a number that is not one,
    # a required argument left out
    for param in command.params:
        if isinstance(param, TyperOption) and _is_int(param):
            bad = run("--json", *path, param.opts[0], "many", *_required(command, skip=param))
            assert bad.exit_code == 2, (param.name, bad.stdout)
            assert json.loads(bad.stdout)["field"] == param.name
    arguments = [p for p in command.params if isinstance(p, TyperArgument) and p.required]
    if arguments:
        missing = run("--json", *path)
        assert missing.exit_code == 2
        assert "Missing" in json.loads(missing.stdout)["error"]


def _required(command: Any, skip: Any = None, tmp: Path | None = None) -> list[str]:
    """Well-formed values for the required parameters of `command` (a file's path in `tmp`
    for a path)."""
    args: list[str] = []
    for param in command.params:
        if param is skip or not param.required:
            continue
        if _is_int(param):
            value = "1"
        elif getattr(param.type_descriptor, "is_path", False) and tmp is not None:
            value = str(tmp / "input.txt")
        else:
            value = "abcd"
        args += [value] if isinstance(param, TyperArgument) else [param.opts[0], value]
    return args


# Requests that would succeed, or serve forever, made into ones that are refused.
_REFUSED = {("witness", "serve"): ["--listen", "no-port"]}


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=IDS)
def test_a_well_formed_request_exits_0_or_1_and_errors_are_json_with_json(
    run: Any, tmp_path: Path, path: tuple[str, ...], command: Any
) -> None:
    (tmp_path / "input.txt").write_text("not a proof\n", encoding="utf-8")
    args = [*path, *_required(command, tmp=tmp_path), *_REFUSED.get(path, [])]
    if path == ("export",):
        args += ["-o", str(tmp_path / "out.jsonl")]
    plain = run(*args)
    assert plain.exit_code in (0, 1), (args, plain.output)
    if plain.exit_code == 1:
        assert plain.stderr.startswith("error:") and plain.stdout == ""
    answered = run("--json", *args)  # may meet what the first run made (a key): 0 or 1 too
    assert answered.exit_code in (0, 1), (args, answered.output)
    document = json.loads(answered.stdout)
    assert isinstance(document, dict)
    assert ("error" in document) == (answered.exit_code == 1)


def test_global_option_after_the_command_gets_a_hint(run: Any) -> None:
    shown = run("sources", "list", "--db", "x.db")
    assert shown.exit_code == 2
    assert "--db is a global option: put it before the command" in shown.stderr


def test_version_and_short_help(run: Any) -> None:
    version = run("--version")
    assert version.exit_code == 0 and re.fullmatch(r"tally \d+\.\d+\.\d+\S*\n", version.stdout)
    assert run("-h").exit_code == 0 and "--show-completion" in run("-h").stdout


def test_list_answers_are_objects(run: Any) -> None:
    for path, _ in LEAVES:
        if path[-1] in ("list", "logs"):
            answered = run("--json", *path)
            if answered.exit_code == 0:
                assert isinstance(json.loads(answered.stdout), dict), path
