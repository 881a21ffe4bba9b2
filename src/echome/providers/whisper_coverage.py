"""The verbatim mode's guard: speech the primed pass skipped is heard again, unprimed.

Priming Whisper with disfluent text (the verbatim mode, `stt_whisper.VERBATIM_PROMPT`) makes it
write the "um"s and "uh"s it hears, but now and then it derails on a window: it writes a filler or
two and jumps to the window's end, skipping whole sentences. (Measured: on a CPU without AVX-512,
tiny.en primed skipped the first 25 s of a two-speaker recording the clean mode transcribed in full;
the same model on an AVX-512 CPU did not.) A persona built from that loses the seller's words and
the speaker step sees the wrong share of each voice. So after the primed pass:

1. **Regions.** The voice-activity filter's speech spans (the main pass's settings), joined across
   pauses shorter than `JOIN_S`; those of at least `MIN_REGION_S` are checked.
2. **Coverage.** The share of a region's time under the primed pass's words (each widened by
   `WORD_PAD_S`, Whisper's word times being tight). Below `MIN_COVERAGE`, the pass skipped most of
   what the filter calls speech there.
3. **Hear it again.** Such a region is decoded without the prompt (the clean mode's decoding), with
   `CONTEXT_S` of audio either side so its edge words come out whole. Its words (those inside it)
   replace the primed ones there when Whisper does not judge the decode silence (faster-whisper's
   own rule: no-speech probability over 0.6 with average log probability under -1.0) and they
   cover more of the region than the primed words did.

So the verbatim transcript never holds less speech than the clean one would, and keeps its fillers
wherever the primed pass worked.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from echome.providers.base import Segment, Word, words_text

RATE = 16_000
JOIN_S = 0.3
MIN_REGION_S = 1.0
MIN_COVERAGE = 0.5
WORD_PAD_S = 0.15
CONTEXT_S = 1.0  # audio either side of a region decoded with it, so words at its edges come out whole
NO_SPEECH = 0.6  # faster-whisper's no_speech_threshold
LOG_PROB = -1.0  # faster-whisper's log_prob_threshold


Span = tuple[float, float]


def _join(speech: list[Span]) -> list[Span]:
    """The filter's spans (seconds) joined across pauses shorter than `JOIN_S`."""
    joined: list[list[float]] = []
    for a, b in sorted(speech):
        if joined and a - joined[-1][1] < JOIN_S:
            joined[-1][1] = max(joined[-1][1], b)
        else:
            joined.append([a, b])
    return [(a, b) for a, b in joined]


def regions(speech: list[Span]) -> list[Span]:
    """The joined spans long enough to check."""
    return [(a, b) for a, b in _join(speech) if b - a >= MIN_REGION_S]


def coverage(words: list[Word], a: float, b: float) -> float:
    """Share of [a, b] under the words (each widened by `WORD_PAD_S`)."""
    spans = sorted((max(a, w.start - WORD_PAD_S), min(b, w.end + WORD_PAD_S)) for w in words)
    covered, reach = 0.0, a
    for lo, hi in spans:
        lo = max(lo, reach)
        if hi > lo:
            covered += hi - lo
            reach = hi
    return covered / (b - a) if b > a else 1.0


def _mid(w: Word) -> float:
    return (w.start + w.end) / 2


def _within(t: float, spans: list[Span]) -> bool:
    return any(a <= t <= b for a, b in spans)


def _decode(
    model: Any, audio: np.ndarray, a: float, b: float, *, language: str | None, beam: int
) -> list[Word]:
    """The region's words decoded unprimed, in recording time (silence judged as Whisper does)."""
    lo = max(0.0, a - CONTEXT_S)
    pieces, _info = model.transcribe(
        audio[int(lo * RATE) : int((b + CONTEXT_S) * RATE)],
        language=language,
        beam_size=beam,
        word_timestamps=True,
        vad_filter=False,  # the region is what the filter called speech
        condition_on_previous_text=False,
    )
    return [
        Word(lo + float(w.start), lo + float(w.end), w.word.strip(), float(w.probability))
        for p in pieces
        if p.text.strip() and not (p.no_speech_prob > NO_SPEECH and p.avg_logprob < LOG_PROB)
        for w in (p.words or [])
        if w.word.strip()
    ]


def _runs(words: list[Word], taken: Any) -> list[list[Word]]:
    """`words` without those `taken`, split where they were."""
    runs: list[list[Word]] = [[]]
    for w in words:
        if taken(w):
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(w)
    return [r for r in runs if r]


def _segment(ws: list[Word], like: Segment | None = None) -> Segment:
    return Segment(
        start=ws[0].start,
        end=ws[-1].end,
        text=words_text(ws),
        words=ws,
        speaker=like.speaker if like else None,
        avg_logprob=like.avg_logprob if like else None,
        no_speech_prob=like.no_speech_prob if like else None,
    )


def fill_skipped(
    model: Any,
    audio: np.ndarray,
    segments: list[Segment],
    speech: list[Span],
    *,
    language: str | None,
    beam: int,
) -> list[Segment]:
    """`segments` (the primed pass) with every under-covered speech region decoded again unprimed.

    A redone region owns the time around it up to `CONTEXT_S` (halfway to a redone neighbour),
    except other checked regions, which keep the primed words: there the unprimed words replace the
    primed ones, so a filler the primed pass wrote in the pause beside a skipped sentence goes too
    (a real one is heard again by the second listen, `whisper_backchannels`)."""
    words = [w for s in segments for w in s.words]
    redone: list[tuple[Span, list[Word]]] = []
    for a, b in regions(speech):
        before = coverage([w for w in words if a <= _mid(w) <= b], a, b)
        if before >= MIN_COVERAGE:
            continue
        again = _decode(model, audio, a, b, language=language, beam=beam)
        if coverage([w for w in again if a <= _mid(w) <= b], a, b) > before:
            redone.append(((a, b), again))
    if not redone:
        return segments
    keep = [r for r in regions(speech) if r not in {r for r, _ in redone}]
    zones: list[Span] = []
    for i, ((a, b), _) in enumerate(redone):
        lo, hi = a - CONTEXT_S, b + CONTEXT_S
        if i > 0:
            lo = max(lo, (redone[i - 1][0][1] + a) / 2)
        if i + 1 < len(redone):
            hi = min(hi, (b + redone[i + 1][0][0]) / 2)
        zones.append((lo, hi))

    def owned(w: Word) -> bool:
        return any(lo <= _mid(w) < hi for lo, hi in zones) and not _within(_mid(w), keep)

    out: list[Segment] = []
    for seg in segments:
        if not seg.words:  # no word times: kept unless it sits in a redone zone
            if not any(lo <= (seg.start + seg.end) / 2 < hi for lo, hi in zones):
                out.append(seg)
            continue
        runs = _runs(seg.words, owned)
        out += [seg] if runs == [seg.words] else [_segment(r, seg) for r in runs]
    for (_, again), (lo, hi) in zip(redone, zones, strict=True):
        mine = [w for w in again if lo <= _mid(w) < hi and not _within(_mid(w), keep)]
        if mine:
            out.append(_segment(mine))
    return sorted(out, key=lambda s: (s.start, s.end))


def hear_failed(
    model: Any,
    audio: np.ndarray,
    segments: list[Segment],
    failed: list[Span],
    *,
    language: str | None,
    beam: int,
) -> list[Segment]:
    """`segments` plus, for each span whose primed decode failed Whisper's own checks (a repetition
    loop, or low confidence throughout: the decodes faster-whisper would retry by sampling, making
    the transcript change from run to run), that time's words decoded unprimed, unless Whisper
    judges it silence. The fallback is the clean mode's decoding: it does not write fillers in."""
    out = list(segments)
    for a, b in failed:
        again = [w for w in _decode(model, audio, a, b, language=language, beam=beam) if a <= _mid(w) <= b]
        if again:
            out.append(_segment(again))
    return sorted(out, key=lambda s: (s.start, s.end))
