"""The docs name the code as it is: every module is in docs/architecture.md's tables, and
every table row names a module that exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tally.ledger.model.identity import TYPE_NAMES

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("ledger", "projections", "cli")
ARCHITECTURE = ROOT / "docs" / "architecture.md"
HEADING = re.compile(r"^### `([\w/]+)/`$")
NAME = re.compile(r"`([\w/]+\.py)`")


def tables() -> dict[str, set[str]]:
    """Each `### `folder/`` heading's table: the folder and the module paths its rows name."""
    found: dict[str, set[str]] = {}
    folder = None
    for line in ARCHITECTURE.read_text().splitlines():
        if heading := HEADING.match(line):
            folder = heading.group(1)
            found[folder] = set()
        elif line.startswith("## "):
            folder = None
        elif folder is not None and line.startswith("| `"):
            first = line.split(" | ")[0]
            found[folder] |= {f"{folder}/{name}" for name in NAME.findall(first)}
    return found


def is_module(path: Path) -> bool:
    """An `__init__.py` is a module to describe only when it defines something."""
    return path.name != "__init__.py" or bool(re.search(r"^(def|class) ", path.read_text(), re.M))


def modules() -> set[str]:
    return {str(p.relative_to(ROOT)) for folder in FOLDERS
            for p in (ROOT / folder).rglob("*.py") if is_module(p)}


def test_every_module_is_in_its_folders_table() -> None:
    named = tables()
    missing = []
    for module in sorted(modules()):
        folder = module.rsplit("/", 1)[0]
        if module not in named.get(folder, set()):
            missing.append(module)
    assert not missing, f"docs/architecture.md has no table row for {missing}"


def test_every_table_row_names_a_module() -> None:
    stale = sorted(name for names in tables().values() for name in names
                   if not (ROOT / name).is_file())
    assert not stale, f"docs/architecture.md names modules that do not exist: {stale}"


def test_the_tables_cover_every_package() -> None:
    packages = {str(p.parent.relative_to(ROOT)) for folder in FOLDERS
                for p in (ROOT / folder).rglob("__init__.py")}
    assert packages <= set(tables()), sorted(packages - set(tables()))


PROSE = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md", ROOT / "CONTRIBUTING.md"]
TICKED = re.compile(r"`([^`\s]+)`")
FILE = re.compile(r"^[\w./-]+\.py$")
DOTTED = re.compile(r"^(?:tally\.)?(ledger|projections|cli)(\.[a-z_]\w*)+$")
CODE = ("ledger", "projections", "cli", "tests", "benchmarks", "examples")


def file_exists(name: str) -> bool:
    """A `.py` path as prose writes it: from the root, from a code folder, or bare."""
    name = name.removeprefix("./")
    if (ROOT / name).is_file() or any((ROOT / d / name).is_file() for d in CODE):
        return True
    return any(str(p).endswith("/" + name) for d in CODE for p in (ROOT / d).rglob("*.py"))


def dotted_exists(name: str) -> bool:
    """A dotted module path, the last part possibly a name defined in the module (so
    `ledger.verify.verify` is stale: the package `ledger.verify` defines no `verify`)."""
    parts = name.removeprefix("tally.").split(".")
    path = ROOT.joinpath(*parts)
    if len(parts) > 1 and (path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()):
        return True
    if len(parts) < 2:
        return False
    module = ROOT.joinpath(*parts[:-1])
    source = module.with_suffix(".py") if module.with_suffix(".py").is_file() \
        else module / "__init__.py"
    return source.is_file() and parts[-1] in defined_names(source)


def defined_names(source: Path) -> set[str]:
    """The names a module binds at its top level: definitions, assignments, imports, and
    what its `__all__` exports."""
    names: set[str] = set()
    for node in ast.parse(source.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
            exports = any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets)
            if exports and isinstance(node.value, ast.List):  # lazy exports
                names |= {e.value for e in node.value.elts if isinstance(e, ast.Constant)}
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def test_a_name_in_a_module_is_checked_too() -> None:
    assert dotted_exists("ledger.verify.audit.verify") and dotted_exists("ledger.verify.replay")
    assert dotted_exists("ledger.verify.replay.RULES") and dotted_exists("tally.ledger.Ledger")
    assert not dotted_exists("ledger.verify.verify")
    assert not dotted_exists("tally.ledger.audit") and not dotted_exists("ledger.Nothing")


def named_modules(text: str) -> set[str]:
    """Backticked `.py` paths and dotted module paths; stored type names (`ledger.created`)
    look dotted but name events."""
    return {t for t in TICKED.findall(text)
            if FILE.match(t) or (DOTTED.match(t) and t not in TYPE_NAMES)}


def test_every_module_the_docs_name_exists() -> None:
    stale = sorted(f"{doc.name}: {name}" for doc in PROSE for name in named_modules(doc.read_text())
                   if not (file_exists(name) if name.endswith(".py") else dotted_exists(name)))
    assert not stale, stale


def docstrings(path: Path) -> str:
    nodes = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return "\n".join(ast.get_docstring(n) or "" for n in ast.walk(ast.parse(path.read_text()))
                     if isinstance(n, nodes))


def test_every_module_a_docstring_names_exists() -> None:
    stale = sorted(f"{path.relative_to(ROOT)}: {name}" for folder in FOLDERS
                   for path in (ROOT / folder).rglob("*.py")
                   for name in named_modules(docstrings(path))
                   if not (file_exists(name) if name.endswith(".py") else dotted_exists(name)))
    assert not stale, stale


def test_the_readme_says_how_to_go_on_after_the_demo() -> None:
    """Where `tally` is, the TALLY_HOME and database the demo used, and where the operator
    key for --operator-key comes from (issue 28)."""
    readme = (ROOT / "README.md").read_text()
    demo = (ROOT / "examples" / "izium" / "demo.sh").read_text()
    home = re.search(r'TALLY_HOME="\$\{TALLY_HOME:-\$PWD/([^}]+)\}"', demo)
    db = re.search(r'TALLY_DB="\$\{TALLY_DB:-\$PWD/([^}]+)\}"', demo)
    assert home and db, "the demo no longer says which TALLY_HOME and database it uses"
    assert f"export TALLY_HOME={home[1]} TALLY_DB={db[1]}" in readme
    assert "source .venv/bin/activate" in readme and "`.venv/bin`" in readme
    assert "`--operator-key`, is the `public_key` of the `operator` key in `tally keys list`" \
        in " ".join(readme.split())
