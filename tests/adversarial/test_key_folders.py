"""Key folders another user owns or can write to.

Root's `tally init` adopted an `operator.key` another user had planted in a shared
`TALLY_HOME`, and a world-writable `TALLY_HOME` was accepted: whoever can write there
can swap the `keys` folder for their own. As ssh does, the keys folder and the home
above it must belong to the current user (or root) and be writable by no one else.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from clirunner import Tally

from tally.ledger.errors import KeyStoreError
from tally.ledger.infra.keystore import KeyStore

NOBODY = 65534


def test_a_world_writable_home_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o777)
    out = Tally(tmp_path)("init", "--name", "example.org/shared", code=1).output
    assert f"the folder {home} is writable by others" in out, out
    assert not (home / "keys").exists()
    home.chmod(0o1777)  # sticky: others still make files in it, and folders
    with pytest.raises(KeyStoreError, match="writable by others"):
        KeyStore(home).create("alice")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="only root can give a folder to another user")
@pytest.mark.parametrize("planted", ["home", "keys"])
def test_root_does_not_adopt_a_key_another_user_planted(tmp_path: Path, planted: str) -> None:
    home = tmp_path / "home"
    KeyStore(home).create("operator")  # as if the other user had run `tally keys new`
    os.chown(home if planted == "home" else home / "keys", NOBODY, NOBODY)
    out = Tally(tmp_path)("init", "--name", "example.org/shared", code=1).output
    owned = home if planted == "home" else home / "keys"
    assert f"the folder {owned} belongs to another user" in out, out


def test_a_home_made_under_a_loose_umask_is_not_writable_by_others(tmp_path: Path) -> None:
    old = os.umask(0o002)
    try:
        store = KeyStore(tmp_path / "made" / "home")
        store.create("alice")
        assert store.load("alice").name == "alice"
    finally:
        os.umask(old)
    assert (tmp_path / "made" / "home").stat().st_mode & 0o022 == 0


def test_a_folder_between_the_user_home_and_the_keys_others_can_write_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As ssh checks: another user who can write `~/.config` can swap `~/.config/tally`."""
    user = tmp_path / "user"
    store = KeyStore(user / ".config" / "tally")
    store.create("alice")
    monkeypatch.setenv("HOME", str(user))
    (user / ".config").chmod(0o777)
    with pytest.raises(KeyStoreError, match=f"the folder {user / '.config'} is writable"):
        store.load("alice")
    (user / ".config").chmod(0o755)
    assert store.load("alice").name == "alice"
    KeyStore(tmp_path / "elsewhere").create("bob")  # not under the user's home: its own
