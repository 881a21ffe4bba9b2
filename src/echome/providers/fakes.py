"""In-process stand-ins that honour the Protocols: for tests and for wiring checks.

`HashingEmbedder` is deterministic bag-of-words hashing (no model); `MemoryVectorStore` is an
exact cosine search over numpy arrays; `ScriptedChat` replies from a script; `ScriptedSTT` hears
what it is told; `RecordingTTS` keeps what it is asked to say and speaks the languages it is given."""

from __future__ import annotations

import hashlib
import io
import re
import threading
import wave
from collections.abc import Callable, Generator, Sequence
from typing import Any, Literal

import numpy as np

from echome.providers.base import (
    ChatMessage,
    ChatResult,
    ChatStream,
    ProviderError,
    Segment,
    Speech,
    Transcript,
    VectorHit,
    VectorRecord,
)

_WORD = re.compile(r"[a-z0-9]+")


class HashingEmbedder:
    name = "fake:hashing"

    def __init__(self, dim: int = 256, max_tokens: int = 256) -> None:
        self.dim = dim
        self.max_tokens = max_tokens
        self.calls = 0

    def count_tokens(self, text: str) -> int:
        return len(_WORD.findall(text.lower())) + 2

    def embed(self, texts: Sequence[str], *, kind: Literal["document", "query"] = "document") -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower())[: self.max_tokens]:
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
                out[row, h % self.dim] += 1.0 if (h >> 63) & 1 else -1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms


class MemoryVectorStore:
    name = "memory"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[str, dict[str, VectorRecord]] = {}

    def upsert(self, collection: str, records: Sequence[VectorRecord]) -> None:
        with self._lock:
            col = self._data.setdefault(collection, {})
            for r in records:
                col[r.id] = r

    def query(
        self, collection: str, vector: np.ndarray, *, top_k: int, where: dict[str, str] | None = None
    ) -> list[VectorHit]:
        with self._lock:
            recs = [
                r
                for r in self._data.get(collection, {}).values()
                if not where or all(r.metadata.get(k) == v for k, v in where.items())
            ]
        if not recs:
            return []
        mat = np.stack([r.vector for r in recs])
        scores = mat @ np.asarray(vector, dtype=np.float32)
        order = np.argsort(-scores)[:top_k]
        return [
            VectorHit(recs[i].id, float(scores[i]), recs[i].document, dict(recs[i].metadata)) for i in order
        ]

    def delete(
        self, collection: str, *, ids: Sequence[str] | None = None, where: dict[str, str] | None = None
    ) -> None:
        with self._lock:
            col = self._data.get(collection, {})
            if ids is not None:
                for i in ids:
                    col.pop(i, None)
            elif where:
                for key in [
                    k for k, r in col.items() if all(r.metadata.get(a) == b for a, b in where.items())
                ]:
                    del col[key]

    def vectors(self, collection: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
        with self._lock:
            col = self._data.get(collection, {})
            return {i: col[i].vector for i in ids if i in col}

    def count(self, collection: str) -> int:
        return len(self._data.get(collection, {}))

    def drop(self, collection: str) -> None:
        with self._lock:
            self._data.pop(collection, None)

    def check(self) -> None:
        return None


class ScriptedChat:
    """A ChatModel that answers from a script: a list of replies (or exceptions) used in order, or a
    function of the messages. Records every call, so tests can assert the prompts we send."""

    name = "fake:scripted"

    def __init__(self, replies: Sequence[str | Exception] | Callable[[list[ChatMessage]], str] = ()) -> None:
        self._replies = replies if callable(replies) else list(replies)
        self.calls: list[dict[str, Any]] = []

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: dict[str, Any] | None = None,
        temperature: float = 0.3,
        max_tokens: int = 800,
    ) -> ChatResult:
        msgs = list(messages)
        reply = self._reply(msgs, json_schema=json_schema, temperature=temperature)
        return ChatResult(reply, self.name, input_tokens=self._words(msgs), output_tokens=len(reply.split()))

    def stream(
        self, messages: Sequence[ChatMessage], *, temperature: float = 0.3, max_tokens: int = 800
    ) -> ChatStream:
        """The scripted reply in word pieces ("Hello", " there,", ...); a scripted exception is raised
        here, as a real adapter raises failures before the first piece."""
        msgs = list(messages)
        reply = self._reply(msgs, json_schema=None, temperature=temperature, stream=True)

        def pieces(out: ChatStream) -> Generator[str, None, None]:
            out.input_tokens = self._words(msgs)
            for piece in re.findall(r"\s*\S+", reply):
                out.output_tokens += 1
                yield piece

        return ChatStream(self.name, pieces)

    def _reply(
        self,
        msgs: list[ChatMessage],
        *,
        json_schema: dict[str, Any] | None,
        temperature: float,
        stream: bool = False,
    ) -> str:
        call = {"messages": msgs, "json_schema": json_schema, "temperature": temperature}
        self.calls.append({**call, "stream": True} if stream else call)
        if callable(self._replies):
            reply: str | Exception = self._replies(msgs)
        elif self._replies:
            reply = self._replies.pop(0)
        else:
            raise ProviderError("the scripted chat has no reply left")
        if isinstance(reply, Exception):
            raise reply
        return reply

    @staticmethod
    def _words(messages: Sequence[ChatMessage]) -> int:
        return sum(len(m.content.split()) for m in messages)


class ScriptedSTT:
    """A SpeechToText that hears what it is told to (text and language), whatever the audio."""

    name = "fake:scripted-stt"

    def __init__(self, text: str, *, language: str = "en", probability: float = 0.99) -> None:
        self.text, self.language, self.probability = text, language, probability
        self.heard: list[str] = []

    def transcribe(self, audio_path: str, *, language: str | None = None) -> Transcript:
        self.heard.append(audio_path)
        words = self.text.split()
        segments = [Segment(0.0, 0.4 * len(words), self.text)] if words else []
        return Transcript(
            text=self.text,
            language=self.language,
            language_probability=self.probability,
            duration=0.4 * len(words),
            segments=segments,
            model=self.name,
        )


class RecordingTTS:
    """A TextToSpeech that keeps what it was given and answers with a tenth of a second of silence
    (16-bit WAV), billing one character per character. `languages`: what this voice speaks."""

    name = "fake:recording-tts"

    def __init__(self, languages: Sequence[str] = ("en",), *, sample_rate: int = 22_050) -> None:
        self.languages = frozenset(languages)
        self.sample_rate = sample_rate
        self.given: list[str] = []

    def synthesize(self, text: str, *, voice_id: str, settings: dict[str, Any] | None = None) -> Speech:
        if not text.strip():
            raise ProviderError("nothing to say: the text is empty")
        self.given.append(text)
        out = io.BytesIO()
        with wave.open(out, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(self.sample_rate)
            w.writeframes(b"\0\0" * (self.sample_rate // 10))
        return Speech(audio=out.getvalue(), format="wav", sample_rate=self.sample_rate, characters=len(text))


class FixedModels:
    """ModelsForSeller with the same models for every seller: no keys, no database."""

    def __init__(
        self,
        *,
        chat: Any = None,
        tts: Any = None,
        cloner: Any = None,
        keys: dict[str, str] | None = None,
    ) -> None:
        self._chat, self._tts, self._cloner = chat, tts, cloner
        self.keys = dict(keys or {})

    def key(self, user_id: str, provider: str, scope: str = "") -> str | None:
        return self.keys.get(provider)

    def chat(self, user_id: str, scope: str = "") -> Any:
        return self._chat

    def tts(self, provider: str, *, user_id: str, scope: str = "") -> Any:
        if self._tts is None:
            raise ProviderError("no voice configured in this FixedModels")
        return self._tts

    def voice_cloner(self, provider: str, *, user_id: str, scope: str = "") -> Any:
        if self._cloner is None:
            raise ProviderError("no voice cloner configured in this FixedModels")
        return self._cloner

    def voice_provider(self, user_id: str, scope: str = "") -> str:
        return "elevenlabs" if "elevenlabs" in self.keys else "local"
