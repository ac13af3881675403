"""Shared test set-up: hypothesis profiles chosen by HYPOTHESIS_PROFILE (dev, ci), and the
database engines (`db_engine`, `new_db`, `db_url`) that storage tests run against."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow],
    derandomize=False, print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# Answers are laid out for the terminal's width, or COLUMNS: the tests set the width they
# mean, so none inherits one (pytest-xdist's workers export COLUMNS=80, a shell may too).
os.environ.pop("COLUMNS", None)


# --- database engines -------------------------------------------------------------------------
# Tests that take `db_url` (or `new_db`) run once per engine: "sqlite" (a file in tmp_path) and
# "postgres" (a fresh database per test on the server that libpq's PG* variables name). The
# PostgreSQL runs are skipped unless TALLY_TEST_POSTGRES=1 (set by `make test` through
# .ci/with-postgres and pg_virtualenv) or, with TALLY_TEST_POSTGRES unset, PGHOST is set.

POSTGRES_SKIP = (
    "PostgreSQL is not configured: run 'make test' (pg_virtualenv), or set "
    "TALLY_TEST_POSTGRES=1 with PGHOST, PGUSER and PGPASSWORD naming a server"
)


def postgres_enabled() -> bool:
    flag = os.environ.get("TALLY_TEST_POSTGRES")
    if flag is not None:
        return flag == "1"
    return bool(os.environ.get("PGHOST"))


class Databases:
    """Fresh, empty ledger databases of one engine; PostgreSQL ones are dropped at the end."""

    def __init__(self, engine: str, directory: Path) -> None:
        self.engine = engine
        self.directory = directory
        self.created: list[str] = []

    def new(self, name: str = "t.db") -> str:
        """A SQLite path in the test's directory, or the URL of a new PostgreSQL database."""
        if self.engine == "sqlite":
            return str(self.directory / name)
        import psycopg
        from psycopg import sql

        dbname = f"tally_{uuid.uuid4().hex}"
        with psycopg.connect(autocommit=True) as conn:  # PGDATABASE, PGHOST ... from the env
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        self.created.append(dbname)
        return f"postgresql:///{dbname}"

    def drop_all(self) -> None:
        if not self.created:
            return
        import psycopg
        from psycopg import sql

        with psycopg.connect(autocommit=True) as conn:
            for dbname in self.created:
                # WITH (FORCE) terminates the connections still open (a pool, a killed child).
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                             .format(sql.Identifier(dbname)))
        self.created.clear()


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip the PostgreSQL runs when there is no server (one folded line in the summary)."""
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.params.get("db_engine") == "postgres" and (
            not postgres_enabled()):
        pytest.skip(POSTGRES_SKIP)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_engine(request: pytest.FixtureRequest) -> str:
    """The engine under test: "sqlite" or "postgres" (skipped when not configured)."""
    return str(request.param)


@pytest.fixture
def new_db(db_engine: str, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """`new_db("name.db")`: one more empty database on the engine under test, as a --db value."""
    databases = Databases(db_engine, tmp_path)
    yield databases.new
    databases.drop_all()


@pytest.fixture
def db_url(new_db: Callable[[str], str]) -> str:
    """The database of this test's ledger: a SQLite file path or a postgresql:/// URL."""
    return new_db("t.db")
