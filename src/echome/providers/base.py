"""Capabilities as Protocols. Adapters take plain constructor arguments and never read settings."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np


class ProviderError(RuntimeError):
    """A provider failed; `transient` says whether trying again later may help."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class MissingDependency(ProviderError):
    pass


@runtime_checkable
class Embedder(Protocol):
    name: str
    dim: int
    max_tokens: int  # the model's real window; longer input is truncated

    def embed(self, texts: Sequence[str], *, kind: Literal["document", "query"] = "document") -> np.ndarray:
        """L2-normalised float32 array of shape (len(texts), dim)."""
        ...

    def count_tokens(self, text: str) -> int: ...


@dataclass
class VectorRecord:
    id: str
    vector: np.ndarray
    document: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class VectorHit:
    id: str
    score: float  # cosine similarity, higher is better
    document: str
    metadata: dict[str, Any]


@runtime_checkable
class VectorStore(Protocol):
    name: str

    def upsert(self, collection: str, records: Sequence[VectorRecord]) -> None: ...

    def query(
        self, collection: str, vector: np.ndarray, *, top_k: int, where: dict[str, str] | None = None
    ) -> list[VectorHit]: ...

    def vectors(self, collection: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of these ids (missing ids are left out). Search inside one product
        scores its few chunks exactly with these: a filtered index query costs far more."""
        ...

    def delete(
        self, collection: str, *, ids: Sequence[str] | None = None, where: dict[str, str] | None = None
    ) -> None: ...

    def count(self, collection: str) -> int: ...

    def drop(self, collection: str) -> None: ...

    def check(self) -> None: ...


@dataclass
class Candidate:
    """A retrieved chunk on its way to the answer: scores from each retriever, then the final one."""

    id: str
    text: str
    metadata: dict[str, Any]
    dense: float | None = None
    dense_rank: int | None = None
    keyword: float | None = None
    keyword_rank: int | None = None
    product: float | None = None  # how well the chunk's whole product matches the query
    focus: bool = False  # belongs to the product the query names
    fused: float = 0.0
    score: float = 0.0


@runtime_checkable
class Reranker(Protocol):
    name: str

    def rerank(self, query: str, candidates: Sequence[Candidate], *, top_k: int) -> list[Candidate]: ...


# -- speech ------------------------------------------------------------------------------------
@dataclass
class Word:
    start: float  # seconds from the start of the audio
    end: float
    text: str  # the word alone, no surrounding spaces (every adapter strips them)
    probability: float = 1.0


def words_text(words: Sequence[Word]) -> str:
    """The text of consecutive words, spaced as written: Whisper splits "mm-hmm" into "mm" and
    "-hmm", and a piece starting with a hyphen or a closing mark belongs to the word before it."""
    out: list[str] = []
    for w in words:
        text = w.text.strip()
        if not text:
            continue
        if out and text[0] in "-'\u2019,.!?;:%)]}" and not out[-1].endswith("-"):
            out[-1] += text
        else:
            out.append(text)
    return " ".join(out)


@dataclass
class Segment:
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    speaker: str | None = None  # "S1", "S2", ... once speakers are told apart
    avg_logprob: float | None = None
    no_speech_prob: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "text": self.text,
            "speaker": self.speaker,
            "words": [
                [round(w.start, 3), round(w.end, 3), w.text, round(w.probability, 3)] for w in self.words
            ],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Segment:
        return cls(
            start=float(d["start"]),
            end=float(d["end"]),
            text=str(d["text"]),
            speaker=d.get("speaker"),
            words=[Word(float(w[0]), float(w[1]), str(w[2]), float(w[3])) for w in d.get("words", [])],
        )


@dataclass
class Transcript:
    text: str
    language: str
    language_probability: float
    duration: float  # seconds of audio
    segments: list[Segment]
    model: str


@runtime_checkable
class SpeechToText(Protocol):
    name: str

    def transcribe(self, audio_path: str, *, language: str | None = None) -> Transcript:
        """Transcribe a 16 kHz mono file (any format ffmpeg reads); segment and word timestamps."""
        ...


@runtime_checkable
class SpeakerEmbedder(Protocol):
    """Voice fingerprint: cosine similarity of two embeddings says how alike two voices sound."""

    name: str
    dim: int

    def embed(self, wav: np.ndarray, sample_rate: int) -> np.ndarray:
        """L2-normalised float32 vector for one stretch of speech (mono float32 in [-1, 1])."""
        ...


@dataclass
class Speech:
    audio: bytes
    format: Literal["wav", "mp3", "ogg", "pcm"]
    sample_rate: int
    characters: int  # billed characters (what cloud TTS charges for)


@runtime_checkable
class TextToSpeech(Protocol):
    name: str
    # The languages the voice speaks (ISO 639-1: "en", "de", ...): a reply in any other language is
    # sent as text only, as a voice would mispronounce it.
    languages: frozenset[str]

    def synthesize(self, text: str, *, voice_id: str, settings: dict[str, Any] | None = None) -> Speech: ...


@dataclass
class ClonedVoice:
    provider: str  # "elevenlabs", "local"
    voice_id: str
    settings: dict[str, Any] = field(default_factory=dict)  # what synthesize() needs besides the id
    detail: dict[str, Any] = field(default_factory=dict)  # measurements / request facts to show the seller


@runtime_checkable
class VoiceCloner(Protocol):
    name: str

    def clone(self, *, name: str, samples: Sequence[str], description: str = "") -> ClonedVoice:
        """Build a voice from clean samples of one speaker (paths to audio files)."""
        ...


# -- language models -----------------------------------------------------------------------------
@dataclass
class ChatMessage:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass
class ChatResult:
    text: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0


class ChatStream(Iterator[str]):
    """A reply's text piece by piece. `model`, `input_tokens` and `output_tokens` are final once the
    pieces run out. Close it (or use `with`) when stopping early: that releases the connection.

    `pieces` gets the stream itself, to fill in the model and token counts as they arrive.
    """

    def __init__(
        self,
        model: str,
        pieces: Callable[[ChatStream], Generator[str, None, None]],
        *,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.model = model
        self.input_tokens = 0
        self.output_tokens = 0
        self._on_close = on_close
        self._pieces = pieces(self)

    def __iter__(self) -> ChatStream:
        return self

    def __next__(self) -> str:
        return next(self._pieces)

    def close(self) -> None:
        self._pieces.close()
        if self._on_close is not None:
            self._on_close()

    def __enter__(self) -> ChatStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@runtime_checkable
class ChatModel(Protocol):
    name: str

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: dict[str, Any] | None = None,
        temperature: float = 0.3,
        max_tokens: int = 800,
    ) -> ChatResult:
        """One reply. With `json_schema`, ask the model for JSON of that shape (callers still validate)."""
        ...

    def stream(
        self, messages: Sequence[ChatMessage], *, temperature: float = 0.3, max_tokens: int = 800
    ) -> ChatStream:
        """One reply as text deltas while the model writes it. Failures before the first piece are
        retried like `complete`; a stream that breaks off raises ProviderError(transient=True)."""
        ...


# -- per seller ----------------------------------------------------------------------------------
@runtime_checkable
class ModelsForSeller(Protocol):
    """The models a seller's keys unlock (providers.seller.SellerModels; fakes.FixedModels)."""

    def key(self, user_id: str, provider: str, scope: str = "") -> str | None: ...

    def chat(self, user_id: str, scope: str = "") -> ChatModel | None:
        """The seller's LLM, or None: the offline parts answer."""
        ...

    def tts(self, provider: str, *, user_id: str, scope: str = "") -> TextToSpeech: ...

    def voice_cloner(self, provider: str, *, user_id: str, scope: str = "") -> VoiceCloner: ...

    def voice_provider(self, user_id: str, scope: str = "") -> str:
        """The voice provider `auto` means for this seller."""
        ...
