from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from echome.secrets.keystore import KeyStore, MasterKeyError, load_or_create_key_file, mask, prepend_key_file
from echome.secrets.redact import redact


def test_key_file_is_created_once_with_0600(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "master.key"
    first = load_or_create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key_file(path) == first and len(first) == 1


def test_rotation_old_ciphertexts_still_decrypt_and_rotate(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    old = KeyStore(load_or_create_key_file(path))
    token = old.encrypt("sk-abc")
    keys = prepend_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(keys) == 2
    both = KeyStore(keys)
    assert both.decrypt(token) == "sk-abc"
    rotated = both.rotate(token)
    assert KeyStore(keys[:1]).decrypt(rotated) == "sk-abc"
    with pytest.raises(MasterKeyError):
        KeyStore(keys[:1]).decrypt(token)


def test_bad_master_keys() -> None:
    with pytest.raises(MasterKeyError):
        KeyStore([])
    with pytest.raises(MasterKeyError):
        KeyStore(["not-a-key"])
    with pytest.raises(MasterKeyError):
        KeyStore([Fernet.generate_key()]).decrypt("garbage")


def test_mask_shows_at_most_four_characters() -> None:
    assert mask("sk-1234567890abcd") == "••••••••abcd"
    assert mask("short") == "••••••••"


@pytest.mark.parametrize(
    "text",
    [
        "calling https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage failed",
        "openai said: invalid key sk-proj-abcdefghijklmnopqrstuvwx",
        "xi-api-key: 0123456789abcdef0123456789abcdef",
        'password="hunter2hunter2"',
        "Authorization=Bearer",
    ],
)
def test_redact_removes_credentials(text: str) -> None:
    cleaned = redact(text)
    assert "[redacted]" in cleaned
    for secret in (
        "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        "abcdefghijklmnopqrstuvwx",
        "0123456789abcdef01",
        "hunter2",
    ):
        assert secret not in cleaned


def test_redact_keeps_ordinary_text() -> None:
    text = "the file is not a CSV: line 1 has no columns"
    assert redact(text) == text
