"""How much a batch of replies sounds like the seller: each style measure of the replies beside the
same measure of the seller's own speech, and one overall score (`echome eval persona`).

Replies are measured by the same analyser as the seller's transcripts (`analyse.analyse_speech`),
so a filler or a sentence counts the same way on both sides:

  fillers_per_100_words       voice replies (the spoken text, fillers in) vs the transcripts
  catchphrases_per_100_words  text replies: uses of the persona's catchphrases vs the seller's
                              measured uses of them
  sentence_length             mean words per sentence of the text replies vs the transcripts
  formality                   the analyser's 0..1 score, text replies vs transcripts
  vocabulary_grade            Flesch-Kincaid grade, text replies vs transcripts

Each measure's closeness is 1 - |reply - source| / tolerance, floored at 0, where the tolerance is
the source value itself for rates and lengths (with a floor, so a seller who never says "um" is not
matched by an exact 0 alone), 0.5 for formality and 6 grades for vocabulary. The overall score is
their mean. `within_25_percent` is the issue's target for the two rates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from echome.persona.analyse import analyse_speech
from echome.persona.schema import phrase_text
from echome.providers.base import Segment

RATE_FLOOR = 0.5  # per 100 words: the tolerance of a rate whose source is (nearly) zero
TOLERANCE = {"formality": 0.5, "vocabulary_grade": 6.0}


def _num(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return 0.0
    return out if out == out else 0.0


def catchphrase_texts(profile: dict[str, Any]) -> list[str]:
    items = profile.get("catchphrases")
    items = items if isinstance(items, list) else [items] if items else []
    return [t for t in (phrase_text(i) for i in items) if t]


def count_phrases(text: str, phrases: Sequence[str]) -> int:
    low = " ".join(re.findall(r"[\w']+", text.lower()))
    total = 0
    for p in phrases:
        words = " ".join(re.findall(r"[\w']+", p.lower()))
        if words:
            total += len(re.findall(rf"(?<![\w']){re.escape(words)}(?![\w'])", low))
    return total


def _measure(texts: Sequence[str]) -> dict[str, Any]:
    # One segment per reply, far apart: a reply is never run into the next one's sentence.
    segments = [
        Segment(start=30.0 * i, end=30.0 * i + 10.0, text=t) for i, t in enumerate(texts) if t.strip()
    ]
    return analyse_speech(segments)


def source_style(profile: dict[str, Any]) -> dict[str, float]:
    """The seller's own measures, from the persona's measured profile."""
    words = (
        _num((profile.get("summary") or {}).get("words")) if isinstance(profile.get("summary"), dict) else 0.0
    )
    items = profile.get("catchphrases") if isinstance(profile.get("catchphrases"), list) else []
    uses = sum(_num(i.get("count")) for i in items if isinstance(i, dict))
    return {
        "words": words,
        "fillers_per_100_words": _num(profile.get("fillers_per_100_words")),
        "catchphrases_per_100_words": round(100 * uses / words, 3) if words else 0.0,
        "sentence_length": _num((profile.get("sentence_length") or {}).get("mean"))
        if isinstance(profile.get("sentence_length"), dict)
        else 0.0,
        "formality": _num((profile.get("formality") or {}).get("score"))
        if isinstance(profile.get("formality"), dict)
        else 0.0,
        "vocabulary_grade": _num((profile.get("vocabulary") or {}).get("flesch_kincaid_grade"))
        if isinstance(profile.get("vocabulary"), dict)
        else 0.0,
    }


def reply_style(
    text_replies: Sequence[str], voice_replies: Sequence[str], phrases: Sequence[str]
) -> dict[str, float]:
    text = _measure(text_replies)
    voice = _measure(voice_replies)
    words = text["summary"]["words"]
    return {
        "words": float(words),
        "fillers_per_100_words": _num(voice["fillers_per_100_words"]),
        "catchphrases_per_100_words": round(
            100 * sum(count_phrases(t, phrases) for t in text_replies) / words, 3
        )
        if words
        else 0.0,
        "sentence_length": _num(text["sentence_length"]["mean"]),
        "formality": _num(text["formality"]["score"]),
        "vocabulary_grade": _num(text["vocabulary"]["flesch_kincaid_grade"]),
    }


def closeness(name: str, reply: float, source: float) -> float:
    if name in TOLERANCE:
        tol = TOLERANCE[name]
    elif name == "sentence_length":
        tol = max(source, 1.0)
    else:
        tol = max(source, RATE_FLOOR)
    return round(max(0.0, 1.0 - abs(reply - source) / tol), 3)


def fidelity_report(
    profile: dict[str, Any], text_replies: Sequence[str], voice_replies: Sequence[str]
) -> dict[str, Any]:
    """Measures of the replies beside the seller's, per-measure closeness and the overall score."""
    source = source_style(profile)
    replies = reply_style(text_replies, voice_replies, catchphrase_texts(profile))
    measures: dict[str, Any] = {}
    for name in (
        "fillers_per_100_words",
        "catchphrases_per_100_words",
        "sentence_length",
        "formality",
        "vocabulary_grade",
    ):
        row: dict[str, Any] = {
            "replies": round(replies[name], 3),
            "source": round(source[name], 3),
            "closeness": closeness(name, replies[name], source[name]),
        }
        if name.endswith("_per_100_words"):
            s, r = source[name], replies[name]
            row["within_25_percent"] = abs(r - s) <= 0.25 * s if s > 0 else r == 0
        measures[name] = row
    score = sum(m["closeness"] for m in measures.values()) / len(measures)
    return {
        "replies": len(text_replies),
        "reply_words": int(replies["words"]),
        "source_words": int(source["words"]),
        "style_strength": profile.get("style_strength") or "natural",
        "measures": measures,
        "score": round(score, 3),
    }


def fidelity_of_answers(
    profile: dict[str, Any],
    questions: Sequence[str],
    ask: Callable[[str, str], Any],
    *,
    turns_per_buyer: int = 4,
) -> dict[str, Any]:
    """Ask `questions` (a few turns per buyer, so greetings come once a conversation, as live) with
    `ask(question, buyer)` returning an answer with `answer` (text) and `spoken` (the voice note's
    words); replies the seller takes over are left out. The fidelity report of what came back."""
    texts: list[str] = []
    voices: list[str] = []
    for i, question in enumerate(questions):
        reply = ask(question, f"fidelity-buyer-{i // max(1, turns_per_buyer)}")
        if getattr(reply, "mode", "") == "handed-off" or not getattr(reply, "answer", ""):
            continue
        texts.append(reply.answer)
        voices.append(reply.spoken or reply.answer)
    report = fidelity_report(profile, texts, voices)
    report["examples"] = [{"text": t, "spoken": v} for t, v in list(zip(texts, voices, strict=True))[:3]]
    return report
