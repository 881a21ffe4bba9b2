"""Encrypt provider keys with MultiFernet: the newest master key encrypts, all of them decrypt."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from echome.private_files import make_private, private_dir


class MasterKeyError(RuntimeError):
    pass


def mask(secret: str) -> str:
    """Masked form shown to users: never more than the last four characters."""
    if len(secret) <= 8:
        return "•" * 8
    return "•" * 8 + secret[-4:]


def hint(secret: str) -> str:
    return secret[-4:] if len(secret) > 8 else ""


class KeyStore:
    def __init__(self, keys: Sequence[str | bytes]) -> None:
        if not keys:
            raise MasterKeyError("no master key configured")
        try:
            self._fernets = [Fernet(k) for k in keys]
        except (ValueError, TypeError) as exc:
            raise MasterKeyError("a master key is not a valid Fernet key") from exc
        self._multi = MultiFernet(self._fernets)

    def encrypt(self, plaintext: str) -> str:
        return self._multi.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._multi.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise MasterKeyError("stored secret cannot be decrypted with the configured master keys") from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt with the newest key (after a new key was put first)."""
        return self._multi.rotate(token.encode()).decode()

    def check(self) -> None:
        if self.decrypt(self.encrypt("probe")) != "probe":
            raise MasterKeyError("master key round trip failed")


def load_or_create_key_file(path: Path) -> list[str]:
    """Keys from the data-dir key file (newest first), creating it 0600 on first use."""
    if not path.exists():
        private_dir(path.parent)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(Fernet.generate_key().decode() + "\n")
    make_private(path)
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def prepend_key_file(path: Path) -> list[str]:
    """Add a new newest key to the key file; the old ones stay so existing rows still decrypt."""
    keys = load_or_create_key_file(path)
    keys.insert(0, Fernet.generate_key().decode())
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("\n".join(keys) + "\n")
    os.replace(tmp, path)
    return keys
