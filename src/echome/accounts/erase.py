"""Deleting a persona or a whole account with everything that belongs to it: the rows, the files in
storage (recordings, uploads, voice notes) and the vectors (product chunks, product centroids, store
information), so nothing of a deleted persona or seller is left behind.

The database cascades (foreign keys) remove transcripts, consents, profile versions, channel updates,
feedback and messages; what the database cannot reach (files, vectors, a voice cloned at ElevenLabs)
and what it would only detach (products, conversations and clients are `SET NULL` on a persona) is
removed here. A vendor that cannot be reached does not keep anything here: the persona is deleted
all the same, and what was left at the vendor is logged and reported (`Erased.problems`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session, sessionmaker

from echome.db.models import (
    ApiKey,
    Client,
    Conversation,
    Job,
    Message,
    Persona,
    PersonaMedia,
    Product,
    User,
)
from echome.db.session import transaction
from echome.knowledge.index import delete_products
from echome.knowledge.retrieve import collection_name, products_collection, store_info_collection
from echome.knowledge.store_info import delete_store_info, list_store_info
from echome.providers.base import ModelsForSeller, ProviderError, VectorStore
from echome.storage.base import FileStorage, StorageError

log = logging.getLogger("echome.erase")

# Every storage kind that holds a seller's files (see the `storage.put` calls).
SELLER_FILE_KINDS = ("audio", "media-uploads", "media-audio", "uploads")
_UNFINISHED = ("pending", "running")


CLOUD_VOICE_TIMEOUT = 15.0  # seconds a vendor gets to delete a voice before it is reported left


@dataclass
class Erased:
    """What was removed (for the page's confirmation and the tests), and what could not be."""

    products: int = 0
    store_passages: int = 0
    files: list[str] = field(default_factory=list)
    cloud_voices: list[str] = field(default_factory=list)  # voice ids deleted at their vendor
    voices_left: list[str] = field(default_factory=list)  # voice ids a vendor could not delete
    problems: list[str] = field(default_factory=list)  # why, in words


class VoiceRemover(Protocol):
    def __call__(self, *, user_id: str, persona_id: str, provider: str, voice_id: str) -> bool:
        """Delete the persona's voice where it lives; False when the vendor no longer has it.
        Raises ProviderError (or ValueError: no key) when it could not be deleted."""
        ...


class CloudVoiceRemover:
    """Deletes a cloned voice at its vendor with the seller's own key (the persona's, else the
    account's), as the voice was made. Local voices live in this server's rows: nothing to call."""

    def __init__(self, models: Callable[[], ModelsForSeller], *, timeout: float = CLOUD_VOICE_TIMEOUT):
        self._models = models  # built on first use: they load keys and clients
        self.timeout = timeout

    def __call__(self, *, user_id: str, persona_id: str, provider: str, voice_id: str) -> bool:
        if provider != "elevenlabs":
            return False
        cloner = self._models().voice_cloner(provider, user_id=user_id, scope=persona_id)
        delete = getattr(cloner, "delete_voice", None)
        if delete is None:
            raise ProviderError(f"{provider} voices cannot be deleted from here")
        try:
            return bool(delete(voice_id, timeout=self.timeout))
        finally:
            close = getattr(cloner, "close", None)
            if close is not None:
                close()


def _persona_files(db: Session, *, user_id: str, persona_id: str) -> list[str]:
    keys: list[str] = []
    for audio, upload in db.execute(
        select(PersonaMedia.audio_key, PersonaMedia.upload_key).where(
            PersonaMedia.user_id == user_id, PersonaMedia.persona_id == persona_id
        )
    ):
        keys += [k for k in (audio, upload) if k]
    keys += [
        ref
        for ref in db.scalars(
            select(Message.audio_ref)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Conversation.user_id == user_id, Conversation.persona_id == persona_id)
            .where(Message.audio_ref.is_not(None))
        )
        if ref
    ]
    return keys


def _cancel_jobs(db: Session, *, user_id: str, persona_id: str) -> None:
    """Jobs still working for the persona are asked to stop (they find it gone in any case)."""
    for job in db.scalars(select(Job).where(Job.user_id == user_id, Job.status.in_(_UNFINISHED))):
        if (job.payload or {}).get("persona_id") == persona_id:
            job.cancel_requested = True


def _remove_files(storage: FileStorage, keys: list[str]) -> list[str]:
    removed = []
    for key in dict.fromkeys(keys):
        try:
            if storage.delete(key):
                removed.append(key)
        except StorageError:  # a malformed key in an old row: nothing to delete under it
            log.warning("a stored file key could not be deleted", extra={"key": key[:200]})
    return removed


def _remove_voice(
    remove: VoiceRemover, erased: Erased, *, user_id: str, persona_id: str, provider: str, voice_id: str
) -> None:
    """The persona's cloned voice deleted at its vendor; a failure is logged and reported, and the
    persona is deleted here all the same (a voice left at the vendor is not a reason to keep data)."""
    try:
        if remove(user_id=user_id, persona_id=persona_id, provider=provider, voice_id=voice_id):
            erased.cloud_voices.append(voice_id)
        return
    except (ProviderError, ValueError) as exc:  # unreachable, refused, or no key any more
        reason = str(exc)
    except Exception as exc:  # whatever went wrong, the deletion here goes on
        log.exception("deleting a cloned voice failed unexpectedly", extra={"persona_id": persona_id})
        reason = type(exc).__name__
    log.warning(
        "the persona's cloned voice could not be deleted at its vendor; it is left there",
        extra={"persona_id": persona_id, "provider": provider, "voice_id": voice_id, "reason": reason[:300]},
    )
    erased.voices_left.append(voice_id)
    erased.problems.append(f"the {provider} voice {voice_id} could not be deleted there ({reason[:300]})")


def erase_persona(
    sessions: sessionmaker[Session],
    storage: FileStorage,
    vectors: VectorStore,
    *,
    user_id: str,
    persona_id: str,
    on_products_changed: Callable[[str], None] | None = None,
    remove_voice: VoiceRemover | None = None,
) -> Erased | None:
    """Delete the seller's persona and all of its data; None when there is no such persona of theirs.
    `remove_voice` deletes a voice cloned at a vendor (none given: such a voice is left there)."""
    with transaction(sessions) as db:
        persona = db.scalar(select(Persona).where(Persona.id == persona_id, Persona.user_id == user_id))
        if persona is None:
            return None
        voice = (persona.voice_provider or "", persona.voice_id or "")
        files = _persona_files(db, user_id=user_id, persona_id=persona_id)
        product_ids = list(
            db.scalars(select(Product.id).where(Product.user_id == user_id, Product.persona_id == persona_id))
        )
        _cancel_jobs(db, user_id=user_id, persona_id=persona_id)
    erased = Erased()
    # First, while the persona's own keys (its ElevenLabs key, if any) are still stored.
    if remove_voice is not None and voice[0] not in ("", "local") and voice[1]:
        _remove_voice(
            remove_voice, erased, user_id=user_id, persona_id=persona_id, provider=voice[0], voice_id=voice[1]
        )
    if product_ids:
        erased.products = delete_products(
            user_id=user_id, product_ids=product_ids, sessions=sessions, store=vectors
        )
    for info in list_store_info(sessions, user_id=user_id):
        if info.get("persona_id") == persona_id:
            erased.store_passages += delete_store_info(
                user_id=user_id, source=info["source"], sessions=sessions, store=vectors
            )
    with transaction(sessions) as db:
        db.execute(
            delete(Conversation).where(Conversation.user_id == user_id, Conversation.persona_id == persona_id)
        )
        # Customers first met by this persona, with no conversation left with another one.
        db.execute(
            delete(Client).where(
                Client.user_id == user_id,
                Client.persona_id == persona_id,
                ~exists().where(Conversation.client_id == Client.id),
            )
        )
        db.execute(delete(ApiKey).where(ApiKey.user_id == user_id, ApiKey.scope == persona_id))
        persona = db.scalar(select(Persona).where(Persona.id == persona_id, Persona.user_id == user_id))
        if persona is not None:
            db.delete(persona)  # the profile (ORM cascade); media, transcripts, consents... (FK cascade)
    erased.files = _remove_files(storage, files)
    if on_products_changed is not None and (erased.products or erased.store_passages):
        on_products_changed(user_id)
    return erased


def erase_account(
    sessions: sessionmaker[Session],
    storage: FileStorage,
    vectors: VectorStore,
    *,
    user_id: str,
    remove_voice: VoiceRemover | None = None,
) -> Erased | None:
    """Delete the seller's account: every persona (as above), every file and vector left, every row."""
    with transaction(sessions) as db:
        if db.get(User, user_id) is None:
            return None
        persona_ids = list(db.scalars(select(Persona.id).where(Persona.user_id == user_id)))
    total = Erased()
    for pid in persona_ids:
        part = erase_persona(
            sessions, storage, vectors, user_id=user_id, persona_id=pid, remove_voice=remove_voice
        )
        if part is not None:
            total.products += part.products
            total.store_passages += part.store_passages
            total.files += part.files
            total.cloud_voices += part.cloud_voices
            total.voices_left += part.voices_left
            total.problems += part.problems
    with transaction(sessions) as db:
        product_ids = list(db.scalars(select(Product.id).where(Product.user_id == user_id)))
    if product_ids:  # the shared catalog (no persona)
        total.products += delete_products(
            user_id=user_id, product_ids=product_ids, sessions=sessions, store=vectors
        )
    for name in (collection_name(user_id), products_collection(user_id), store_info_collection(user_id)):
        vectors.drop(name)
    leftovers = [key for kind in SELLER_FILE_KINDS for key in storage.list(kind, user_id)]
    total.files += _remove_files(storage, leftovers)
    with transaction(sessions) as db:
        user = db.get(User, user_id)
        if user is not None:
            db.delete(user)  # every row with its user_id goes with it (FK cascade)
    return total
