"""Prices and units said by the real local voice (Piper) and heard back by the real recogniser
(Whisper base): the numbers and currencies a customer hears are the ones in the reply."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from spoken_values import Value, missing

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
]


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
    transcript = heard(said, voice_and_ears, tmp_path / "reply.wav")
    assert missing(expected, transcript) == [], (said, transcript)
