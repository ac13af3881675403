"""The local key store: Ed25519 private keys as files under TALLY_HOME, never in the database.

Each key NAME is a PKCS#8 PEM file `keys/NAME.key` created with mode 0600 and a
`keys/NAME.pub` file with the public key in hex. A private key file readable by
group or others is refused, as ssh does, because a leaked key can sign claims; so
is a keys folder, or the home above it, that another user owns or that group or others
can write to, because whoever can write there can swap a key file for their own. New
key files are created, never opened: a file or symbolic link already at the path
(planted to redirect the write) is refused.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tally.ledger.errors import KeyStoreError
from tally.ledger.infra.bounded_files import read_regular
from tally.ledger.integrity.signing import KeyPair, key_id, public_bytes
from tally.ledger.model.suggest import hint

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_PUBLIC_HEX = re.compile(r"[0-9a-f]{64}")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # not on Windows, where O_EXCL is the guard
_PUBLIC_FILE_MAX = 256  # a .pub file is 65 bytes; never read a planted huge one whole
_PRIVATE_FILE_MAX = 4096  # a PKCS#8 PEM Ed25519 key is 119 bytes


def default_home() -> Path:
    env = os.environ.get("TALLY_HOME")
    return Path(env) if env else Path(platformdirs.user_config_dir("tally"))


def _public_hex(path: Path) -> str:
    """The public key a `.pub` file holds, as 64 lowercase hex digits, or a KeyStoreError
    naming the file: one bad file must not make every command that looks for a key fail
    with a traceback."""
    fix = "fix or remove it"
    if not path.is_file():
        raise KeyStoreError(f"public key file {path} is not a regular file: {fix}")
    try:
        with path.open("rb") as f:
            data = f.read(_PUBLIC_FILE_MAX)
    except OSError as e:
        raise KeyStoreError(
            f"public key file {path} cannot be read ({e.strerror}): {fix}") from None
    text = data.decode("ascii", errors="replace").strip().lower()
    if not _PUBLIC_HEX.fullmatch(text):
        raise KeyStoreError(
            f"public key file {path} does not hold a public key (64 hex digits): {fix}")
    return text


@dataclass(frozen=True)
class KeyInfo:
    name: str
    key_id: str
    public_key: str


class KeyStore:
    """Key files in `home/keys`; the directory is created 0700 on first use."""

    def __init__(self, home: Path | None = None) -> None:
        self.home = home or default_home()
        self.dir = self.home / "keys"

    def _paths(self, name: str) -> tuple[Path, Path]:
        if not _NAME.fullmatch(name):  # not match: "$" also matches before a final newline
            raise KeyStoreError(
                f"key name {name!r} is invalid: use letters, digits, '.', '_' or '-'"
            )
        return self.dir / f"{name}.key", self.dir / f"{name}.pub"

    def _guarded(self) -> list[tuple[Path, str]]:
        """The folders whose writers could swap a key, each with its fix: the keys folder,
        the home above it and, when that home is inside the user's own, every folder up to
        and including it (as ssh checks a key's folders up to the user's home)."""
        folders = [(self.dir, f"chmod 700 {self.dir}"), (self.home, f"chmod go-w {self.home}")]
        home = self.home.absolute()
        try:
            user = Path.home().absolute()
            above = home.relative_to(user).parents
        except (RuntimeError, ValueError):  # no home known, or the keys' home is elsewhere
            return folders
        folders += [(user / p, f"chmod go-w {user / p}") for p in list(above)[:-1]]
        return [*folders, (user, f"chmod go-w {user}")] if home != user else folders

    def _check_folder(self) -> None:
        """Refuse a keys folder, or a folder above it (`_guarded`), that another user owns
        or that group or others may write to, as ssh does: whoever can write there can swap
        a key."""
        for folder, fix in self._guarded():
            try:
                found = folder.stat()
            except FileNotFoundError:
                continue
            if hasattr(os, "geteuid") and found.st_uid not in (os.geteuid(), 0):
                raise KeyStoreError(
                    f"the folder {folder} belongs to another user (uid {found.st_uid}), who "
                    "could replace a key: use a TALLY_HOME of your own")
            if found.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                raise KeyStoreError(
                    f"the folder {folder} is writable by others, who could replace a key: "
                    f"run '{fix}'")

    def _new_file(self, path: Path, mode: int) -> int:
        """A file descriptor of `path`, created now: an existing file or link is refused."""
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, mode)
        except FileExistsError:
            what = "a symbolic link" if path.is_symlink() else "already there"
            raise KeyStoreError(
                f"{path} is {what}: remove it or choose another key name") from None

    def create(self, name: str) -> KeyPair:
        """Generate and store a new key; refuses to overwrite an existing one."""
        private_path, public_path = self._paths(name)
        if _PUBLIC_HEX.fullmatch(name.lower()):
            raise KeyStoreError(f"key name {name!r} reads as a public key (64 hex digits): "
                                "choose another name")
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)  # the umask may allow more
        self._check_folder()
        self.dir.mkdir(exist_ok=True, mode=0o700)
        if private_path.exists() and not private_path.is_symlink():
            raise KeyStoreError(f"key {name!r} already exists in {self.dir}")
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        private_fd = self._new_file(private_path, 0o600)
        try:
            public_fd = self._new_file(public_path, 0o644)
        except KeyStoreError:
            os.close(private_fd)
            private_path.unlink()
            raise
        with os.fdopen(private_fd, "wb") as f:
            f.write(pem)
        with os.fdopen(public_fd, "w") as g:
            g.write(public_bytes(key).hex() + "\n")
        return KeyPair(name, key)

    def exists(self, name: str) -> bool:
        return self._paths(name)[0].exists()

    def load(self, name: str) -> KeyPair:
        private_path, _ = self._paths(name)
        self._check_folder()
        try:
            mode = private_path.stat().st_mode
        except FileNotFoundError:
            raise KeyStoreError(
                f"no key named {name!r} in {self.dir}"
                + hint(name, [k.name for k in self.list()],
                       f"create it with 'tally keys new {name}'")
            ) from None
        pem = read_regular(private_path, _PRIVATE_FILE_MAX, "key file", KeyStoreError)
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyStoreError(
                f"key file {private_path} is readable by others: run 'chmod 600 {private_path}'"
            )
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except ValueError as e:
            raise KeyStoreError(f"key file {private_path} cannot be read: {e}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyStoreError(f"key file {private_path} is not an Ed25519 key")
        return KeyPair(name, key)

    def list(self) -> list[KeyInfo]:
        if not self.dir.exists():
            return []
        infos = []
        for pub in sorted(self.dir.glob("*.pub")):
            hexkey = _public_hex(pub)
            infos.append(KeyInfo(pub.stem, key_id(bytes.fromhex(hexkey)), hexkey))
        return infos

    def public_key_of(self, key: str) -> bytes:
        """The public key `key` stands for: 64 hex digits are that public key, whatever files
        the folder holds; anything else names a local key."""
        if _PUBLIC_HEX.fullmatch(key.lower()):
            return bytes.fromhex(key)
        if re.fullmatch(r"[0-9a-fA-F]+", key) and not self.exists(key):
            raise KeyStoreError(f"{key!r} is neither a public key (64 hex digits, not "
                                f"{len(key)}) nor the name of a key in {self.dir}")
        return self.load(key).public_key

    def find_by_public_key(self, public_key: bytes) -> KeyPair | None:
        """The local key pair whose public key is `public_key`, if this home holds it."""
        for info in self.list():
            if info.public_key == public_key.hex():
                return self.load(info.name)
        return None
