"""Local-disk storage under the data dir: folders 0700, files 0600."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from echome.private_files import private_dir
from echome.storage.base import StorageError, iter_chunks, safe_key


class LocalStorage:
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        kind, user_id, name = key.split("/", 2)
        safe_key(kind, user_id, name)
        return self.root / key

    def put(self, kind: str, user_id: str, name: str, data: bytes | BinaryIO) -> str:
        key = safe_key(kind, user_id, name)
        path = self.root / key
        private_dir(path.parent)
        # Write to a temp file and rename, so a crash never leaves a half-written file under the name.
        # mkstemp makes it 0600, and the rename keeps that.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".put-")
        try:
            with os.fdopen(fd, "wb") as fh:
                for chunk in iter_chunks(data):
                    fh.write(chunk)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise StorageError(f"no such file: {key}") from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> bool:
        path = self._path(key)
        try:
            path.unlink()
            return True
        except FileNotFoundError:
            return False

    def list(self, kind: str, user_id: str) -> list[str]:
        base = self.root / safe_key(kind, user_id, "x").rsplit("/", 1)[0]
        if not base.is_dir():
            return []
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in base.rglob("*")
            if p.is_file() and not p.name.startswith(".put-")
        )

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        path = self._path(key)
        if not path.is_file():
            raise StorageError(f"no such file: {key}")
        yield path

    def check(self) -> None:
        probe = f"health-{uuid.uuid4().hex}"
        try:
            key = self.put("system", "health", probe, b"ok")
            if self.get(key) != b"ok":
                raise StorageError("read back different bytes")
            self.delete(key)
        except OSError as exc:
            raise StorageError(f"local storage not writable: {exc.strerror}") from None
