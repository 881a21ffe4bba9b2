"""Deterministic persona analysis of one seller's transcribed speech (no language model).

`analyse_speech(segments)` returns the persona's `auto_extracted` profile, a JSON-serialisable dict:

- `summary`: words, segments, sentences, recordings (time restarting at zero starts a new one),
  speech_minutes, word_timestamps (bool), sentence_boundaries ("punctuation" | "pauses" | "mixed" | "none"),
  reliable (at least 30 s of speech and 50 words).
- `notes`: plain-language caveats (too little speech, no punctuation, not English, ...).
- `fillers`: [{text, count, per_minute, evidence}] most frequent first; `filler_rate_per_minute`,
  `fillers_per_100_words`.
- `catchphrases`: [{text, count, per_minute, evidence}] repeated 2-6 word expressions, best first: said
  clearly more often than general English predicts, in two recordings when there are several, without
  low-confidence words or catalog topic words (rules in `habits.py`, figures in `frequency.py`).
- `speaking_rate_wpm` (words / time actually speaking: word timestamps with pauses of 0.3 s or more
  removed; segment spans when there are no word timestamps), `speaking_rate_wpm_overall` (words / speech
  time from segment spans), `speaking_rate_label` (slow < 120 <= moderate <= 165 < fast, on the overall
  rate), `speaking_rate_basis` ("word timestamps" | "segment spans" | "none").
- `sentence_length`: {mean, median, max} words per sentence.
- `vocabulary`: {flesch_reading_ease, flesch_kincaid_grade, type_token_ratio, mtld, mattr,
  mean_word_length, signature_words: [{text, count, per_1000_words, evidence}]} (same rules as catchphrases).
- `formality`: {score, label, contractions_per_100_words, informal_markers_per_100_words,
  informal_markers: [{text, count}], pronouns_per_100_words: {i, we, you}, evidence}; formula in style.py.
- `tone`: {sentiment_mean, sentiment_intensity, positive_share, negative_share, exclamation_share,
  exclamations_per_minute, question_share, energy_score, energy_label, pitch (as given, or null), evidence}.
- `selling`: {listener_questions, benefits, features, urgency, social_proof, storytelling, call_to_action:
  each {count, per_minute, sentence_share, phrases: [{text, count}], evidence}, listener_questions also
  `examples` (sentences); approach: labels, each needing 2+ hits: "consultative" (listener questions in 8%+
  of sentences), "benefit-led" / "feature-led" (1.5x the other, 3%+ of sentences) else
  "benefits-and-features" (2+ each), "urgency", "social-proof", "call-to-action" (3%+ of sentences),
  "storyteller" (8%+ of sentences)}.
- `greeting`, `sign_off`: {text, count (recordings using it), evidence} or null: opening / closing phrases
  in the first / last OPENING_SECONDS of each recording, in two recordings when there are several.

Evidence items are {start, end, text}: start/end narrowed to the matched words, text the whole segment
text; at most five per trait, one per segment, preferring segments of ordinary length.
Rates per minute use `total_speech_seconds` when given, otherwise the segments' speech time.

This module tokenises, splits sentences and assembles the profile; the measures are in `style.py` (rate,
vocabulary, formality, energy), `habits.py` (fillers, catchphrases), `selling.py` (selling language,
greeting, sign-off) and `evidence.py` (evidence items, rates per minute).
"""

from __future__ import annotations

import math
import re
import statistics
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from echome.persona import lexicon as lx
from echome.persona.habits import find_catchphrases, find_fillers, find_signature_words, name_words
from echome.persona.selling import GREETING_RE, SIGN_OFF_RE, is_question, opening_or_closing, selling_traits
from echome.persona.style import (
    Sentence,
    Token,
    articulation,
    energy,
    finite,
    formality_label,
    formality_score,
    is_common,
    lexical_variety,
    rate_label,
    readability,
    recordings,
    speech_seconds,
    style_summary,
)
from echome.persona.trait_evidence import TOKEN_RE, Ctx
from echome.providers.base import Segment

__all__ = ["analyse_speech", "style_summary"]

SENTENCE_PAUSE = 0.6  # s: without punctuation, a longer gap between words ends a sentence
MIN_RELIABLE_SECONDS = 30.0

_END = re.compile(r"[.!?\u2026]")


def _probability(p: object) -> float:
    """A word probability in [0, 1]; anything missing or not a number counts as certain."""
    return min(1.0, max(0.0, float(p))) if isinstance(p, int | float) and math.isfinite(p) else 1.0


def _tokenise(segments: Sequence[Segment]) -> list[Token]:
    toks: list[Token] = []
    for si, seg in enumerate(segments):
        s0, s1 = finite(seg.start), finite(seg.end)
        s1 = max(s0, s1)
        spans: list[tuple[int, float, float, float]] = []
        if seg.words:
            parts: list[str] = []
            pos = 0
            for w in seg.words:
                t = w.text or ""
                if parts and t[:1].isalnum() and not parts[-1][-1:].isspace():
                    t = " " + t
                w0 = finite(w.start)
                spans.append((pos, w0, max(w0, finite(w.end)), _probability(w.probability)))
                parts.append(t)
                pos += len(t)
            text = "".join(parts)
        else:
            text = seg.text or ""
        starts = [p for p, _, _, _ in spans]
        matches = list(TOKEN_RE.finditer(text))
        length = max(1, len(text))
        for k, m in enumerate(matches):
            nxt = matches[k + 1].start() if k + 1 < len(matches) else len(text)
            if spans:
                _, a, b, prob = spans[max(0, bisect_right(starts, m.start()) - 1)]
                timed = True
            else:
                a = s0 + (s1 - s0) * m.start() / length
                b = s0 + (s1 - s0) * m.end() / length
                timed, prob = False, 1.0
            word = m.group()
            norm = word.lower().replace("\u2019", "'")
            toks.append(Token(word, norm, si, a, b, text[m.end() : nxt], timed, prob))
    return toks


def _sentences(toks: list[Token], recs: list[tuple[int, int]]) -> list[Sentence]:
    """Split at sentence punctuation in recordings that carry it (one mark per 40 words or more), else at
    pauses; a segment boundary also ends a sentence unless the words run on within SENTENCE_PAUSE."""
    marks, words = Counter(), Counter()
    for t in toks:
        words[t.seg] += 1
        marks[t.seg] += bool(_END.search(t.after))
    punct_seg: set[int] = set()
    for lo, hi in recs:
        if sum(marks[i] for i in range(lo, hi + 1)) * 40 >= max(1, sum(words[i] for i in range(lo, hi + 1))):
            punct_seg.update(range(lo, hi + 1))
    sents: list[Sentence] = []
    lo = 0
    for i, t in enumerate(toks):
        last = i == len(toks) - 1
        brk = last or bool(_END.search(t.after))
        if not brk:
            n = toks[i + 1]
            if n.seg != t.seg:
                brk = t.seg not in punct_seg or not 0 <= n.start - t.end <= SENTENCE_PAUSE
            elif t.seg not in punct_seg and t.timed and n.start - t.end > SENTENCE_PAUSE:
                brk = True
        if brk:
            sents.append(_make_sentence(toks, lo, i, punct_seg))
            lo = i + 1
    return sents


def _make_sentence(toks: list[Token], lo: int, hi: int, punct_seg: set[int]) -> Sentence:
    offsets, pos, parts, raw = [], 0, [], []
    for j in range(lo, hi + 1):
        t = toks[j]
        offsets.append(pos)
        parts.append(t.norm)
        pos += len(t.norm) + 1
        tail = t.after if j < hi and toks[j + 1].seg == t.seg else t.after.rstrip() + " "
        raw.append(t.text + tail)
    tail = toks[hi].after
    end = "?" if "?" in tail else "!" if "!" in tail else "." if _END.search(tail) else ""
    return Sentence(lo, hi, " ".join(parts), offsets, "".join(raw).strip(), end, toks[lo].seg in punct_seg)


def fillers_in(text: str) -> int:
    """Fillers in a written text, counted as `analyse_speech` counts them in a transcript (a composed
    "So the mug is the cheaper one." holds one): what a voice reply already says toward the seller's rate."""
    toks = _tokenise([Segment(start=0.0, end=10.0, text=text)])
    if not toks:
        return 0
    return sum(len(v) for v in find_fillers(_sentences(toks, [(0, 0)]), toks).values())


# -- assembly ---------------------------------------------------------------------------------------------
_ANALYSER = None


def _sentiment(texts: list[str]) -> list[float]:
    global _ANALYSER
    if _ANALYSER is None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        _ANALYSER = SentimentIntensityAnalyzer()
    out = []
    for text in texts:
        # VADER's cost grows with the square of the text length: score long run-ons in 40-word pieces.
        words = text.split()
        pieces = [" ".join(words[i : i + 40]) for i in range(0, len(words), 40)] or [""]
        out.append(sum(float(_ANALYSER.polarity_scores(p)["compound"]) for p in pieces) / len(pieces))
    return out


def _r(x: float, digits: int = 2) -> float:
    return round(x, digits) if math.isfinite(x) else 0.0


def topic_words(texts: Iterable[str]) -> frozenset[str]:
    """Lower-cased words of catalog texts (product names, categories) that are not function words."""
    out: set[str] = set()
    for text in texts:
        for m in TOKEN_RE.finditer(text or ""):
            w = m.group().lower().replace("\u2019", "'")
            if len(w) >= 3 and w not in lx.STOPWORDS and not w.isdigit():
                out.add(w)
    return frozenset(out)


def _recording_ranges(segments: list[Segment], sizes: Sequence[int] | None) -> list[tuple[int, int]]:
    if sizes is None or sum(max(0, n) for n in sizes) != len(segments):
        return recordings(segments)
    out, lo = [], 0
    for n in sizes:
        if n > 0:
            out.append((lo, lo + n - 1))
            lo += n
    return out


def analyse_speech(
    segments: Sequence[Segment],
    *,
    pitch: dict | None = None,
    total_speech_seconds: float | None = None,
    exclude_words: Iterable[str] | None = None,
    recording_sizes: Sequence[int] | None = None,
) -> dict[str, Any]:
    """Profile the speaking style of ONE speaker's segments (layout in the module docstring).

    `exclude_words`: the seller's catalog texts (product names, categories); their words are topic, not
    style, and make no signature word or catchphrase. `recording_sizes`: segments per recording, in order,
    when the recordings were joined on one timeline (otherwise time restarting at zero starts one)."""
    segments = list(segments)
    toks = _tokenise(segments)
    recs = _recording_ranges(segments, recording_sizes)
    rec_of_seg = [0] * len(segments)
    for r, (lo, hi) in enumerate(recs):
        rec_of_seg[lo : hi + 1] = [r] * (hi - lo + 1)
    min_recs = 2 if len(recs) >= 2 else 1
    topic = topic_words(exclude_words or ())
    sents = _sentences(toks, recs)
    names = name_words(toks, sents)
    n_words = len(toks)
    notes: list[str] = []
    seconds = speech_seconds(segments, toks, recs)
    if total_speech_seconds is not None and finite(total_speech_seconds) > 0:
        seconds = finite(total_speech_seconds)
    ctx = Ctx(segments, toks, seconds / 60)
    norms = [t.norm for t in toks]
    alpha = [w for w in norms if w.isalpha() or "'" in w]
    english = not alpha or len(alpha) < 20 or sum(is_common(w) for w in alpha) >= 0.35 * len(alpha)

    if n_words == 0:
        notes.append("no speech to analyse")
    elif seconds < MIN_RELIABLE_SECONDS:
        notes.append(f"too little speech for reliable figures (under {MIN_RELIABLE_SECONDS:.0f} seconds)")
    if 0 < n_words < 50:
        notes.append("fewer than 50 words: vocabulary measures are rough")
    timed_any = any(t.timed for t in toks)
    if toks and not timed_any:
        notes.append("no word timestamps: speaking rate and evidence times estimated from segment spans")
    punct = [s.punctuated for s in sents]
    boundaries = (
        "none" if not sents else "punctuation" if all(punct) else "pauses" if not any(punct) else "mixed"
    )
    if boundaries in ("pauses", "mixed"):
        notes.append(
            f"transcript lacks punctuation in places: sentences split at pauses over {SENTENCE_PAUSE} s, "
            "questions guessed from wording, exclamations not detectable"
        )
    if not english:
        notes.append(
            "the speech does not look like English: catchphrases, signature words, formality and sentiment "
            "skipped; fillers and selling phrases only match English wording"
        )

    # fillers
    filler_spans = find_fillers(sents, toks) if n_words else {}
    filler_total = sum(len(v) for v in filler_spans.values())
    fillers = [
        {"text": k, "count": len(v), "per_minute": ctx.per_min(len(v)), "evidence": ctx.evidence(v)}
        for k, v in sorted(filler_spans.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]

    # catchphrases
    catch = (
        find_catchphrases(sents, toks, names, n_words, rec_of_seg=rec_of_seg, topic=topic) if english else []
    )
    catchphrases = [
        {
            "text": c["text"],
            "count": c["count"],
            "per_minute": ctx.per_min(c["count"]),
            "evidence": ctx.evidence(c["spans"]),
        }
        for c in catch
    ]

    # rate and sentences
    timed_words, speaking = articulation(toks)
    overall = n_words / (seconds / 60) if seconds > 0 else 0.0
    rate = timed_words / (speaking / 60) if speaking > 0 else overall
    lengths = [s.hi - s.lo + 1 for s in sents]

    # vocabulary
    vocab: dict[str, Any] = readability(norms, len(sents))
    vocab.update(lexical_variety(norms))
    vocab["mean_word_length"] = _r(sum(map(len, alpha)) / len(alpha)) if alpha else 0.0
    sig_words = find_signature_words(toks, names, rec_of_seg=rec_of_seg, topic=topic) if english else []
    vocab["signature_words"] = [
        {
            "text": w,
            "count": len(idx),
            "per_1000_words": _r(1000 * len(idx) / n_words, 1),
            "evidence": ctx.evidence(((i, i) for i in idx), cap=3),
        }
        for w, idx in sig_words
    ]

    # formality
    per100 = 100 / n_words if n_words else 0.0
    contractions = [
        i for i, w in enumerate(norms) if ("'" in w and not w.endswith("'s")) or w in lx.S_CONTRACTIONS
    ]
    slang_idx = [i for i, w in enumerate(norms) if w in lx.SLANG]
    pron = {
        key: sum(w in group for w in norms) * per100
        for key, group in (("i", lx.I_WORDS), ("we", lx.WE_WORDS), ("you", lx.YOU_WORDS))
    }
    score = formality_score(
        contractions_100=len(contractions) * per100,
        slang_100=len(slang_idx) * per100,
        fillers_100=filler_total * per100,
        i_you_100=pron["i"] + pron["you"],
    )
    informal_hits = Counter(toks[i].seg for i in contractions + slang_idx)
    formality = {
        "score": score if n_words and english else 0.0,
        "label": formality_label(score) if n_words and english else "unknown",
        "contractions_per_100_words": _r(len(contractions) * per100),
        "informal_markers_per_100_words": _r(len(slang_idx) * per100),
        "informal_markers": [
            {"text": w, "count": c} for w, c in Counter(norms[i] for i in slang_idx).most_common(8)
        ],
        "pronouns_per_100_words": {k: _r(v) for k, v in pron.items()},
        "evidence": ctx.evidence(
            ((i, i) for i in contractions + slang_idx), priority=lambda sp: informal_hits[toks[sp[0]].seg]
        ),
    }

    # tone
    compounds = _sentiment([s.text for s in sents]) if english and sents else [0.0] * len(sents)
    n_s = len(sents)
    exclaims = [s for s in sents if s.end == "!"]
    intensity = sum(abs(c) for c in compounds) / n_s if n_s else 0.0
    energy_score, energy_label = energy(
        exclamation_share=len(exclaims) / n_s if n_s else 0.0,
        intensity=intensity,
        wpm=overall if seconds >= MIN_RELIABLE_SECONDS else None,
        pitch=pitch,
    )
    vivid = {(s.lo, s.hi): abs(c) + (s.end == "!") for s, c in zip(sents, compounds, strict=True)}
    tone = {
        "sentiment_mean": _r(sum(compounds) / n_s, 3) if n_s else 0.0,
        "sentiment_intensity": _r(intensity, 3),
        "positive_share": _r(sum(c >= 0.05 for c in compounds) / n_s, 3) if n_s else 0.0,
        "negative_share": _r(sum(c <= -0.05 for c in compounds) / n_s, 3) if n_s else 0.0,
        "exclamation_share": _r(len(exclaims) / n_s, 3) if n_s else 0.0,
        "exclamations_per_minute": ctx.per_min(len(exclaims)),
        "question_share": _r(sum(map(is_question, sents)) / n_s, 3) if n_s else 0.0,
        "energy_score": energy_score if n_words else 0.0,
        "energy_label": energy_label if n_words else "unknown",
        "pitch": dict(pitch) if pitch else None,
        "evidence": ctx.evidence((sp for sp, v in vivid.items() if v > 0), priority=vivid.get),
    }

    return {
        "summary": {
            "words": n_words,
            "segments": len(segments),
            "sentences": n_s,
            "recordings": len(recs),
            "speech_minutes": _r(seconds / 60),
            "word_timestamps": timed_any,
            "sentence_boundaries": boundaries,
            "reliable": seconds >= MIN_RELIABLE_SECONDS and n_words >= 50,
        },
        "notes": notes,
        "fillers": fillers,
        "filler_rate_per_minute": ctx.per_min(filler_total),
        "fillers_per_100_words": _r(filler_total * per100),
        "catchphrases": catchphrases,
        "speaking_rate_wpm": _r(rate, 1),
        "speaking_rate_wpm_overall": _r(overall, 1),
        "speaking_rate_label": rate_label(overall),
        "speaking_rate_basis": "word timestamps"
        if speaking > 0
        else "segment spans"
        if overall > 0
        else "none",
        "sentence_length": {
            "mean": _r(statistics.fmean(lengths), 1) if lengths else 0.0,
            "median": float(statistics.median(lengths)) if lengths else 0.0,
            "max": max(lengths, default=0),
        },
        "vocabulary": vocab,
        "formality": formality,
        "tone": tone,
        "selling": selling_traits(ctx, sents),
        "greeting": opening_or_closing(ctx, sents, recs, GREETING_RE, True, min_recordings=min_recs)
        if english
        else None,
        "sign_off": opening_or_closing(ctx, sents, recs, SIGN_OFF_RE, False, min_recordings=min_recs)
        if english
        else None,
    }
