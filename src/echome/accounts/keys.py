"""A seller's provider keys: stored encrypted, returned masked, decrypted only for use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from echome.db.models import ApiKey
from echome.secrets.keystore import KeyStore, hint

PROVIDERS = {
    "openai": "OpenAI API key",
    "anthropic": "Anthropic API key",
    "elevenlabs": "ElevenLabs API key",
    "cohere": "Cohere API key",
    "telegram_bot_token": "Telegram bot token (per persona)",
    "smtp_password": "SMTP password",
    "imap_password": "IMAP password",
}
MAX_SECRET = 4096


class KeyInputError(ValueError):
    pass


@dataclass(frozen=True)
class MaskedKey:
    provider: str
    scope: str
    masked: str
    updated_at: datetime


def _masked(row: ApiKey) -> MaskedKey:
    shown = "•" * 8 + row.hint if row.hint else "•" * 8
    return MaskedKey(row.provider, row.scope, shown, row.updated_at)


def _validate(provider: str, value: str) -> str:
    if provider not in PROVIDERS:
        raise KeyInputError(f"unknown provider {provider!r}; known: {', '.join(sorted(PROVIDERS))}")
    value = value.strip()
    if not value:
        raise KeyInputError("the key is empty")
    if len(value) > MAX_SECRET or any(ord(c) < 32 for c in value):
        raise KeyInputError("the key is too long or contains control characters")
    return value


def set_key(
    session: Session, keystore: KeyStore, *, user_id: str, provider: str, value: str, scope: str = ""
) -> MaskedKey:
    value = _validate(provider, value)
    row = session.scalar(
        select(ApiKey).where(ApiKey.user_id == user_id, ApiKey.scope == scope, ApiKey.provider == provider)
    )
    if row is None:
        row = ApiKey(user_id=user_id, scope=scope, provider=provider, ciphertext="", hint="")
        session.add(row)
    row.ciphertext = keystore.encrypt(value)
    row.hint = hint(value)
    session.flush()
    return _masked(row)


def list_keys(session: Session, *, user_id: str) -> list[MaskedKey]:
    rows = session.scalars(
        select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.provider, ApiKey.scope)
    )
    return [_masked(r) for r in rows]


def delete_key(session: Session, *, user_id: str, provider: str, scope: str = "") -> bool:
    row = session.scalar(
        select(ApiKey).where(ApiKey.user_id == user_id, ApiKey.scope == scope, ApiKey.provider == provider)
    )
    if row is None:
        return False
    session.delete(row)
    return True


def get_secret(
    session: Session, keystore: KeyStore, *, user_id: str, provider: str, scope: str = ""
) -> str | None:
    """Plaintext for a provider call; falls back from a persona scope to the seller-wide key."""
    for s in dict.fromkeys([scope, ""]):
        row = session.scalar(
            select(ApiKey).where(ApiKey.user_id == user_id, ApiKey.scope == s, ApiKey.provider == provider)
        )
        if row is not None:
            return keystore.decrypt(row.ciphertext)
    return None


def rotate_all(session: Session, keystore: KeyStore) -> int:
    """Re-encrypt every stored key with the newest master key."""
    count = 0
    for row in session.scalars(select(ApiKey)):
        row.ciphertext = keystore.rotate(row.ciphertext)
        count += 1
    return count
