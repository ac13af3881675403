"""Unit tests for ledger.infra.keystore: key files, their modes, and the refusals a user sees."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tally.ledger.errors import KeyStoreError
from tally.ledger.infra.keystore import KeyStore, default_home
from tally.ledger.integrity.signing import check_signature, key_id, sign


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    return KeyStore(tmp_path / "home")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_create_writes_a_private_file_0600_in_a_directory_0700(store: KeyStore) -> None:
    pair = store.create("alice")
    assert mode(store.dir) == 0o700
    assert mode(store.dir / "alice.key") == 0o600
    assert (store.dir / "alice.pub").read_text() == pair.public_key.hex() + "\n"
    assert b"PRIVATE KEY" in (store.dir / "alice.key").read_bytes()


def test_a_loaded_key_is_the_created_key(store: KeyStore) -> None:
    created = store.create("alice")
    loaded = store.load("alice")
    assert loaded.name == "alice"
    assert loaded.public_key == created.public_key
    assert loaded.key_id == key_id(created.public_key)
    check_signature(created.public_key, "{}", sign(loaded.private_key, "{}"))


def test_each_key_is_new(store: KeyStore) -> None:
    assert store.create("a").public_key != store.create("b").public_key


@pytest.mark.parametrize("perm", [0o640, 0o604, 0o660, 0o644, 0o610, 0o601])
def test_a_key_file_open_to_group_or_others_is_refused(store: KeyStore, perm: int) -> None:
    store.create("alice")
    path = store.dir / "alice.key"
    path.chmod(perm)
    with pytest.raises(KeyStoreError) as caught:
        store.load("alice")
    assert "chmod 600" in caught.value.message
    assert caught.value.field == "key"


def test_an_owner_only_read_only_key_file_is_accepted(store: KeyStore) -> None:
    store.create("alice")
    (store.dir / "alice.key").chmod(0o400)
    assert store.load("alice").name == "alice"


def test_a_missing_key_names_it_and_says_how_to_create_it(store: KeyStore) -> None:
    with pytest.raises(KeyStoreError) as caught:
        store.load("bob")
    message = caught.value.message
    assert "'bob'" in message
    assert "tally keys new bob" in message
    assert "\n" not in message


def test_a_duplicate_name_is_refused_and_the_first_key_kept(store: KeyStore) -> None:
    first = store.create("alice")
    with pytest.raises(KeyStoreError, match="already exists"):
        store.create("alice")
    assert store.load("alice").public_key == first.public_key


@pytest.mark.parametrize("name", ["", "../escape", "a/b", ".hidden", "-dash", "x" * 65, "sp ace"])
def test_bad_key_names_are_refused(store: KeyStore, name: str) -> None:
    with pytest.raises(KeyStoreError, match="invalid"):
        store.create(name)
    assert not store.dir.exists() or not any(store.dir.iterdir())


def test_an_unreadable_key_file_is_refused(store: KeyStore) -> None:
    store.create("alice")
    (store.dir / "alice.key").write_bytes(b"not a pem")
    with pytest.raises(KeyStoreError, match="cannot be read"):
        store.load("alice")


def test_list_and_exists(store: KeyStore) -> None:
    assert store.list() == []
    a = store.create("alice")
    b = store.create("bob")
    assert store.exists("alice")
    assert not store.exists("carol")
    infos = store.list()
    assert [i.name for i in infos] == ["alice", "bob"]
    assert [i.key_id for i in infos] == [a.key_id, b.key_id]
    assert [i.public_key for i in infos] == [a.public_key.hex(), b.public_key.hex()]


def test_find_by_public_key(store: KeyStore) -> None:
    store.create("alice")
    bob = store.create("bob")
    found = store.find_by_public_key(bob.public_key)
    assert found is not None
    assert found.name == "bob"
    assert found.public_key == bob.public_key
    assert store.find_by_public_key(b"\x00" * 32) is None


def test_find_by_public_key_in_an_empty_home(store: KeyStore) -> None:
    assert store.find_by_public_key(b"\x00" * 32) is None


def test_default_home_follows_tally_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TALLY_HOME", str(tmp_path))
    assert default_home() == tmp_path
    assert KeyStore().dir == tmp_path / "keys"


# --- planted files and open folders (issue 12) -------------------------------------------------


@pytest.mark.parametrize("planted", ["bob.pub", "bob.key"])
def test_keys_new_never_writes_through_a_planted_symlink(
    store: KeyStore, tmp_path: Path, planted: str
) -> None:
    store.create("alice")
    target = tmp_path / "victim.txt"
    target.write_text("precious\n")
    (store.dir / planted).symlink_to(target)
    with pytest.raises(KeyStoreError) as caught:
        store.create("bob")
    assert planted in caught.value.message and "\n" not in caught.value.message
    assert target.read_text() == "precious\n"
    assert sorted(p.name for p in store.dir.iterdir()) == sorted(["alice.key", "alice.pub",
                                                                  planted])


def test_keys_new_never_writes_through_a_dangling_symlink(store: KeyStore, tmp_path: Path) -> None:
    store.create("alice")
    (store.dir / "bob.pub").symlink_to(tmp_path / "created-elsewhere")
    with pytest.raises(KeyStoreError):
        store.create("bob")
    assert not (tmp_path / "created-elsewhere").exists()
    assert not (store.dir / "bob.key").exists()


@pytest.mark.parametrize("perm", [0o777, 0o770, 0o720, 0o702, 0o1777])
def test_a_keys_folder_others_can_write_to_is_refused(store: KeyStore, perm: int) -> None:
    store.create("alice")
    store.dir.chmod(perm)
    for attempt in (lambda: store.load("alice"), lambda: store.create("bob")):
        with pytest.raises(KeyStoreError) as caught:
            attempt()
        assert f"chmod 700 {store.dir}" in caught.value.message
        assert caught.value.field == "key"
    assert not (store.dir / "bob.key").exists()
    store.dir.chmod(0o700)
    assert store.load("alice").name == "alice"


@pytest.mark.parametrize("perm", [0o755, 0o750, 0o500])
def test_a_keys_folder_others_can_only_read_is_accepted(store: KeyStore, perm: int) -> None:
    store.create("alice")
    store.dir.chmod(perm)
    try:
        assert store.load("alice").name == "alice"
    finally:
        store.dir.chmod(0o700)


@pytest.mark.parametrize("name", ["bob\n", "a" * 64, "0123456789ABCDEF" * 4])
def test_names_that_read_as_something_else_are_refused(store: KeyStore, name: str) -> None:
    """A trailing newline slipped past `$`; 64 hex digits read as a public key in --key."""
    with pytest.raises(KeyStoreError, match=r"invalid|public key"):
        store.create(name)
    assert not store.dir.exists() or not any(store.dir.iterdir())


def test_public_key_of_reads_64_hex_digits_as_a_key_and_anything_else_as_a_name(
    store: KeyStore,
) -> None:
    alice = store.create("alice")
    other = bytes(range(32))
    assert store.public_key_of(other.hex()) == other
    assert store.public_key_of(other.hex().upper()) == other
    assert store.public_key_of("alice") == alice.public_key
    with pytest.raises(KeyStoreError, match="neither a public key"):
        store.public_key_of("abcd")
    with pytest.raises(KeyStoreError, match="tally keys new bob"):
        store.public_key_of("bob")
