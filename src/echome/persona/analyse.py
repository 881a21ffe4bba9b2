"""Deterministic persona analysis of one seller's transcribed speech (no language model).

`analyse_speech(segments)` returns the persona's `auto_extracted` profile, a JSON-serialisable dict:

- `summary`: words, segments, sentences, recordings (time restarting at zero starts a new one),
  speech_minutes, word_timestamps (bool), sentence_boundaries ("punctuation" | "pauses" | "mixed" | "none"),
  reliable (at least 30 s of speech and 50 words).
- `notes`: plain-language caveats (too little speech, no punctuation, not English, ...).
- `fillers`: [{text, count, per_minute, evidence}] most frequent first; `filler_rate_per_minute`,
  `fillers_per_100_words`.
- `catchphrases`: [{text, count, per_minute, evidence}] repeated 2-6 word expressions, best first.
- `speaking_rate_wpm` (words / time actually speaking: word timestamps with pauses of 0.3 s or more
  removed; segment spans when there are no word timestamps), `speaking_rate_wpm_overall` (words / speech
  time from segment spans), `speaking_rate_label` (slow < 120 <= moderate <= 165 < fast, on the overall
  rate), `speaking_rate_basis` ("word timestamps" | "segment spans" | "none").
- `sentence_length`: {mean, median, max} words per sentence.
- `vocabulary`: {flesch_reading_ease, flesch_kincaid_grade, type_token_ratio, mtld, mattr,
  mean_word_length, signature_words: [{text, count, per_1000_words, evidence}]}.
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
- `greeting`, `sign_off`: {text, count (recordings using it), evidence} or null.

Evidence items are {start, end, text}: start/end narrowed to the matched words, text the whole segment
text; at most five per trait, one per segment, preferring segments of ordinary length.
Rates per minute use `total_speech_seconds` when given, otherwise the segments' speech time.
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
from echome.persona.style import (
    Sentence,
    Token,
    articulation,
    display,
    energy,
    find_catchphrases,
    find_fillers,
    finite,
    formality_label,
    formality_score,
    is_common,
    lexical_variety,
    name_words,
    rate_label,
    readability,
    recordings,
    span,
    speech_seconds,
    style_summary,
)
from echome.providers.base import Segment

__all__ = ["analyse_speech", "style_summary"]

SENTENCE_PAUSE = 0.6  # s: without punctuation, a longer gap between words ends a sentence
MIN_RELIABLE_SECONDS = 30.0
EVIDENCE_CAP = 5

_TOKEN = re.compile(r"[$\u20ac\u00a3]?\d+(?:[.,]\d+)*%?(?![^\W_])|[^\W_]+(?:['\u2019][^\W_]+)*")
_END = re.compile(r"[.!?\u2026]")


def _tokenise(segments: Sequence[Segment]) -> list[Token]:
    toks: list[Token] = []
    for si, seg in enumerate(segments):
        s0, s1 = finite(seg.start), finite(seg.end)
        s1 = max(s0, s1)
        spans: list[tuple[int, float, float]] = []
        if seg.words:
            parts: list[str] = []
            pos = 0
            for w in seg.words:
                t = w.text or ""
                if parts and t[:1].isalnum() and not parts[-1][-1:].isspace():
                    t = " " + t
                w0 = finite(w.start)
                spans.append((pos, w0, max(w0, finite(w.end))))
                parts.append(t)
                pos += len(t)
            text = "".join(parts)
        else:
            text = seg.text or ""
        starts = [p for p, _, _ in spans]
        matches = list(_TOKEN.finditer(text))
        length = max(1, len(text))
        for k, m in enumerate(matches):
            nxt = matches[k + 1].start() if k + 1 < len(matches) else len(text)
            if spans:
                _, a, b = spans[max(0, bisect_right(starts, m.start()) - 1)]
                timed = True
            else:
                a = s0 + (s1 - s0) * m.start() / length
                b = s0 + (s1 - s0) * m.end() / length
                timed = False
            word = m.group()
            norm = word.lower().replace("\u2019", "'")
            toks.append(Token(word, norm, si, a, b, text[m.end() : nxt], timed))
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


def _phrase_regex(phrases: Iterable[str], *extra: str) -> re.Pattern[str]:
    """Whole-word match of any phrase (longest first) in a normalised sentence; `extra` are raw regexes."""
    alts = [re.escape(a) for a in sorted({p.replace("-", " ") for p in phrases}, key=len, reverse=True)]
    return re.compile(r"(?<!\S)(?:" + "|".join([*alts, *extra]) + r")(?!\S)")


_UNIT_RE = (
    r"(?:[$\u20ac\u00a3]\d\S*|\d[\d.,]*%"
    + r"|(?:\d[\d.,]*|"
    + "|".join(sorted(lx.NUMBER_WORDS))
    + r") ?(?:"
    + "|".join(re.escape(u) for u in sorted(lx.UNITS, key=len, reverse=True))
    + "))"
)
_CATEGORIES = {
    "benefits": _phrase_regex(lx.BENEFIT),
    "features": _phrase_regex(lx.FEATURE, _UNIT_RE),
    "urgency": _phrase_regex(lx.URGENCY),
    "social_proof": _phrase_regex(lx.SOCIAL_PROOF),
    "storytelling": _phrase_regex(lx.STORYTELLING),
    "call_to_action": _phrase_regex(lx.CALL_TO_ACTION),
}
_LEAD_IN = re.compile(r"^(?:(?:so|um|uh|and|but|okay|ok|now|well|like|guys) )+")
_GREETING_RE = _phrase_regex(lx.GREETINGS)
_SIGN_OFF_RE = _phrase_regex(lx.SIGN_OFFS)


class _Ctx:
    """Shared state: tokens, sentences and evidence building."""

    def __init__(self, segments: Sequence[Segment], toks: list[Token], minutes: float) -> None:
        self.segments, self.toks, self.minutes = segments, toks, minutes
        self.seg_len = Counter(t.seg for t in toks)

    def per_min(self, count: float) -> float:
        return round(count / self.minutes, 2) if self.minutes > 0 else 0.0

    def evidence(
        self, spans: Iterable[tuple[int, int]], cap: int = EVIDENCE_CAP, priority: Any = None
    ) -> list[dict[str, Any]]:
        """Up to `cap` examples in transcript order, one per segment: highest `priority(span)` first,
        then segments of ordinary length (5-25 words) over very short or very long ones."""
        best: dict[int, tuple[float, int, int, int]] = {}
        for lo, hi in spans:
            seg = self.toks[lo].seg
            n = self.seg_len[seg]
            key = (-(priority((lo, hi)) if priority else 0.0), max(0, n - 25) + 2 * max(0, 5 - n), lo, hi)
            if seg not in best or key < best[seg]:
                best[seg] = key
        chosen = sorted(sorted(best.values())[:cap], key=lambda k: k[2])
        out = []
        for _, _, lo, hi in chosen:
            a, b = self.toks[lo], self.toks[hi]
            text = " ".join((self.segments[s].text or "").strip() for s in range(a.seg, b.seg + 1))
            out.append({"start": round(a.start, 2), "end": round(max(a.end, b.end), 2), "text": text})
        return out


# -- selling, greeting ----------------------------------------------------------------------------------
def _is_question(s: Sentence) -> bool:
    if s.punctuated:
        return s.end == "?"
    text = _LEAD_IN.sub("", s.norm)
    return any(text == o or text.startswith(o + " ") for o in lx.QUESTION_OPENERS)


def _listener_question(s: Sentence) -> bool:
    words = set(s.norm.split(" "))
    return bool(words & lx.YOU_WORDS) or (" " + s.norm).endswith(
        tuple(" " + t for t in lx.TAG_QUESTION_ENDINGS)
    )


def _trait(ctx: _Ctx, hits: list[tuple[Sentence, tuple[int, int], str]], n_sents: int) -> dict[str, Any]:
    phrases = Counter(p for _, _, p in hits)
    sentences = {s.lo for s, _, _ in hits}
    sent_of = {sp: s.lo for s, sp, _ in hits}
    per_sent = Counter(s.lo for s, _, _ in hits)  # clearest examples: sentences with the most hits
    return {
        "count": len(hits),
        "per_minute": ctx.per_min(len(hits)),
        "sentence_share": round(len(sentences) / n_sents, 3) if n_sents else 0.0,
        "phrases": [{"text": p, "count": c} for p, c in phrases.most_common(8)],
        "evidence": ctx.evidence((sp for _, sp, _ in hits), priority=lambda sp: per_sent[sent_of[sp]]),
    }


def _selling(ctx: _Ctx, sents: list[Sentence]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    questions = [s for s in sents if _is_question(s) and _listener_question(s)]
    q = _trait(ctx, [(s, (s.lo, s.hi), "question") for s in questions], len(sents))
    q.pop("phrases")
    q["examples"] = [s.text for s in questions[:EVIDENCE_CAP]]
    out["listener_questions"] = q
    for name, rx in _CATEGORIES.items():
        hits = [(s, span(s, m), m.group()) for s in sents for m in rx.finditer(s.norm)]
        out[name] = _trait(ctx, hits, len(sents))
    out["approach"] = _approach(out)
    return out


def _approach(t: dict[str, Any]) -> list[str]:
    def strong(name: str, share: float = 0.03) -> bool:
        return t[name]["count"] >= 2 and t[name]["sentence_share"] >= share

    labels = []
    if strong("listener_questions", 0.08):
        labels.append("consultative")
    b, f = t["benefits"]["count"], t["features"]["count"]
    if b >= 2 and b >= 1.5 * f and strong("benefits"):
        labels.append("benefit-led")
    elif f >= 2 and f >= 1.5 * b and strong("features"):
        labels.append("feature-led")
    elif b >= 2 and f >= 2:
        labels.append("benefits-and-features")
    for name, label, share in (
        ("urgency", "urgency", 0.03),
        ("social_proof", "social-proof", 0.03),
        ("storytelling", "storyteller", 0.08),
        ("call_to_action", "call-to-action", 0.03),
    ):
        if strong(name, share):
            labels.append(label)
    return labels


def _opening_or_closing(
    ctx: _Ctx, sents: list[Sentence], recordings: list[tuple[int, int]], rx: re.Pattern[str], first: bool
) -> dict[str, Any] | None:
    """Greeting (first=True) or sign-off phrases found near the start or end of each recording; the
    most common combination wins."""
    rec_of = {seg: r for r, (lo, hi) in enumerate(recordings) for seg in range(lo, hi + 1)}
    by_rec: dict[int, list[Sentence]] = {}
    for s in sents:
        by_rec.setdefault(rec_of[ctx.toks[s.lo].seg], []).append(s)
    found: dict[str, list[tuple[int, int]]] = {}
    for inside in by_rec.values():
        window = inside[:2] if first else inside[-2:]
        matches = []
        for s in window:
            for m in rx.finditer(s.norm):
                lo, hi = span(s, m)
                if (lo - inside[0].lo < 12) if first else (inside[-1].hi - hi < 15):
                    matches.append((m.group(), (lo, hi)))
        if matches:
            text = ", ".join(dict.fromkeys(p for p, _ in matches))
            found.setdefault(text, []).append((matches[0][1][0], matches[-1][1][1]))
    if not found:
        return None
    text, spans = max(found.items(), key=lambda kv: (len(kv[1]), len(kv[0])))
    return {"text": display(text.split(" ")), "count": len(spans), "evidence": ctx.evidence(spans)}


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


def analyse_speech(
    segments: Sequence[Segment], *, pitch: dict | None = None, total_speech_seconds: float | None = None
) -> dict[str, Any]:
    """Profile the speaking style of ONE speaker's segments (layout in the module docstring)."""
    segments = list(segments)
    toks = _tokenise(segments)
    recs = recordings(segments)
    sents = _sentences(toks, recs)
    n_words = len(toks)
    notes: list[str] = []
    seconds = speech_seconds(segments, toks, recs)
    if total_speech_seconds is not None and finite(total_speech_seconds) > 0:
        seconds = finite(total_speech_seconds)
    ctx = _Ctx(segments, toks, seconds / 60)
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
    catch = find_catchphrases(sents, toks, name_words(toks, sents), n_words) if english else []
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
    sig_counts = Counter(
        w for w in alpha if len(w) >= 3 and w not in lx.HESITATIONS and w not in lx.SLANG and not is_common(w)
    )
    min_sig = max(2, 1 + n_words // 1500)
    sig_words = [(w, c) for w, c in sig_counts.most_common() if c >= min_sig][:10] if english else []
    vocab["signature_words"] = [
        {
            "text": w,
            "count": c,
            "per_1000_words": _r(1000 * c / n_words, 1),
            "evidence": ctx.evidence(((i, i) for i, t in enumerate(toks) if t.norm == w), cap=3),
        }
        for w, c in sig_words
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
        "question_share": _r(sum(map(_is_question, sents)) / n_s, 3) if n_s else 0.0,
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
        "selling": _selling(ctx, sents),
        "greeting": _opening_or_closing(ctx, sents, recs, _GREETING_RE, True) if english else None,
        "sign_off": _opening_or_closing(ctx, sents, recs, _SIGN_OFF_RE, False) if english else None,
    }
