"""Prices and units said by the real local voice (Piper) and heard back by the real recogniser
(Whisper base): the numbers and currencies a customer hears are the ones in the reply."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from spoken_values import Value, missing, values

from echome.providers.stt_whisper import FasterWhisperSTT
from echome.speech import speakable
from echome.voice.local import LocalVoiceTTS

# (written reply, what a listener must take away). "$50." at a sentence end is what the stock voice
# got wrong unaided: it said "dollar fifty" and Whisper wrote "$1.50".
SENTENCES: list[tuple[str, list[Value]]] = [
    ("The price is $50.", [(Decimal(50), "USD")]),
    ("The lamp is $19.90 and ships today.", [(Decimal("19.90"), "USD")]),
    ("The sofa costs 1.299,00 € with delivery.", [(Decimal(1299), "EUR")]),
    ("It weighs 2,5 kg and the battery holds 5000 mAh.", [(Decimal("2.5"), None), (Decimal(5000), None)]),
    ("The bulb goes from 2700-6500 K.", [(Decimal(2700), None), (Decimal(6500), None)]),
    (
        "It is CHF 49.90 in Zurich, 10\u201320% off.",
        [(Decimal("49.90"), "CHF"), (Decimal(10), None), (Decimal(20), None)],
    ),
    # a teen said as written comes back as its "-ty": "414 GB" as "440GB"
    ("The card holds 414 GB.", [(Decimal(414), None)]),
    ("It is ₹61 in Delhi.", [(Decimal(61), "INR")]),  # a bare "rupees" comes back as "rubies"
]

# What Whisper writes for a number or price it heard right, and the values a listener took away.
TRANSCRIPTS: list[tuple[str, list[Value]]] = [
    ("It is $19.90 or 19.90 dollars.", [(Decimal("19.90"), "USD"), (Decimal("19.90"), "USD")]),
    ("It is 32 euros 50.", [(Decimal("32.50"), "EUR")]),  # a sentence's full stop after the cents
    ("It is 61 Indian Rupees.", [(Decimal(61), "INR")]),
    ("It is 273 lbs and 90 pins.", [(Decimal("273.90"), "GBP")]),  # "pounds", Whisper's spelling
    ("It is 609 Swiss Franks.", [(Decimal(609), "CHF")]),
    # one number in two pieces: "two thousand eight hundred six", "seven hundred four dollars"
    (
        "It holds 2800 6 mAh, 2,200 18 W or 2900-six.",
        [(Decimal(2806), None), (Decimal(2218), None), (Decimal(2906), None)],
    ),
    ("It is $700 $4 or 2500 £30.", [(Decimal(704), "USD"), (Decimal(2530), "GBP")]),
    ("It is 2500 8.05 euros or $1,700, $2.54.", [(Decimal("2508.05"), "EUR"), (Decimal("1702.54"), "USD")]),
    ("Sizes 2,800, 8 and 12.", [(Decimal(2800), None), (Decimal(8), None), (Decimal(12), None)]),
    # "four" and "two" spelled as what they sound like, where only a digit can be
    (
        "It holds 290 for gigabytes, at $700 for dollars or 2650 to Indian Rupees.",
        [(Decimal(294), None), (Decimal(704), "USD"), (Decimal(2652), "INR")],
    ),
    (
        "It is $50 for the lamp, $20 to $30.",
        [(Decimal(50), "USD"), (Decimal(20), "USD"), (Decimal(30), "USD")],
    ),
    # ranges stay two numbers
    (
        "Save 10-20% on $20-25 or 3000-4000 K.",
        [
            (Decimal(10), None),
            (Decimal(20), None),
            (Decimal(20), "USD"),
            (Decimal(25), "USD"),
            (Decimal(3000), None),
            (Decimal(4000), None),
        ],
    ),
]


@pytest.mark.parametrize(("transcript", "expected"), TRANSCRIPTS, ids=[t for t, _ in TRANSCRIPTS])
def test_the_values_a_listener_took_away_are_read_from_whispers_spelling(
    transcript: str, expected: list[Value]
) -> None:
    assert values(transcript) == expected


@pytest.fixture(scope="module")
def voice_and_ears(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalVoiceTTS, FasterWhisperSTT]:
    return LocalVoiceTTS(), FasterWhisperSTT("base", cache_dir=tmp_path_factory.mktemp("whisper"))


def heard(text: str, voice_and_ears: tuple[LocalVoiceTTS, FasterWhisperSTT], wav: Path) -> str:
    tts, stt = voice_and_ears
    wav.write_bytes(tts.synthesize(text, voice_id="piper:joe").audio)
    return stt.transcribe(str(wav), language="en").text


@pytest.mark.slow
@pytest.mark.parametrize(("written", "expected"), SENTENCES, ids=[s for s, _ in SENTENCES])
def test_numbers_and_currencies_come_back_from_the_voice(
    written: str,
    expected: list[Value],
    voice_and_ears: tuple[LocalVoiceTTS, FasterWhisperSTT],
    tmp_path: Path,
) -> None:
    said = speakable(written)
    # Piper samples noise in every rendering, and now and then Whisper base mishears one word of
    # one (seen once in CI-sized runs: "sixty one Indian rupees" heard as "61ndium Rupees"). What
    # is tested is that the spoken form can be heard back: a second rendering gets its chance,
    # while a wrong spoken form fails both.
    transcripts = [heard(said, voice_and_ears, tmp_path / "reply.wav")]
    if missing(expected, transcripts[0]):
        transcripts.append(heard(said, voice_and_ears, tmp_path / "again.wav"))
    assert missing(expected, transcripts[-1]) == [], (said, transcripts)
