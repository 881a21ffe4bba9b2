"""What a voice is given to say: `speakable` on prices, units, dates, codes and links, in the catalog
languages; and the Speaker giving every voice the spoken form while the shown text stays as written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

from echome.db.models import Base, Persona, User
from echome.media.audio import wav_bytes
from echome.providers.base import Speech
from echome.providers.fakes import FixedModels
from echome.speech import speakable
from echome.storage.local import LocalStorage
from echome.voice.speaker import Speaker, SpeakError

ENGLISH = [
    # prices: symbol or ISO code, before or after, any catalog's number format
    ("The price is $50.", "The price is fifty dollars."),
    ("Only $19.90 today.", "Only nineteen dollars and ninety cents today."),
    ("It is $12.05 or 3,07 €.", "It is twelve point oh five dollars or three point oh seven euros."),
    ("It is $0.99 or $1.", "It is ninety nine cents or one dollar."),
    ("Now $1,299.99!", "Now one thousand two hundred ninety nine dollars and ninety nine cents!"),
    ("The bag is €149.00.", "The bag is one hundred forty nine euros."),
    ("The bag is 149,00 €.", "The bag is one hundred forty nine euros."),
    ("The sofa is 1.299,00 €.", "The sofa is one thousand two hundred ninety nine euros."),
    ("Just 149,- € here.", "Just one hundred forty nine euros here."),
    ("It is € 12,50.", "It is twelve euros and fifty cents."),
    ("That is USD 12 a month.", "That is twelve dollars a month."),
    ("That is 12.00 USD a month.", "That is twelve dollars a month."),
    ("That is EUR 35 or 35 EUR.", "That is thirty five euros or thirty five euros."),
    (
        "The TV is £1,299.99.",
        "The TV is one thousand two hundred ninety nine pounds and ninety nine pence.",
    ),
    ("It is ¥1,500 in Tokyo.", "It is one thousand five hundred Japanese yen in Tokyo."),
    ("It is ₹499 in Delhi.", "It is four hundred ninety nine rupees in Delhi."),
    (
        "It is A$35 or C$19.95.",
        "It is thirty five dollars Australian or nineteen dollars Canadian and ninety five cents.",
    ),
    ("It is CHF 49.90.", "It is forty nine Swiss francs and ninety centimes."),
    (
        "From $10-20 or $9.99-$19.99.",
        "From ten to twenty dollars or nine dollars and ninety nine cents"
        " to nineteen dollars and ninety nine cents.",
    ),
    (
        "Raised $5k, then $2.5m.",
        "Raised five thousand dollars, then two million five hundred thousand dollars.",
    ),
    # decimals and units after numbers
    ("It weighs 2.5 kg.", "It weighs two point five kilograms."),
    (
        "It weighs 1 kg, 2,5 kg or 2,500 kg.",
        "It weighs 1 kilogram, two point five kilograms or 2500 kilograms.",
    ),
    ("It is 30 x 40 x 10 cm.", "It is 30 by 40 by 10 centimeters."),
    (
        'A 15.6" screen, 15 in. wide, 6 ft tall.',
        "A fifteen point six inches screen, 15 inches wide, 6 feet tall.",
    ),
    ("We have 3 in stock.", "We have 3 in stock."),
    ("It holds 1.5 l or 500 ml.", "It holds one point five liters or 500 milliliters."),
    ("It is 12 lbs, 8 oz, 250 g.", "It is 12 pounds, 8 ounces, 250 grams."),
    ("Rated 60W, 1.5 kW, 12V.", "Rated 60 watts, one point five kilowatts, 12 volts."),
    ("A 5000 mAh battery, 100 Wh.", "A 5000 milliamp hours battery, 100 watt hours."),
    ("With 128GB, 2 TB or 512 MB.", "With 128 gigabytes, 2 terabytes or 512 megabytes."),
    ("At 50 Hz, 44.1 kHz, 120 fps.", "At 50 hertz, forty four point one kilohertz, 120 frames per second."),
    (
        "From -5 °C to 40°C or 100°F.",
        "From minus 5 degrees Celsius to 40 degrees Celsius or 100 degrees Fahrenheit.",
    ),
    ("Top speed 25 km/h or 15 mph.", "Top speed 25 kilometers per hour or 15 miles per hour."),
    (
        "It is 2 mm thick and 3 m long, 5 km away.",
        "It is 2 millimeters thick and 3 meters long, 5 kilometers away.",
    ),
    # kelvin only as a colour temperature; "4K" is a code
    ("A 2700K bulb.", "A 2700 kelvin bulb."),
    ("From 2700-6500 K.", "From 2700 to 6500 kelvin."),
    ("A 4K screen.", "A 4 K screen."),
    # ranges and percentages
    ("Save 10\u201320% now.", "Save 10 to 20 percent now."),
    ("Only 2.5% fat, 15% off.", "Only two point five percent fat, 15 percent off."),
    # dates, times, ordinals
    ("Order by 2026-12-01.", "Order by December first, twenty twenty six."),
    ("Ships 1 Dec 2026.", "Ships the first of December, twenty twenty six."),
    ("Ships Dec 1, 2026.", "Ships December first, twenty twenty six."),
    ("On the 3rd of March.", "On the third of March."),
    ("Open at 9:30, closed at 5pm.", "Open at nine thirty, closed at five p m."),
    ("Open 9:00 to 12:00.", "Open nine o'clock to twelve o'clock."),
    ("From 9:05 a.m. to 17:00.", "From nine oh five a m to seventeen hundred."),
    ("Call at 5 p.m. Thanks!", "Call at five p m. Thanks!"),
    ("The 1st, 2nd and 21st.", "The first, second and twenty first."),
    ("Open 10:00-18:00 or 9am-5pm.", "Open ten o'clock to eighteen hundred or nine a m to five p m."),
    # model codes and SKUs: letters spelled where they are not a word, digits as a number
    ("The TR-200 and the X2.", "The T R 200 and the X 2."),
    ("The WH-1000XM4 is great.", "The W H 1000 X M 4 is great."),
    ("An iPhone15 or an RTX4090.", "An iPhone 15 or an R T X 4090."),
    ("SKU-483920 is the Pro X5.", "S K U 4 8 3 9 2 0 is the Pro X 5."),
    ("The 2-pack is 3-in-1, with USB and mp3.", "The 2 pack is 3 in 1, with USB and M P 3."),
    # digits a voice reads right stay as they are
    ("We sold 2026 of them, 1,299 reviews.", "We sold 2026 of them, 1299 reviews."),
    ("Version 1.2.3 at 10.0.0.1.", "Version 1.2.3 at 10.0.0.1."),
    ("It ships today.It is great.", "It ships today.It is great."),  # a missing space, not a domain
]

OTHER_LANGUAGES = [
    (
        "de",
        "Preis: 1.299,00 € und 2,5 kg.",
        "Preis: eintausendzweihundertneunundneunzig Euro und zwei Komma fünf Kilogramm.",
    ),
    ("de", "Nur 1,00 € und 10\u201320% Rabatt.", "Nur ein Euro und 10 bis 20 Prozent Rabatt."),
    ("de", "Lieferung am 2026-12-01 um 9:30.", "Lieferung am 1. Dezember 2026 um neun Uhr dreißig."),
    ("de", "Er wiegt 2.500 kg.", "Er wiegt 2500 Kilogramm."),
    (
        "fr",
        "Le prix est 149,00 € pour 2,5 kg.",
        "Le prix est cent quarante-neuf euros pour deux virgule cinq kilogrammes.",
    ),
    ("fr", "Le 1er décembre, 15 %.", "Le premier décembre, 15 pour cent."),
    ("es", "Cuesta 19,90 € y el 2º piso.", "Cuesta diecinueve euros con noventa céntimos y el segundo piso."),
    ("es", "Cuesta 1 € el 2026-03-05.", "Cuesta un euro el 5 de marzo de 2026."),
    (
        "it",
        "Costa 1.299,00 € e pesa 1,5 kg.",
        "Costa milleduecentonovantanove euro e pesa uno virgola cinque chilogrammi.",
    ),
    ("nl", "Het kost € 12,50, de 3e keer.", "Het kost twaalf euro en vijftig cent, de derde keer."),
    ("pt", "Custa R$ 49,90 e 1 kg.", "Custa quarenta e nove reais e noventa centavos e 1 quilograma."),
    ("pt-BR", "Custa 10,5 kg, o 1º lugar.", "Custa dez vírgula cinco quilogramas, o primeiro lugar."),
]

LINKS = [
    ("See https://shop.example.com/p/123", ""),
    ("Visit https://shop.example.com/p/123 for details. It ships today.", "It ships today."),
    ("The blue one is in stock, photos at https://x.io/a?b=1 too.", "The blue one is in stock, photos too."),
    ("E-mail hello@shop.com or call us any time.", "Call us any time."),
    ("Write to us at help@shop.example.com and we reply fast.", "Write to us and we reply fast."),
    ("Details on www.example.com/lamp.", ""),
    (
        "**Great** pick! The _blue_ one is [here](https://x.com) and `in stock`.",
        "Great pick! The blue one is here and in stock.",
    ),
    (
        "# Sizes\n- Small: 2.5 kg\n- Large: 4 kg\n![photo](https://x.com/a.png)",
        "Sizes. Small: two point five kilograms. Large: 4 kilograms",
    ),
]


@pytest.mark.parametrize(("written", "spoken"), ENGLISH)
def test_english_is_said_right(written: str, spoken: str) -> None:
    assert speakable(written) == spoken


@pytest.mark.parametrize(("language", "written", "spoken"), OTHER_LANGUAGES)
def test_other_catalog_languages_use_their_own_number_formats(
    language: str, written: str, spoken: str
) -> None:
    assert speakable(written, language=language) == spoken


@pytest.mark.parametrize(("written", "spoken"), LINKS)
def test_links_emails_and_markdown_are_never_read_out(written: str, spoken: str) -> None:
    said = speakable(written)
    assert said == spoken
    assert "http" not in said and "@" not in said and "www" not in said and "*" not in said


def test_the_shops_own_currency_says_which_dollar_a_bare_sign_is() -> None:
    assert speakable("Only $35.", default_currency="AUD") == "Only thirty five dollars."
    assert speakable("Only A$35.", default_currency="AUD") == "Only thirty five dollars."
    assert speakable("Only A$35.", default_currency="USD") == "Only thirty five dollars Australian."
    assert speakable("Solo $350.", default_currency="MXN") == "Solo three hundred fifty pesos."
    assert speakable("It is ¥35.", default_currency="CNY") == "It is thirty five yuan."
    assert speakable("It is 99 kr.", default_currency="NOK") == "It is ninety nine Norwegian kroner."


def test_a_language_we_cannot_say_numbers_in_only_loses_links() -> None:
    assert speakable("価格は$50です。https://x.com/a を見て", language="ja") == "価格は$50です。"


@pytest.mark.parametrize(
    ("language", "written"),
    [("en", w) for w, _ in ENGLISH + LINKS] + [(lang, w) for lang, w, _ in OTHER_LANGUAGES],
)
def test_saying_it_twice_changes_nothing(language: str, written: str) -> None:
    once = speakable(written, language=language)
    assert speakable(once, language=language) == once


# -- the Speaker gives every voice the spoken form -------------------------------------------------
class RecordingTTS:
    """A TextToSpeech that keeps what it was given and bills one character per character."""

    name = "recording"

    def __init__(self) -> None:
        self.given: list[str] = []

    def synthesize(self, text: str, *, voice_id: str, settings: dict[str, Any] | None = None) -> Speech:
        self.given.append(text)
        silence = wav_bytes(np.zeros(2205, np.float32), 22050)
        return Speech(audio=silence, format="wav", sample_rate=22050, characters=len(text))


@pytest.fixture
def speaker(tmp_path: Path) -> Iterator[tuple[Speaker, RecordingTTS, str, str]]:
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    Base.metadata.create_all(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    with sessions.begin() as db:
        user = User(email="seller@example.com")
        db.add(user)
        db.flush()
        persona = Persona(user_id=user.id, name="Ana", voice_provider="elevenlabs", voice_id="v1")
        db.add(persona)
        db.flush()
        ids = user.id, persona.id
    tts = RecordingTTS()
    yield Speaker(sessions, FixedModels(tts=tts), LocalStorage(tmp_path), default_currency="EUR"), tts, *ids
    engine.dispose()


def test_the_voice_is_given_the_spoken_form_and_bills_for_it(speaker: Any) -> None:
    sp, tts, user_id, persona_id = speaker
    reply = "The TR-200 is 149,00 € and weighs 2.5 kg. Order at https://shop.example.com/tr-200"
    saved = sp.save_reply(persona_id=persona_id, user_id=user_id, text=reply, message_id="m1")
    said = "The T R 200 is one hundred forty nine euros and weighs two point five kilograms."
    assert tts.given == [said]
    assert saved.characters == len(said)  # what the provider billed, not the shown text's length
    assert saved.audio.startswith(b"OggS") and "normalise" in saved.timings


def test_a_reply_that_is_only_a_link_is_not_spoken(speaker: Any) -> None:
    sp, tts, user_id, persona_id = speaker
    with pytest.raises(SpeakError, match="nothing to speak"):
        sp.speak(persona_id=persona_id, user_id=user_id, text="See https://shop.example.com/tr-200")
    assert tts.given == []
