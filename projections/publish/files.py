"""A site's files, read and written without following a symbolic link.

Whoever can write in the site's folder could plant links: a link at a temporary name
made `publish` write a file elsewhere, and a link for a folder made it write pages into
another folder. Here every folder inside the site is opened with O_NOFOLLOW from its
parent's descriptor (a link is refused), every file is read with O_NOFOLLOW (a link is
refused), and written atomically: created under a temporary name with
O_EXCL|O_NOFOLLOW (a leftover or planted temporary is removed first, never followed),
then renamed over the file. The site's own folder may be a link: the caller chose it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

from tally.ledger.errors import VerificationError

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO planted in the site must not block


class SiteFiles:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def read(self, relative: str, cap: int) -> bytes | None:
        """At most `cap` + 1 bytes of the file at `relative` (enough to tell it from `cap`
        bytes), or None if there is none; a FIFO or a device there is refused, unread."""
        *folders, name = self._parts(relative)
        try:
            parent = self._folder(folders, create=False)
        except FileNotFoundError:
            return None
        try:
            fd = self._open(relative, name, os.O_RDONLY | _NOFOLLOW | _CLOEXEC | _NONBLOCK,
                            parent)
        except FileNotFoundError:
            return None
        finally:
            os.close(parent)
        with os.fdopen(fd, "rb") as file:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise VerificationError(f"{relative} in {self.directory} is not a regular "
                                        "file: remove it")
            return file.read(cap + 1)

    def write(self, relative: str, data: bytes) -> None:
        """Replace the file at `relative` with `data`, atomically."""
        *folders, name = self._parts(relative)
        parent = self._folder(folders, create=True)
        try:
            existing = self._lstat(name, parent)
            if existing is not None and _is_link(existing):
                raise self._linked(relative)
            temporary = f".{name}.tmp"
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary, dir_fd=parent)  # a leftover, or a planted link
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW
                         | _CLOEXEC, 0o644, dir_fd=parent)
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            os.replace(temporary, name, src_dir_fd=parent, dst_dir_fd=parent)
        finally:
            os.close(parent)

    def remove(self, relative: str) -> bool:
        """Remove the file at `relative` (a link there too, never what it points to);
        whether there was one."""
        *folders, name = self._parts(relative)
        try:
            parent = self._folder(folders, create=False)
        except FileNotFoundError:
            return False
        try:
            os.unlink(name, dir_fd=parent)
            return True
        except FileNotFoundError:
            return False
        finally:
            os.close(parent)

    def _parts(self, relative: str) -> list[str]:
        parts = relative.split("/")
        if relative.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"{relative!r} is not a relative path inside the site")
        return parts

    def _folder(self, folders: list[str], create: bool) -> int:
        """A descriptor of the folder at `folders` inside the site (made if `create`)."""
        fd = os.open(self.directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _CLOEXEC)
        for depth, name in enumerate(folders, start=1):
            try:
                if create:
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(name, 0o755, dir_fd=fd)
                inner = self._open("/".join(folders[:depth]), name, _DIRECTORY | _CLOEXEC, fd)
            finally:
                os.close(fd)
            fd = inner
        return fd

    def _open(self, relative: str, name: str, flags: int, parent: int) -> int:
        try:
            return os.open(name, flags, dir_fd=parent)
        except OSError as e:
            if e.errno in (errno.ELOOP, errno.EMLINK) or (
                    e.errno == errno.ENOTDIR and _is_link(self._lstat(name, parent))):
                raise self._linked(relative) from None
            raise

    @staticmethod
    def _lstat(name: str, parent: int) -> os.stat_result | None:
        try:
            return os.stat(name, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def _linked(self, relative: str) -> VerificationError:
        return VerificationError(f"{relative} in {self.directory} is a symbolic link: publish "
                                 "follows no link inside a site; remove it")


def _is_link(found: os.stat_result | None) -> bool:
    return found is not None and stat.S_ISLNK(found.st_mode)
