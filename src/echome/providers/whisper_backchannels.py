"""The verbatim mode's second listen: short, quiet vocalisations the voice-activity filter drops.

Silero VAD (faster-whisper's filter) is trained to find speech, and a listener's "mm-hmm", "mm" or
"oh yeah" between someone else's sentences is often too short, too quiet or too hummed for it: on
one speaker's track of a real meeting it kept every sentence and none of four backchannels. Turning
the filter off instead makes Whisper write text into long silences. So the verbatim mode listens a
second time, only where the filter heard nothing:

1. **Bursts.** 20 ms frames outside the filter's speech whose level is clearly above the recording's
   background (`FLOOR_MARGIN_DB` over its 10th percentile) and not far below the speaker's own speech
   (`SPEECH_MARGIN_DB` under the median level of the filtered speech), joined across gaps shorter
   than `JOIN_S`, kept when they last `MIN_S`..`MAX_S` (a backchannel's length; music and noise beds
   run longer and a click shorter).
2. **Listen.** Each burst, with `PAD_S` of context either side, is decoded on its own, primed with
   the same disfluent prompt as the main pass, at temperature 0 only (reproducible); a piece that
   is a repetition loop ("uh, uh, uh, ..." past `LOOP_RATIO`) is dropped.
3. **Only what the sound can hold.** Given a clip this short, Whisper often goes on past the sound
   into the silence the clip is padded with, in further pieces ("Mm-hmm." then "Yeah. Yeah. Yeah.
   Yeah." for a third of a second of humming). Pieces are kept in order only while their words fit
   the burst's length at `MAX_WORDS_PER_S`, faster than anyone talks; the rest is that continuation.
4. **Keep only response tokens.** A burst is kept when Whisper's text is at most `MAX_WORDS` words,
   every one a filler or backchannel (`echome.speech.disfluency.FILLERS`) or one of the short
   response words of `RESPONSE_WORDS`, and Whisper does not think it silence (`no_speech_prob`).
   Anything else (a word cut from the main speech, a cough heard as text) is dropped: this pass
   never adds content, only the small sounds that show how someone listens and hesitates.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from echome.providers.base import Segment, Word, words_text
from echome.speech.disfluency import FILLERS, words

RATE = 16_000
FRAME = 320  # 20 ms
FLOOR_MARGIN_DB = 20.0
SPEECH_MARGIN_DB = 20.0
JOIN_S = 0.2
MIN_S = 0.12
MAX_S = 2.0
PAD_S = 0.25
MAX_WORDS = 3
# Words a second no one exceeds (conversational English runs at 2-4): a burst's pieces past what its
# length can hold at this rate were written into the clip's padding, not heard.
MAX_WORDS_PER_S = 6.0
MAX_NO_SPEECH = 0.6
LOOP_RATIO = 2.4  # faster-whisper's compression_ratio_threshold: above it, text repeating itself
BURST_BEAM = 5  # a burst is a second of audio: a wider beam costs little and hears "mm-hmm" better
VAD_SILENCE_MS = 500  # the main pass's filter setting (stt_whisper)
MAX_BURSTS = 200  # an hour of a listener's backchannels; bounds the work on pathological input
# Short answers a listener gives while someone else talks (the lexical backchannels).
RESPONSE_WORDS = frozenset(
    {"yeah", "yes", "yep", "yup", "oh", "okay", "ok", "right", "no", "nope", "sure", "wow"}
)


def frame_levels(audio: np.ndarray) -> np.ndarray:
    n = audio.size // FRAME
    if n == 0:
        return np.zeros(0)
    power = np.mean(np.square(audio[: n * FRAME].reshape(n, FRAME), dtype=np.float64), axis=1)
    return 10 * np.log10(power + 1e-12)


def find_bursts(audio: np.ndarray, speech: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """(start, end) seconds of short vocal-level sounds outside `speech` (the VAD's spans, seconds)."""
    levels = frame_levels(audio)
    n = levels.size
    if n == 0:
        return []
    inside = np.zeros(n, dtype=bool)
    for a, b in speech:
        inside[max(0, int(a * RATE / FRAME)) : min(n, int(np.ceil(b * RATE / FRAME)) + 1)] = True
    if not inside.any():
        return []  # no speech heard at all: nothing to measure a speaker's level against
    floor = float(np.percentile(levels, 10))
    voice = float(np.median(levels[inside]))
    threshold = max(floor + FLOOR_MARGIN_DB, voice - SPEECH_MARGIN_DB)
    loud = np.flatnonzero((levels > threshold) & ~inside)
    if loud.size == 0:
        return []
    join = int(JOIN_S * RATE / FRAME)
    runs: list[list[int]] = [[int(loud[0]), int(loud[0])]]
    for i in loud[1:]:
        if i - runs[-1][1] <= join and not inside[runs[-1][1] : i].any():
            runs[-1][1] = int(i)
        else:
            runs.append([int(i), int(i)])
    out = []
    for a, b in runs:
        start, end = a * FRAME / RATE, (b + 1) * FRAME / RATE
        if MIN_S <= end - start <= MAX_S:
            out.append((start, end))
    return out[:MAX_BURSTS]


def is_response(text: str) -> bool:
    tokens = words(text)
    return 0 < len(tokens) <= MAX_WORDS and all(t in FILLERS or t in RESPONSE_WORDS for t in tokens)


def speech_spans(audio: np.ndarray) -> list[tuple[float, float]]:
    """(start, end) seconds of what the voice-activity filter calls speech (the main pass's settings)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    heard = get_speech_timestamps(audio, VadOptions(min_silence_duration_ms=VAD_SILENCE_MS))
    return [(h["start"] / RATE, h["end"] / RATE) for h in heard]


def listen_again(
    model: Any,
    audio: np.ndarray,
    segments: list[Segment],
    *,
    prompt: str,
    language: str | None,
    beam: int,
    speech: list[tuple[float, float]] | None = None,
) -> list[Segment]:
    """The backchannels and fillers outside `segments` (already transcribed) and outside the speech
    the voice-activity filter found (`speech`, measured here when not given), as segments in
    recording time. A filter span with no word in it counts as outside: the main pass wrote nothing
    there (a lone "um" between sentences is often skipped), so it is listened to like a burst."""
    # Words, not segments: a segment's times can run across a long gap the filter cut out.
    spans = [(w.start, w.end) for s in segments for w in s.words] or [(s.start, s.end) for s in segments]
    heard = speech_spans(audio) if speech is None else speech
    spans += [(a, b) for a, b in heard if any(a <= (x + y) / 2 <= b for x, y in spans)]
    found: list[Segment] = []
    for start, end in find_bursts(audio, spans):
        lo = max(0.0, start - PAD_S)
        clip = audio[int(lo * RATE) : int((end + PAD_S) * RATE)]
        pieces, _info = model.transcribe(
            clip,
            language=language,
            beam_size=max(beam, BURST_BEAM),
            # No retries by sampling at higher temperatures (the same sound, the same answer every
            # time); a piece Whisper would have retried as a repetition loop is dropped instead.
            temperature=0.0,
            word_timestamps=True,
            vad_filter=False,
            condition_on_previous_text=False,
            hotwords=prompt,
        )
        pieces = _heard(
            [p for p in pieces if p.text.strip() and p.compression_ratio <= LOOP_RATIO], seconds=end - start
        )
        text = " ".join(p.text.strip() for p in pieces)
        if not pieces or not is_response(text) or max(p.no_speech_prob for p in pieces) > MAX_NO_SPEECH:
            continue
        ws = [
            Word(lo + float(w.start), lo + float(w.end), w.word.strip(), float(w.probability))
            for p in pieces
            for w in (p.words or [])
            if w.word.strip()
        ]
        found.append(
            Segment(
                start=start,
                end=end,
                text=text,
                words=ws,
                avg_logprob=float(np.mean([p.avg_logprob for p in pieces])),
                no_speech_prob=float(max(p.no_speech_prob for p in pieces)),
            )
        )
    return found


def _heard(pieces: list[Any], *, seconds: float) -> list[Any]:
    """The leading pieces whose words a sound of `seconds` can hold (see step 3 above)."""
    room = max(1, math.ceil(seconds * MAX_WORDS_PER_S))
    kept: list[Any] = []
    for p in pieces:
        room -= len(words(p.text))
        if room < 0:
            break
        kept.append(p)
    return kept


def merge(segments: list[Segment], extra: list[Segment]) -> list[Segment]:
    """`segments` with each of `extra` put where it was said, splitting a segment whose words run
    on both sides of it (its times can span a gap the filter cut out)."""
    out = sorted(segments, key=lambda s: (s.start, s.end))
    for burst in sorted(extra, key=lambda s: s.start):
        for i, seg in enumerate(out):
            before = [w for w in seg.words if w.end <= burst.start]
            after = [w for w in seg.words if w.end > burst.start]
            if before and after and after[0].start >= burst.start - PAD_S:
                out[i : i + 1] = [_part(seg, before), burst, _part(seg, after)]
                break
        else:
            out.append(burst)
            out.sort(key=lambda s: (s.start, s.end))
    return out


def _part(seg: Segment, ws: list[Word]) -> Segment:
    return Segment(
        start=float(ws[0].start),
        end=float(ws[-1].end),
        text=words_text(ws),
        words=ws,
        speaker=seg.speaker,
        avg_logprob=seg.avg_logprob,
        no_speech_prob=seg.no_speech_prob,
    )
