"""The storage Protocol every backend implements (see tests/contracts/test_storage.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

_KIND = re.compile(r"^[a-z][a-z0-9_-]{0,40}$")
_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")


class StorageError(RuntimeError):
    pass


def safe_key(kind: str, user_id: str, name: str) -> str:
    """`kind/user_id/name` with every part checked, so no key escapes its seller's folder."""
    if not _KIND.match(kind):
        raise StorageError(f"invalid storage kind {kind!r}")
    if not _PART.match(user_id):
        raise StorageError("invalid owner id")
    parts = name.split("/")
    if not parts or any(not _PART.match(p) or p in {".", ".."} for p in parts):
        raise StorageError(f"invalid file name {name!r}")
    return "/".join([kind, user_id, *parts])


@runtime_checkable
class FileStorage(Protocol):
    name: str

    def put(self, kind: str, user_id: str, name: str, data: bytes | BinaryIO) -> str:
        """Store the bytes and return the key."""
        ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> bool: ...

    def list(self, kind: str, user_id: str) -> list[str]: ...

    def local_copy(self, key: str) -> AbstractContextManager[Path]:
        """A local file path for tools that need one (ffmpeg, parsers)."""
        ...

    def check(self) -> None:
        """Raise StorageError when the backend cannot be written and read."""
        ...


def iter_chunks(data: bytes | BinaryIO, size: int = 1 << 20) -> Iterator[bytes]:
    if isinstance(data, bytes | bytearray):
        yield bytes(data)
        return
    while chunk := data.read(size):
        yield chunk
