"""`echome eval diarization`: who spoke when, on a real recording, against its reference RTTM.

The recording goes through the product's own path for a seller's recording (local Whisper in the
verbatim mode the persona is built from, segments with word times, then `assign_speakers`) and the
labelled segments are scored with `echome.media.diarization_score`.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from echome.cli.common import fail, out, print_json, state

if TYPE_CHECKING:  # `echome --help` must not import numpy (tests/cli/test_startup.py)
    import numpy as np

    from echome.providers.base import SpeakerEmbedder, SpeechToText


def eval_diarization(
    wav: Path = typer.Argument(..., help="The recording (any audio or video file)"),
    rttm: Path = typer.Argument(..., help="Its reference speaker turns (RTTM)"),
    collar: float = typer.Option(
        0.25, "--collar", min=0.0, help="Seconds left unscored either side of each reference boundary"
    ),
    model: str = typer.Option("tiny.en", "--model", help="Local Whisper model: tiny.en or base"),
    verbatim: bool = typer.Option(
        True,
        "--verbatim/--clean",
        help="Transcribe as a seller's recordings are (verbatim, the default) or in the clean mode",
    ),
    embedder: str = typer.Option(
        None, "--embedder", help="local:ge2e, local:mfcc or local:resemblyzer (default: the server setting)"
    ),
    as_json: bool = typer.Option(False, "--json", help="The full report as JSON"),
) -> None:
    """Diarization error rate (missed + false alarm + confusion over reference speech), speakers found
    against the reference, and whether the dominant speaker is the one who talks most."""
    from echome.media.audio import RECOGNITION_RATE, AudioError, load_audio
    from echome.providers.base import ProviderError
    from echome.providers.registry import ConfigError, make_speaker_embedder, make_stt

    for p in (wav, rttm):
        if not p.is_file():
            fail(f"no such file: {p}")
    services = state.services(migrate_db=False)
    try:
        stt = make_stt(f"local:{model}", cache_dir=services.settings.effective_models_dir, verbatim=verbatim)
        voices = make_speaker_embedder(embedder) if embedder else services.speaker_embedder
    except (ConfigError, ProviderError) as exc:
        fail(str(exc))
    try:
        audio = load_audio(wav, sample_rate=RECOGNITION_RATE)
    except AudioError as exc:
        fail(f"{wav.name}: {exc}")
    try:
        report = run_diarization_eval(
            audio,
            RECOGNITION_RATE,
            rttm.read_text(encoding="utf-8"),
            stt=stt,
            embedder=voices,
            collar=collar,
        )
    except (ValueError, ProviderError) as exc:
        fail(str(exc))
    report["recording"] = wav.name
    if as_json:
        print_json(report)
    else:
        _print(report)


def run_diarization_eval(
    wav: np.ndarray,
    sample_rate: int,
    rttm_text: str,
    *,
    stt: SpeechToText,
    embedder: SpeakerEmbedder,
    collar: float = 0.25,
) -> dict[str, Any]:
    """Transcribe, label speakers, score against the RTTM; the score with what was run and found."""
    from echome.media.audio import write_wav
    from echome.media.diarization_score import read_rttm, score_diarization, turns_of_segments
    from echome.media.speakers import assign_speakers

    reference = read_rttm(rttm_text)
    if not reference:
        raise ValueError("the RTTM has no SPEAKER turns")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="echome-diar-") as tmp:
        path = Path(tmp) / "speech.wav"
        write_wav(path, wav, sample_rate)
        transcript = stt.transcribe(str(path))
    t1 = time.perf_counter()
    speakers = assign_speakers(wav, sample_rate, transcript.segments, embedder=embedder)
    t2 = time.perf_counter()
    score = score_diarization(reference, turns_of_segments(speakers.segments), collar=collar)
    return {
        **score.to_dict(),
        "stt": transcript.model,
        "embedder": speakers.embedder,
        "windows": speakers.windows,
        "confidence": round(speakers.confidence, 3),
        "found": speakers.speakers,
        "seconds": {"transcribe": round(t1 - t0, 2), "speakers": round(t2 - t1, 2)},
    }


def _print(r: dict[str, Any]) -> None:
    def part(name: str) -> str:
        return f"{r[name]['seconds']:6.2f} s  {100 * r[name]['share']:5.1f} %"

    out.print(f"[bold]{r['recording']}[/bold]  stt {r['stt']}, speakers by {r['embedder']}")
    scored = f"collar {r['collar']} s, {r['reference_seconds']:.2f} s of reference speech scored"
    out.print(f"DER          {100 * r['der']:5.1f} %   ({scored})")
    out.print(f"  missed       {part('missed')}")
    out.print(f"  false alarm  {part('false_alarm')}")
    out.print(f"  confusion    {part('confusion')}")
    sp, dom = r["speakers"], r["dominant"]
    out.print(f"speakers     {sp['found']} found, {sp['reference']} in the reference")
    mark = "yes" if dom["matches"] else "no"
    out.print(
        f"dominant     {dom['hypothesis']} -> {r['mapping'].get(dom['hypothesis'])} "
        f"(reference: {dom['reference']}): {mark}"
    )
    for s in r["found"]:
        out.print(f"  {s['id']}: {s['seconds']:.1f} s -> {r['mapping'].get(s['id'], '(unmapped)')}")
