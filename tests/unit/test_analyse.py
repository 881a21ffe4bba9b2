"""Persona analyser on hand-built speech: fillers, catchphrases, rate, formality, tone, selling, evidence."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from echome.persona.analyse import analyse_speech, style_summary
from echome.persona.style import count_syllables, lexical_variety, readability
from echome.providers.base import Segment, Word

EVAL = Path(__file__).resolve().parents[2].parent / "shared" / "eval"


def seg(start: float, text: str, *, word: float = 0.25, gap: float = 0.05) -> Segment:
    """A whisper-like segment: words `word` seconds long, `gap` seconds apart, leading spaces kept."""
    words, t = [], start
    for w in text.split():
        words.append(Word(t, t + word, " " + w))
        t += word + gap
    return Segment(start, t - gap, " " + text, words)


def talk(lines: list[str], *, start: float = 0.0, pause: float = 0.4, **kw: float) -> list[Segment]:
    out, t = [], start
    for line in lines:
        s = seg(t, line, **kw)
        out.append(s)
        t = s.end + pause
    return out


def by_text(items: list[dict]) -> dict[str, dict]:
    return {i["text"]: i for i in items}


SELLER = [
    "Hey guys, welcome back to the shop!",
    "So, today I have something really special for you.",
    "This is the merino wrap, and trust me, you're gonna love it.",
    "Um, it's made of 100% merino wool and it comes in 5 colours.",
    "Have you ever had a scarf that just, like, itches all day?",
    "Yeah, me too, you know.",
    "I like how it drapes.",
    "When I was a kid my mom knitted everything and I remember how scratchy it was.",
    "This one keeps you warm without the itch, so you can wear it all day.",
    "Honestly, it's a total game changer.",
    "Our customers love it, it's our bestseller and the reviews are amazing.",
    "It's only 49 dollars today only, so don't miss out!",
    "Which colour would you pick?",
    "Trust me, you're gonna love it.",
    "Um, the merino is so soft, you know.",
    "It saves you so much time in the morning.",
    "Click the link in bio and grab yours, trust me, you're gonna love it!",
    "Thanks for watching, see you next time!",
]


@pytest.fixture(scope="module")
def seller() -> tuple[list[Segment], dict]:
    segments = talk(SELLER)
    return segments, analyse_speech(segments, pitch={"f0_median_hz": 210.0, "f0_std_semitones": 3.2})


def test_seller_fillers_are_counted_with_evidence(seller: tuple[list[Segment], dict]) -> None:
    segments, p = seller
    fillers = by_text(p["fillers"])
    assert fillers["um"]["count"] == 2
    assert fillers["you know"]["count"] == 2
    assert fillers["like"]["count"] == 1  # ", like," yes; "I like how it drapes" no
    assert fillers["so"]["count"] == 1  # "So, today" yes; "so you can", "so soft", "so much" no
    assert "actually" not in fillers and "kind of" not in fillers
    (like_ev,) = fillers["like"]["evidence"]
    assert like_ev["text"] == SELLER[4]
    like_word = next(w for w in segments[4].words if w.text.strip(" ,") == "like")
    assert (like_ev["start"], like_ev["end"]) == (round(like_word.start, 2), round(like_word.end, 2))
    assert sum(f["count"] for f in p["fillers"]) == round(
        p["fillers_per_100_words"] * p["summary"]["words"] / 100
    )


def test_seller_catchphrase_greeting_and_sign_off(seller: tuple[list[Segment], dict]) -> None:
    segments, p = seller
    top = p["catchphrases"][0]
    assert top["text"] == "trust me you're gonna love it" and top["count"] == 3
    assert [e["text"] for e in top["evidence"]] == [SELLER[2], SELLER[13], SELLER[16]]
    for ev, s in zip(top["evidence"], (segments[2], segments[13], segments[16]), strict=True):
        assert round(s.start, 2) <= ev["start"] < ev["end"] <= round(s.end, 2)
    assert "trust me" not in by_text(p["catchphrases"])  # only ever said inside the longer phrase
    assert p["greeting"]["text"] == "hey guys, welcome back"
    assert p["greeting"]["evidence"][0]["start"] == 0.0
    assert p["sign_off"]["text"] == "thanks for watching, see you next time"
    assert p["sign_off"]["evidence"][0]["text"] == SELLER[-1]


def test_seller_selling_traits(seller: tuple[list[Segment], dict]) -> None:
    _, p = seller
    s = p["selling"]
    assert s["listener_questions"]["count"] == 2
    assert s["listener_questions"]["examples"] == [SELLER[4], SELLER[12]]
    assert {x["text"] for x in s["benefits"]["phrases"]} == {"keeps you", "so you can", "saves you"}
    assert {x["text"] for x in s["features"]["phrases"]} == {"made of", "100%", "5 colours"}
    assert {x["text"] for x in s["urgency"]["phrases"]} == {"today only", "don't miss out"}
    assert {x["text"] for x in s["social_proof"]["phrases"]} == {"our customers", "bestseller", "reviews"}
    assert {x["text"] for x in s["call_to_action"]["phrases"]} == {"click the link", "grab yours"}
    assert s["storytelling"]["evidence"][0]["text"] == SELLER[7]
    assert s["approach"] == [
        "consultative",
        "benefits-and-features",
        "urgency",
        "social-proof",
        "call-to-action",
    ]


def test_seller_style_tone_and_summary_lines(seller: tuple[list[Segment], dict]) -> None:
    _, p = seller
    assert p["formality"]["label"] == "casual" and p["formality"]["score"] < 0.3
    assert p["tone"]["sentiment_mean"] > 0.2 and p["tone"]["negative_share"] == 0.0
    assert p["tone"]["exclamation_share"] == pytest.approx(4 / 18, abs=1e-3)
    assert p["tone"]["pitch"] == {"f0_median_hz": 210.0, "f0_std_semitones": 3.2}
    assert p["tone"]["energy_label"] == "energetic"
    assert [w["text"] for w in p["vocabulary"]["signature_words"]] == ["merino"]
    lines = style_summary(p)
    assert "Asks the customer questions" in lines
    assert "Catchphrases: 'trust me you're gonna love it'" in lines
    assert "Opens with 'hey guys, welcome back'" in lines
    json.dumps(p, allow_nan=False)


def test_filler_rules_depend_on_position() -> None:
    lines = [
        "I like it.",
        "It feels like silk.",
        "Like, it's so soft.",
        "It's, like, really warm.",
        "Colours like red and blue.",
        "Um like it just works.",
        "So much fun.",
        "So, this is it.",
        "So this one is new.",
        "Do you know the brand?",
        "You know what, it's great.",
        "It's great, you know.",
        "What kind of fabric is it?",
        "It's kind of magical.",
        "I mean it.",
        "I mean, look at it.",
        "Basically it's perfect.",
        "Actually, I prefer blue.",
        "I actually prefer blue.",
    ]
    counts = {f["text"]: f["count"] for f in analyse_speech(talk(lines))["fillers"]}
    assert counts == {
        "like": 3,
        "so": 2,
        "you know": 1,
        "kind of": 1,
        "i mean": 1,
        "basically": 1,
        "actually": 1,
        "um": 1,
    }


def test_a_hyphenated_backchannel_is_one_sound_and_not_a_filler() -> None:
    lines = ["Mm-hmm.", "Uh-huh, mm-hmm.", "Mm, the blue one.", "Mm hmm.", "Mm-hmm."] * 2
    profile = analyse_speech(talk(lines))
    counts = {f["text"]: f["count"] for f in profile["fillers"]}
    # "mm" and a spaced "mm hmm" are hums (hmm); a hyphenated "mm-hmm" is not two of them
    assert counts == {"hmm": 6}
    assert not any("mm-hmm" in p["text"] or "uh-huh" in p["text"] for p in profile["catchphrases"])


def test_catchphrases_need_real_repetition_and_skip_common_phrases() -> None:
    lines = [
        "I think a lot of people want one of the big ones.",
        "I think it is fine for one of the kids.",
        "A lot of them are blue.",
        "I think a lot of you will agree.",
        "This blender is a total game changer.",
        "Honestly the new lid is a game changer too.",
        "The grip makes it a game changer for small kitchens.",
        "Super soft, super soft, super soft.",
        "I have been made aware of the price.",
        "It has been made in Portugal for years.",
        "Thank you so much for watching.",
        "And thank you so much for the lovely comments.",
        "Really, thank you so much.",
    ]
    texts = [c["text"] for c in analyse_speech(talk(lines))["catchphrases"]]
    assert texts == ["game changer"]


def test_formal_speaker_scores_more_formal_than_casual_one() -> None:
    formal = talk(
        [
            "Good afternoon.",
            "This cabinet is constructed from solid oak and finished with a natural oil.",
            "The drawers operate on concealed runners and the handles are cast brass.",
            "Delivery is arranged within ten working days of the order.",
            "We would be pleased to answer any further enquiries.",
        ]
    )
    casual = talk(
        [
            "Hey guys!",
            "Okay so I'm literally obsessed with this cabinet, it's gonna blow your mind.",
            "You're gonna love the drawers, they're super smooth and the handles are awesome.",
            "I've had mine for like a year and it's still amazing, you know.",
            "Grab yours, you won't regret it!",
        ]
    )
    f, c = analyse_speech(formal)["formality"], analyse_speech(casual)["formality"]
    assert f["score"] > 0.85 > 0.4 > c["score"]
    assert (f["label"], c["label"]) == ("formal", "casual")
    assert f["contractions_per_100_words"] == 0.0 < c["contractions_per_100_words"]
    assert c["pronouns_per_100_words"]["you"] > f["pronouns_per_100_words"]["you"]
    assert {m["text"] for m in c["informal_markers"]} >= {"gonna", "literally", "obsessed", "super"}


def test_speaking_rate_from_word_timestamps() -> None:
    text = ["this is a fairly ordinary sentence about a nice warm jacket"] * 12
    fast = analyse_speech(talk(text, word=0.25, gap=0.05, pause=0.0))
    slow = analyse_speech(talk(text, word=0.5, gap=0.1, pause=0.0))
    # 11 words per segment, back to back: 11 words / (11 words + 10 gaps).
    assert fast["speaking_rate_wpm_overall"] == pytest.approx(11 / 3.25 * 60, abs=0.1)
    assert slow["speaking_rate_wpm_overall"] == pytest.approx(11 / 6.5 * 60, abs=0.1)
    assert (fast["speaking_rate_label"], slow["speaking_rate_label"]) == ("fast", "slow")
    assert fast["speaking_rate_wpm"] == fast["speaking_rate_wpm_overall"]  # no pause of 0.3 s or more
    # Quick words with long pauses: fast while speaking, slow overall.
    halting = analyse_speech(talk(text, word=0.2, gap=0.5, pause=0.5))
    assert halting["speaking_rate_wpm"] == pytest.approx(300, abs=0.1)
    assert halting["speaking_rate_wpm_overall"] == pytest.approx(11 / 7.2 * 60, abs=0.1)
    assert halting["speaking_rate_basis"] == "word timestamps"
    assert "Speaks fast (203 wpm)" in style_summary(fast)


def test_rate_without_word_timestamps_uses_segment_spans_and_total_seconds() -> None:
    segments = [
        Segment(i * 6.0, i * 6.0 + 5.0, "one two three four five six seven eight nine ten") for i in range(6)
    ]
    p = analyse_speech(segments)
    assert p["speaking_rate_basis"] == "segment spans"
    assert p["speaking_rate_wpm"] == p["speaking_rate_wpm_overall"] == 120.0
    assert any("no word timestamps" in n for n in p["notes"])
    assert analyse_speech(segments, total_speech_seconds=60.0)["speaking_rate_wpm_overall"] == 60.0


def test_missing_punctuation_splits_sentences_at_pauses() -> None:
    # Whisper without punctuation: one lower-case segment, a 1 s pause after "dress".
    spoken = "so today i want to show you this dress so do you like the colour"
    words, t = [], 0.0
    for w in spoken.split(" "):
        words.append(Word(t, t + 0.3, " " + w))
        t += 0.3 + (1.0 if w == "dress" else 0.1)
    text = "".join(w.text for w in words)
    p = analyse_speech([Segment(0.0, t, text, words)])
    assert p["summary"]["sentences"] == 2 and p["summary"]["sentence_boundaries"] == "pauses"
    assert p["sentence_length"] == {"mean": 7.5, "median": 7.5, "max": 9}
    assert any("punctuation" in n for n in p["notes"])
    assert p["selling"]["listener_questions"]["examples"] == ["so do you like the colour"]
    assert [(f["text"], f["count"]) for f in p["fillers"]] == [("so", 1)]  # "so do you" is not counted


def test_punctuated_sentences_continue_across_segments() -> None:
    segments = talk(["I think this is the best", "moisturiser I have ever used.", "Really."], pause=0.0)
    p = analyse_speech(segments)
    assert p["summary"]["sentences"] == 2
    assert p["sentence_length"]["max"] == 11


def test_empty_input_returns_zeros_and_a_note() -> None:
    p = analyse_speech([])
    assert p["summary"]["words"] == 0 and p["notes"] == ["no speech to analyse"]
    assert p["fillers"] == [] and p["catchphrases"] == [] and p["greeting"] is None
    assert p["speaking_rate_wpm"] == 0.0 and p["speaking_rate_label"] == "unknown"
    assert p["selling"]["approach"] == [] and p["formality"]["label"] == "unknown"
    assert style_summary(p) == []
    json.dumps(p, allow_nan=False)


@pytest.mark.parametrize(
    "segments",
    [
        [Segment(0.0, 0.4, "Hello")],
        [Segment(0.0, 1.0, "   "), Segment(1.0, 2.0, "...")],
        [Segment(0.0, 3.0, "123 456 789 0.5 $49.99 20% 3 x 4 1,000mAh")],
        [Segment(0.0, 5.0, "\u5927\u5bb6\u597d\uff0c\u4eca\u5929\u6211\u7ed9\u5927\u5bb6\u4ecb\u7ecd\u3002")],
        [
            Segment(
                float("nan"), float("inf"), "hi there", [Word(float("nan"), 1.0, "hi"), Word(2.0, 1.0, "")]
            )
        ],
        [Segment(5.0, 1.0, "backwards timestamps, odd!", [])],
    ],
)
def test_odd_inputs_never_crash(segments: list[Segment]) -> None:
    p = analyse_speech(segments)
    json.dumps(p, allow_nan=False)
    assert p["summary"]["reliable"] is False and p["notes"]
    assert isinstance(style_summary(p), list)


def test_one_word_is_flagged_as_too_little_speech() -> None:
    p = analyse_speech([Segment(0.0, 0.4, "Hello")])
    assert p["summary"]["words"] == 1
    assert "too little speech for reliable figures (under 30 seconds)" in p["notes"]
    assert not any(line.startswith("Speaks") for line in style_summary(p))


def test_all_caps_and_non_english_text() -> None:
    caps = analyse_speech(talk(["UM, LIKE, IT'S GREAT!", "TRUST ME, YOU WILL LOVE IT."]))
    assert {f["text"] for f in caps["fillers"]} == {"um", "like"}
    assert caps["tone"]["sentiment_mean"] > 0.3
    french = analyse_speech(
        talk(
            [
                "Bonjour \u00e0 tous, aujourd'hui je vous pr\u00e9sente "
                "une tr\u00e8s belle robe de la collection."
            ]
            * 4
        )
    )
    assert french["catchphrases"] == [] and french["tone"]["sentiment_mean"] == 0.0
    assert french["formality"]["label"] == "unknown"
    assert any("does not look like English" in n for n in french["notes"])


def test_evidence_without_word_timestamps_stays_inside_its_segment() -> None:
    segments = [
        Segment(0.0, 4.0, "Welcome to my little shop."),
        Segment(10.0, 14.0, "It is great, you know."),
        Segment(20.0, 24.0, "Thanks, you know."),
    ]
    (you_know,) = analyse_speech(segments)["fillers"]
    assert you_know["text"] == "you know" and you_know["count"] == 2
    first, second = you_know["evidence"]
    assert 12.0 < first["start"] < first["end"] <= 14.0 and first["text"] == "It is great, you know."
    assert 20.0 < second["start"] < second["end"] <= 24.0


def test_evidence_is_capped_and_prefers_ordinary_segments() -> None:
    lines = ["Um."] + [f"Um, product number {i} is here for you today." for i in range(9)]
    (um,) = analyse_speech(talk(lines))["fillers"]
    assert um["count"] == 10 and len(um["evidence"]) == 5
    assert all(e["text"] != "Um." for e in um["evidence"])
    assert [e["start"] for e in um["evidence"]] == sorted(e["start"] for e in um["evidence"])


def test_greeting_and_sign_off_over_several_recordings() -> None:
    rec1 = talk(["Hey guys, welcome back!", "This kettle boils in a minute.", "See you next time!"])
    rec2 = talk(["Hello everyone.", "This toaster is quick.", "Bye!"])
    rec3 = talk(["Hey guys, welcome back!", "This lamp is bright.", "See you next time!"])
    p = analyse_speech(rec1 + rec2 + rec3)
    assert p["summary"]["recordings"] == 3
    assert (p["greeting"]["text"], p["greeting"]["count"]) == ("hey guys, welcome back", 2)
    assert (p["sign_off"]["text"], p["sign_off"]["count"]) == ("see you next time", 2)
    assert p["speaking_rate_wpm_overall"] == pytest.approx(200, abs=20)  # recordings' times do not overlap


def test_benefit_led_and_feature_led_sellers_are_told_apart() -> None:
    benefit = talk(
        [
            "This pan saves you time every evening.",
            "It helps you cook without sticking, so you can relax.",
            "You'll never scrub a pan again.",
            "It keeps you out of the kitchen longer.",
        ]
    )
    feature = talk(
        [
            "This pan is made of 3 mm stainless steel.",
            "It comes with a 10 year warranty.",
            "The handle features a riveted joint and it weighs 900 grams.",
            "It is available in 3 sizes.",
        ]
    )
    b, f = analyse_speech(benefit)["selling"], analyse_speech(feature)["selling"]
    assert "benefit-led" in b["approach"] and "feature-led" not in b["approach"]
    assert "feature-led" in f["approach"] and "benefit-led" not in f["approach"]
    assert b["benefits"]["count"] >= 5 and b["features"]["count"] == 0
    assert f["features"]["count"] >= 7 and f["benefits"]["count"] == 0


def test_energy_rises_with_exclamations_and_pitch_variation() -> None:
    flat = ["The jacket is grey.", "It has two pockets.", "The zip is on the left."] * 4
    lively = ["Wow, this jacket is amazing!", "I love these pockets!", "The zip is brilliant!"] * 4
    calm = analyse_speech(talk(flat, word=0.4, gap=0.1), pitch={"f0_std_semitones": 1.0})["tone"]
    hot = analyse_speech(talk(lively), pitch={"f0_std_semitones": 5.0})["tone"]
    assert (calm["energy_label"], hot["energy_label"]) == ("calm", "energetic")
    assert hot["exclamation_share"] == 1.0 and calm["exclamation_share"] == 0.0
    assert hot["evidence"] and all(e["text"].endswith("!") for e in hot["evidence"])


def test_syllables_readability_and_variety() -> None:
    counts = {
        w: count_syllables(w) for w in ("cat", "table", "make", "walked", "wanted", "radio", "beautiful")
    }
    assert counts == {"cat": 1, "table": 2, "make": 1, "walked": 1, "wanted": 2, "radio": 3, "beautiful": 3}
    simple = readability(["the", "cat", "sat", "on", "the", "mat", "it", "was", "fun"], 2)
    hard = readability(
        ["institutional", "considerations", "necessitate", "comprehensive", "organisational", "evaluation"], 1
    )
    assert simple["flesch_reading_ease"] > 90 > 0 > hard["flesch_reading_ease"]
    assert hard["flesch_kincaid_grade"] > 15 > simple["flesch_kincaid_grade"]
    varied = lexical_variety(("alpha bravo charlie delta echo foxtrot golf hotel india juliet " * 2).split())
    repetitive = lexical_variety(("the dress the dress is the dress " * 12).split())
    assert varied["mtld"] > repetitive["mtld"] and varied["mattr"] > repetitive["mattr"]
    assert repetitive["type_token_ratio"] == pytest.approx(3 / 84, abs=1e-3)


def test_style_summary_from_a_hand_written_profile() -> None:
    profile = {
        "summary": {"words": 900, "reliable": True},
        "speaking_rate_wpm_overall": 182.4,
        "speaking_rate_label": "fast",
        "fillers": [{"text": "you know", "per_minute": 4.1}, {"text": "um", "per_minute": 0.3}],
        "formality": {"label": "casual", "score": 0.2},
        "selling": {"approach": ["consultative", "unknown-label"]},
        "sign_off": {"text": "see you next time"},
    }
    assert style_summary(profile) == [
        "Speaks fast (182 wpm)",
        "Often says 'you know' (4.1/min)",
        "Signs off with 'see you next time'",
        "Casual, conversational language (formality 0.20)",
        "Asks the customer questions",
    ]
    assert style_summary({"fillers": "edited by hand", "selling": None, "tone": 3}) == []


def test_librivox_literary_text_has_no_catchphrases_or_fillers() -> None:
    folder = EVAL / "speech" / "librivox"
    files = sorted(folder.glob("*.txt"))
    if not files:
        pytest.skip(f"no LibriVox transcripts under {folder}")
    segments, t = [], 0.0
    for f in files:
        text = f.read_text(encoding="utf-8").strip()
        s = seg(t, text, word=0.3, gap=0.06)
        segments.append(s)
        t = s.end + 0.9
    p = analyse_speech(segments)
    assert p["summary"]["words"] == sum(len(f.read_text(encoding="utf-8").split()) for f in files)
    assert p["catchphrases"] == []
    assert p["filler_rate_per_minute"] <= 0.5
    assert p["formality"]["label"] == "formal"
    assert p["greeting"] is None and p["sign_off"] is None and p["selling"]["approach"] == []
    assert p["summary"]["sentence_boundaries"] == "pauses"


def test_an_hour_of_speech_is_fast() -> None:
    lines = SELLER * 40  # ~6,400 words
    segments = talk(lines) + talk(lines, start=10_000.0)
    assert sum(len(s.words) for s in segments) > 10_000
    t0 = time.perf_counter()
    p = analyse_speech(segments)
    assert time.perf_counter() - t0 < 2.0
    assert p["catchphrases"][0]["text"] == "trust me you're gonna love it"
    assert by_text(p["fillers"])["um"]["count"] == 160
