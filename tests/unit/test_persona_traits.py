"""Traits that are really the seller's: said across recordings, more often than general English predicts,
recognised with confidence, not catalog topic words; openings and closings of sales videos; and every
trait quoted by its evidence."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from echome.persona.analyse import analyse_speech
from echome.persona.frequency import over_used
from echome.persona.trait_evidence import evidence_precision
from echome.providers.base import Segment, Word

EVAL = Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "speech"


def seg(start: float, text: str, *, unsure: frozenset[str] = frozenset()) -> Segment:
    """Whisper-like segment, 0.25 s words 0.05 s apart; words in `unsure` get probability 0.2."""
    words, t = [], start
    for w in text.split():
        p = 0.2 if w.strip(",.!?").lower() in unsure else 0.95
        words.append(Word(t, t + 0.25, " " + w, p))
        t += 0.3
    return Segment(start, t - 0.05, " " + text, words)


def recording(lines: list[str], **kw: frozenset[str]) -> list[Segment]:
    """One recording: its time starts at zero, as a fresh transcript's does."""
    out, t = [], 0.0
    for line in lines:
        s = seg(t, line, **kw)
        out.append(s)
        t = s.end + 0.4
    return out


FILLER = [
    "The strap is adjustable and the lining is soft.",
    "It fits a laptop and a water bottle.",
    "The zip runs the whole length of the top.",
    "There is a pocket on the front for your phone.",
]


def three(lines_per_rec: list[list[str]], **kw: frozenset[str]) -> list[Segment]:
    return [s for lines in lines_per_rec for s in recording(lines, **kw)]


def sig_words(p: dict) -> list[str]:
    return [w["text"] for w in p["vocabulary"]["signature_words"]]


def catch(p: dict) -> list[str]:
    return [c["text"] for c in p["catchphrases"]]


def test_frequency_test_keeps_rare_words_and_drops_what_english_says_anyway() -> None:
    assert over_used(3, 200, "scrumptious", ratio=10) > 10.83
    assert over_used(3, 200, "people", ratio=10) == 0.0  # said as often as English says it
    assert over_used(8, 3000, "you know what", ratio=3) == 0.0  # a common phrase, said a common amount
    assert over_used(40, 3000, "you know what", ratio=3) > 10.83


def test_a_misrecognised_low_probability_word_is_not_a_signature_word() -> None:
    lines = ["This bag is gorgeous, I carl it my daily bag.", *FILLER, "Honestly gorgeous, carl me biased."]
    sure = analyse_speech(three([lines] * 3))
    unsure = analyse_speech(three([lines] * 3, unsure=frozenset({"carl"})))
    assert {"carl", "gorgeous"} <= set(sig_words(sure))  # the same word, recognised with confidence
    assert "carl" not in sig_words(unsure) and "gorgeous" in sig_words(unsure)
    assert not any("carl" in c for c in catch(unsure))


def test_a_topic_word_of_the_catalog_is_not_a_signature_word_or_catchphrase() -> None:
    lines = ["Look at this cashmere, it is scrumptious.", *FILLER, "Feel the cashmere wrap, so scrumptious."]
    lines += ["Cashmere wraps like this one are scrumptious."]
    plain = analyse_speech(three([lines] * 3))
    catalog = analyse_speech(three([lines] * 3), exclude_words=["Cashmere Wrap", "Scarves & Wraps"])
    assert "cashmere" in sig_words(plain) and "scrumptious" in sig_words(plain)
    assert "cashmere" not in sig_words(catalog) and "scrumptious" in sig_words(catalog)
    assert not any("cashmere" in c or "wrap" in c for c in catch(catalog))


PHRASE = "honestly you won't regret it"


def test_a_phrase_in_one_of_three_recordings_is_not_a_catchphrase_and_in_all_three_it_is() -> None:
    said = ["I use it every day.", f"And {PHRASE}.", *FILLER, f"Really, {PHRASE}!"]
    quiet = ["I use it every day.", *FILLER, "It is a good bag."]
    once = analyse_speech(three([said, quiet, quiet]))
    everywhere = analyse_speech(three([said, said, said]))
    assert once["summary"]["recordings"] == 3
    assert PHRASE not in catch(once)
    assert catch(everywhere)[0] == PHRASE
    top = everywhere["catchphrases"][0]
    assert top["count"] == 6 and len(top["evidence"]) == 5
    assert all(PHRASE in re.sub(r"[^\w' ]", "", e["text"].lower()) for e in top["evidence"])
    # one recording: the within-recording rules stay (two sentences are enough)
    assert PHRASE in catch(analyse_speech(recording(said)))


def test_a_low_confidence_word_inside_a_phrase_stops_it_counting() -> None:
    said = ["I use it every day.", f"And {PHRASE}.", *FILLER, f"Really, {PHRASE}!"]
    p = analyse_speech(three([said] * 3, unsure=frozenset({"regret"})))
    assert not any("regret" in c for c in catch(p))


def video(opening: str, body: str, closing: str) -> list[str]:
    return [opening, body, *FILLER * 4, closing]  # ~25 s of talk between opening and closing


def test_youtube_openings_and_closings_are_greeting_and_sign_off_with_timestamps() -> None:
    recs = [
        video(
            "What's up everyone, it's Mia here, welcome back to the channel!",
            "Today I'm going to show you my new tote.",
            "Don't forget to like and subscribe, and I'll see you in the next one.",
        ),
        video(
            "Hey guys, it's Mia here.",
            "In today's video we look at backpacks.",
            "Link in the description, and I'll see you in the next one!",
        ),
        video(
            "Hi everyone, it's Mia here, welcome back to the channel.",
            "This one is a weekender.",
            "Thanks for watching, I'll see you in the next one. Bye for now!",
        ),
    ]
    p = analyse_speech(three(recs))
    g, s = p["greeting"], p["sign_off"]
    assert g["text"] == "it's mia here" and g["count"] == 3
    assert s["text"] == "I'll see you in the next one" and s["count"] == 3
    assert [e["start"] for e in g["evidence"]] == [0.9, 0.6, 0.6]  # "it's" in each opening line
    assert len(s["evidence"]) == 3 and all(e["start"] > 25 for e in s["evidence"])
    assert "call-to-action" not in p["selling"]["approach"] or p["selling"]["call_to_action"]["count"] >= 2
    assert evidence_precision(p)["precision"] == 1.0


def test_recordings_joined_on_one_timeline_are_told_apart_by_their_sizes() -> None:
    recs = [recording(video("Hey guys, welcome back!", "A tote.", "See you in the next one!")) for _ in "abc"]
    joined, offset = [], 0.0
    for r in recs:
        joined += [
            Segment(
                x.start + offset,
                x.end + offset,
                x.text,
                [Word(w.start + offset, w.end + offset, w.text) for w in x.words],
            )
            for x in r
        ]
        offset += r[-1].end + 1.0
    assert analyse_speech(joined)["greeting"]["count"] == 1  # one long recording
    p = analyse_speech(joined, recording_sizes=[len(r) for r in recs])
    assert p["summary"]["recordings"] == 3
    assert (p["greeting"]["text"], p["greeting"]["count"]) == ("hey guys, welcome back", 3)
    assert (p["sign_off"]["text"], p["sign_off"]["count"]) == ("see you in the next one", 3)


def test_greeting_said_in_one_recording_only_or_late_is_not_the_sellers() -> None:
    late = ["This is the tote.", *FILLER * 5, "Hey guys, welcome back!", "Bye!"]
    p = analyse_speech(three([video("Hey guys!", "A tote.", "Bye!"), late, late]))
    assert p["greeting"] is None  # "hey guys" opens one recording; said after 20 s elsewhere
    assert (p["sign_off"]["text"], p["sign_off"]["count"]) == ("bye", 3)


def test_precision_check_flags_a_trait_its_quotes_do_not_contain() -> None:
    good = {
        "fillers": [{"text": "um", "evidence": [{"text": "Umm, so yes."}]}],
        "catchphrases": [{"text": "trust me", "evidence": [{"text": "Trust me!"}]}],
        "greeting": {"text": "hey guys, welcome back", "evidence": [{"text": "Hey guys! Welcome back."}]},
        "selling": {
            "urgency": {
                "count": 1,
                "phrases": [{"text": "today only"}],
                "evidence": [{"text": "Today only."}],
            }
        },
    }
    assert evidence_precision(good) == {"traits": 4, "supported": 4, "precision": 1.0, "defects": []}
    bad = {
        "vocabulary": {"signature_words": [{"text": "carl", "evidence": [{"text": "I called it."}]}]},
        "catchphrases": [{"text": "trust me", "evidence": []}],
        "sign_off": {"text": "see you soon", "evidence": [{"text": "See you."}]},
    }
    r = evidence_precision(bad)
    assert (r["traits"], r["supported"], r["precision"]) == (3, 0, 0.0)
    assert [d["kind"] for d in r["defects"]] == ["catchphrases", "signature_words", "sign_off"]


def _text_segments(text: str, start: float = 0.0) -> list[Segment]:
    """A reference transcript as segments, one per sentence (text only: times estimated)."""
    out, t = [], start
    for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
        n = len(sentence.split())
        out.append(Segment(t, t + 0.3 * n, " " + sentence))
        t += 0.3 * n + 0.5
    return out


def test_traits_of_real_speech_are_quoted_by_their_evidence() -> None:
    spontaneous = sorted((EVAL / "spontaneous").glob("*.txt"))
    librivox = sorted((EVAL / "librivox").glob("*.txt"))
    if not spontaneous or not librivox:
        pytest.skip(f"no reference transcripts under {EVAL}")
    profiles = {f.stem: analyse_speech(_text_segments(f.read_text(encoding="utf-8"))) for f in spontaneous}
    # LibriVox: one recording per utterance, each with its own timeline
    utterances = [_text_segments(f.read_text(encoding="utf-8")) for f in librivox]
    profiles["librivox"] = analyse_speech(
        [s for u in utterances for s in u], recording_sizes=[len(u) for u in utterances]
    )
    assert profiles["librivox"]["summary"]["recordings"] == len(librivox)
    claimed = 0
    for name, p in profiles.items():
        r = evidence_precision(p)
        claimed += r["traits"]
        assert r["precision"] == 1.0, (name, r["defects"])
    assert claimed > 0  # the fillers of the meeting speakers at least


SELLER_RECORDINGS = [
    [
        "Hey guys, welcome back to the channel!",
        "Today I'm going to show you the linen tote.",
        "Um, it's made of 100% linen and it comes in 3 colours.",
        "Honestly you won't regret it, it saves you so much time.",
        "The handles are long enough for your shoulder.",
        "It folds flat into its own little pouch.",
        "Our customers love it, it's our bestseller, absolutely scrumptious.",
        "Link in the description, see you in the next one!",
    ],
    [
        "Hey guys, welcome back to the channel!",
        "This is the canvas backpack, absolutely scrumptious.",
        "Have you ever had a strap dig into your shoulder?",
        "This one keeps you comfortable all day, honestly you won't regret it.",
        "There are two bottle pockets on the sides.",
        "The back panel is padded and breathable.",
        "It's only 49 dollars today only, so don't miss out!",
        "Link in the description, see you in the next one!",
    ],
    [
        "Hey guys!",
        "The weekender is back in stock, absolutely scrumptious.",
        "Um, the reviews are amazing, honestly you won't regret it.",
        "It holds clothes for three nights away.",
        "The base is waxed so it stands up in the rain.",
        "Click the link and grab yours.",
        "Thanks for watching, see you in the next one!",
    ],
]


def test_synthetic_seller_over_three_recordings_has_only_quoted_traits() -> None:
    p = analyse_speech(three(SELLER_RECORDINGS), exclude_words=["Linen Tote", "Canvas Backpack", "Bags"])
    r = evidence_precision(p)
    assert r["precision"] == 1.0, r["defects"]
    assert r["traits"] >= 8
    assert "honestly you won't regret it" in catch(p) and "absolutely scrumptious" in catch(p)
    assert "scrumptious" in sig_words(p) and "linen" not in sig_words(p)
    assert (p["greeting"]["text"], p["greeting"]["count"]) == ("hey guys", 3)
    assert p["sign_off"]["text"] == "see you in the next one" and p["sign_off"]["count"] == 3
