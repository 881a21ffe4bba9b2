"""Clean vs verbatim transcription on folders of recordings with verbatim references (`x.wav` + `x.txt`):
fillers kept, fillers invented, word error rate. Scoring is in `disfluency.py`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from echome.providers.base import SpeechToText
from echome.speech.disfluency import FILLERS, TranscriptScore, score, words

MODES = ("clean", "verbatim")
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg")
FILLER_TOLERANCE = 0.25  # verbatim filler count within this share of the reference's
WER_ALLOWANCE = 0.03  # verbatim word error rate at most this much above the clean mode's


def recordings(folder: Path) -> list[tuple[Path, str]]:
    """Audio files in `folder` that have a reference transcript (same name, .txt) beside them."""
    out = []
    for audio in sorted(folder.iterdir()):
        ref = audio.with_suffix(".txt")
        if audio.suffix.lower() in AUDIO_SUFFIXES and ref.is_file():
            out.append((audio, ref.read_text(encoding="utf-8")))
    return out


def _totals(scores: list[TranscriptScore]) -> dict[str, Any]:
    ref_words = sum(s.reference_words for s in scores)
    errors = sum(s.errors for s in scores)
    return {
        "reference_words": ref_words,
        "errors": errors,
        "wer": round(errors / ref_words, 4) if ref_words else 0.0,
        "reference_fillers": sum(s.reference_fillers for s in scores),
        "transcript_fillers": sum(s.transcript_fillers for s in scores),
        "kept_fillers": sum(s.kept_fillers for s in scores),
        "invented_fillers": sum(s.invented_fillers for s in scores),
    }


def _checks(modes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    clean, verbatim = modes["clean"], modes["verbatim"]
    ref = verbatim["reference_fillers"]
    out: dict[str, Any] = {
        "wer_delta": round(verbatim["wer"] - clean["wer"], 4),
        "wer_within_allowance": verbatim["wer"] <= clean["wer"] + WER_ALLOWANCE,
    }
    if ref:
        off = abs(verbatim["transcript_fillers"] - ref) / ref
        out["filler_count_off_by"] = round(off, 3)
        out["fillers_within_tolerance"] = off <= FILLER_TOLERANCE
    else:
        out["no_invented_fillers"] = verbatim["invented_fillers"] == 0
    return out


def run_transcript_eval(
    folders: list[Path], *, make_stt: Callable[[bool], SpeechToText], say: Callable[[str], None]
) -> dict[str, Any]:
    """Transcribe every recording in each folder in both modes; `make_stt(verbatim)` builds the
    recogniser of one mode."""
    recognisers = {mode: make_stt(mode == "verbatim") for mode in MODES}
    sets = []
    for folder in folders:
        files = []
        scores: dict[str, list[TranscriptScore]] = {mode: [] for mode in MODES}
        for audio, reference in recordings(folder):
            for mode in MODES:
                say(f"{folder.name}/{audio.name} ({mode})")
                transcript = recognisers[mode].transcribe(str(audio))
                s = score(reference, transcript.text)
                scores[mode].append(s)
                files.append(
                    {
                        "file": audio.name,
                        "mode": mode,
                        "reference_words": s.reference_words,
                        "transcript_words": len(words(transcript.text)),
                        "wer": round(s.wer, 4),
                        "reference_fillers": s.reference_fillers,
                        "transcript_fillers": s.transcript_fillers,
                        "kept_fillers": s.kept_fillers,
                        "invented_fillers": s.invented_fillers,
                        "model": transcript.model,
                        "text": transcript.text,
                    }
                )
        modes = {mode: _totals(scores[mode]) for mode in MODES}
        sets.append({"folder": str(folder), "modes": modes, "checks": _checks(modes), "files": files})
    return {
        "filler_vocabulary": sorted(FILLERS),
        "filler_tolerance": FILLER_TOLERANCE,
        "wer_allowance": WER_ALLOWANCE,
        "sets": sets,
    }
