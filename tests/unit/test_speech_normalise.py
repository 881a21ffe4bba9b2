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
    ("Only $19.90 today.", "Only nine-teen dollars and ninety cents today."),
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
    ("It is ₹499 in Delhi.", "It is four hundred ninety nine Indian rupees in Delhi."),
    (
        "It is A$35 or C$19.95.",
        "It is thirty five dollars Australian or nine-teen dollars and ninety five cents Canadian.",
    ),
    ("It is CHF 49.90.", "It is forty nine Swiss francs and ninety centimes."),
    (
        "From $10-20 or $9.99-$19.99.",
        "From ten to twenty dollars or nine dollars and ninety nine cents"
        " to nine-teen dollars and ninety nine cents.",
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
        "A fif-teen point six inches screen, fif-teen inches wide, 6 feet tall.",
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
    ("Top speed 25 km/h or 15 mph.", "Top speed 25 kilometers per hour or fif-teen miles per hour."),
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
    ("Only 2.5% fat, 15% off.", "Only two point five percent fat, fif-teen percent off."),
    # dates, times, ordinals
    ("Order by 2026-12-01.", "Order by December first, twenty twenty six."),
    ("Ships 1 Dec 2026.", "Ships the first of December, twenty twenty six."),
    ("Ships Dec 1, 2026.", "Ships December first, twenty twenty six."),
    ("On the 3rd of March.", "On the third of March."),
    ("Open at 9:30, closed at 5pm.", "Open at nine thirty, closed at five p m."),
    ("Open 9:00 to 12:00.", "Open nine o'clock to twelve o'clock."),
    ("From 9:05 a.m. to 17:00.", "From nine oh five a m to seven-teen hundred."),
    ("Call at 5 p.m. Thanks!", "Call at five p m. Thanks!"),
    ("The 1st, 2nd and 21st.", "The first, second and twenty first."),
    ("Open 10:00-18:00 or 9am-5pm.", "Open ten o'clock to eigh-teen hundred or nine a m to five p m."),
    # the teens stressed on "-teen", even where other whole numbers stay digits
    (
        "It holds 414 GB and 2806 mAh, 13 in all.",
        "It holds four hundred four-teen gigabytes and 2806 milliamp hours, thir-teen in all.",
    ),
    # model codes and SKUs: letters spelled where they are not a word, digits as a number
    ("The TR-200 and the X2.", "The T R 200 and the X 2."),
    ("The WH-1000XM4 is great.", "The W H 1000 X M 4 is great."),
    ("An iPhone15 or an RTX4090.", "An iPhone fif-teen or an R T X 4090."),
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

# Each catalog language: its decimal comma and thousands mark, its price idiom, units, percentages
# and times. Replies are in the customer's language and ElevenLabs says them.
EACH_LANGUAGE = [
    (
        "de",
        "Er kostet 698,99 €, vorher 1.500 €.",
        "Er kostet sechshundertachtundneunzig Euro neunundneunzig, vorher eintausendfünfhundert Euro.",
    ),
    (
        "de",
        "Nur 0,99 € oder 101,00 €, 1,05 €.",
        "Nur neunundneunzig Cent oder einhundertein Euro, ein Euro fünf.",
    ),
    (
        "de",
        '5000 mAh, 120 fps, 15,6", 12 lbs und 15 % Rabatt.',
        "5000 Milliamperestunden, 120 Bilder pro Sekunde, fünfzehn Komma sechs Zoll,"
        " 12 Pfund und 15 Prozent Rabatt.",
    ),
    ("de", "Geöffnet um 1:00 und 17:30.", "Geöffnet um ein Uhr und siebzehn Uhr dreißig."),
    # each currency named in the language, and its gender: "eine Krone", "une livre", "doscientas libras"
    (
        "de",
        "Nur CHF 49.90, 1 SEK oder 21 SEK.",
        "Nur neunundvierzig Franken neunzig, eine schwedische Krone oder einundzwanzig schwedische Kronen.",
    ),
    ("fr", "Soit 1 £, 21 £ ou 200 CHF.", "Soit une livre, vingt et une livres ou deux cents francs suisses."),
    ("es", "Son 1 £, 21 £ o 200 £.", "Son una libra, veintiuna libras o doscientas libras."),
    ("it", "Costa 1 £ o 1 CHF.", "Costa una sterlina o un franco svizzero."),
    ("nl", "Het kost 21 CHF of 2 SEK.", "Het kost eenentwintig Zwitserse frank of twee Zweedse kronen."),
    ("pt", "Custa 2 £ ou 200 £.", "Custa duas libras ou duzentas libras."),
    (
        "fr",
        "Il coûte 698,99 €, avant 1 500 €.",
        "Il coûte six cent quatre-vingt-dix-huit euros et quatre-vingt-dix-neuf centimes,"
        " avant mille cinq cents euros.",
    ),
    (
        "fr",
        "Batterie 5000 mAh, 2,5 kg, 120 fps, 15 % de remise.",
        "Batterie 5000 milliampères-heure, deux virgule cinq kilogrammes, 120 images par seconde,"
        " 15 pour cent de remise.",
    ),
    (
        "fr",
        "Ouvert de 9h à 17h30, 1h15.",
        "Ouvert de neuf heures à dix-sept heures trente, une heure quinze.",
    ),
    (
        "es",
        "Cuesta 698,99 €, antes 1.500 €, o 21 €.",
        "Cuesta seiscientos noventa y ocho euros con noventa y nueve céntimos, antes mil quinientos euros,"
        " o veintiún euros.",
    ),
    (
        "es",
        "Batería de 5000 mAh, 2,5 kg, 120 fps, 15 % de descuento.",
        "Batería de 5000 miliamperios hora, dos coma cinco kilogramos, 120 fotogramas por segundo,"
        " 15 por ciento de descuento.",
    ),
    ("es", "Abrimos a las 9:30 y a la 1:15.", "Abrimos a las nueve y treinta y a la una y quince."),
    (
        "it",
        "Costa 698,99 €, prima 1.500 €.",
        "Costa seicentonovantotto euro e novantanove centesimi, prima millecinquecento euro.",
    ),
    (
        "it",
        "Batteria da 5000 mAh, 2,5 kg, 120 fps, sconto del 15%.",
        "Batteria da 5000 milliampere ora, due virgola cinque chilogrammi, 120 fotogrammi al secondo,"
        " sconto del 15 per cento.",
    ),
    (
        "nl",
        "Het kost € 698,99, eerst € 1.500.",
        "Het kost zeshonderdachtennegentig euro en negenennegentig cent, eerst duizendvijfhonderd euro.",
    ),
    (
        "nl",
        "Accu van 5000 mAh, 2,5 kg, 120 fps, 15% korting.",
        "Accu van 5000 milliampère-uur, twee komma vijf kilogram, 120 beelden per seconde,"
        " 15 procent korting.",
    ),
    (
        "pt",
        "Custa R$ 698,99, antes R$ 1.500,00.",
        "Custa seiscentos e noventa e oito reais e noventa e nove centavos, antes mil e quinhentos reais.",
    ),
    (
        "pt",
        "Bateria de 5000 mAh, 2,5 kg, 120 fps, 15% de desconto, às 2:00.",
        "Bateria de 5000 miliamperes-hora, dois vírgula cinco quilogramas, 120 quadros por segundo,"
        " 15 por cento de desconto, às duas.",
    ),
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


@pytest.mark.parametrize(("language", "written", "spoken"), EACH_LANGUAGE)
def test_each_catalog_language_says_prices_units_percentages_and_times_its_own_way(
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
    [("en", w) for w, _ in ENGLISH + LINKS] + [(lang, w) for lang, w, _ in OTHER_LANGUAGES + EACH_LANGUAGE],
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


def test_a_run_of_thousands_of_digits_is_read_digit_by_digit_not_parsed() -> None:
    said = speakable("code " + "7" * 5000)
    assert said.startswith("code seven seven") or said.startswith("code 7 7")
