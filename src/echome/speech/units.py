"""Units after a number ("2.5 kg", "15.6\"", "2700-6500 K", "10-20 %", "-5 °C", "30 x 40 cm") said as
words. A symbol is a unit only right after a number, and "K" is kelvin only for a colour
temperature (1000-12000 K): "4K" stays a code."""

from __future__ import annotations

import re

from echome.speech.numbers import BEFORE, NUMBER, WORDS, Parsed, parse, say

# symbol: "one|many" in English. American spellings: the local voice and Whisper's are American.
EN = {
    "mm": "millimeter|millimeters", "cm": "centimeter|centimeters", "m": "meter|meters",
    "km": "kilometer|kilometers", "in": "inch|inches", "inch": "inch|inches", "inches": "inch|inches",
    '"': "inch|inches", "″": "inch|inches", "ft": "foot|feet", "kg": "kilogram|kilograms",
    "g": "gram|grams", "mg": "milligram|milligrams", "lb": "pound|pounds", "lbs": "pound|pounds",
    "oz": "ounce|ounces", "ml": "milliliter|milliliters", "l": "liter|liters",
    "W": "watt|watts", "kW": "kilowatt|kilowatts", "V": "volt|volts", "mAh": "milliamp hour|milliamp hours",
    "Wh": "watt hour|watt hours", "kWh": "kilowatt hour|kilowatt hours", "MB": "megabyte|megabytes",
    "GB": "gigabyte|gigabytes", "TB": "terabyte|terabytes", "Hz": "hertz|hertz",
    "kHz": "kilohertz|kilohertz", "MHz": "megahertz|megahertz", "GHz": "gigahertz|gigahertz",
    "fps": "frame per second|frames per second", "K": "kelvin|kelvin",
    "°C": "degree Celsius|degrees Celsius", "°F": "degree Fahrenheit|degrees Fahrenheit",
    "°": "degree|degrees", "mph": "mile per hour|miles per hour",
    "km/h": "kilometer per hour|kilometers per hour", "dB": "decibel|decibels",
    "min": "minute|minutes", "hrs": "hour|hours", "hr": "hour|hours", "h": "hour|hours",
}  # fmt: skip
# The metric units in the other languages; a unit missing here keeps its symbol.
OTHER = {
    "de": {"mm": "Millimeter|Millimeter", "cm": "Zentimeter|Zentimeter", "m": "Meter|Meter",
           "km": "Kilometer|Kilometer", "kg": "Kilogramm|Kilogramm", "g": "Gramm|Gramm",
           "ml": "Milliliter|Milliliter", "l": "Liter|Liter", "W": "Watt|Watt", "V": "Volt|Volt",
           "K": "Kelvin|Kelvin", "°C": "Grad Celsius|Grad Celsius", "h": "Stunde|Stunden"},
    "fr": {"mm": "millimètre|millimètres", "cm": "centimètre|centimètres", "m": "mètre|mètres",
           "km": "kilomètre|kilomètres", "kg": "kilogramme|kilogrammes", "g": "gramme|grammes",
           "ml": "millilitre|millilitres", "l": "litre|litres", "W": "watt|watts", "V": "volt|volts",
           "K": "kelvin|kelvins", "°C": "degré Celsius|degrés Celsius", "h": "heure|heures"},
    "es": {"mm": "milímetro|milímetros", "cm": "centímetro|centímetros", "m": "metro|metros",
           "km": "kilómetro|kilómetros", "kg": "kilogramo|kilogramos", "g": "gramo|gramos",
           "ml": "mililitro|mililitros", "l": "litro|litros", "W": "vatio|vatios", "V": "voltio|voltios",
           "K": "kelvin|kelvin", "°C": "grado Celsius|grados Celsius", "h": "hora|horas"},
    "it": {"mm": "millimetro|millimetri", "cm": "centimetro|centimetri", "m": "metro|metri",
           "km": "chilometro|chilometri", "kg": "chilogrammo|chilogrammi", "g": "grammo|grammi",
           "ml": "millilitro|millilitri", "l": "litro|litri", "W": "watt|watt", "V": "volt|volt",
           "K": "kelvin|kelvin", "°C": "grado Celsius|gradi Celsius", "h": "ora|ore"},
    "nl": {"mm": "millimeter|millimeter", "cm": "centimeter|centimeter", "m": "meter|meter",
           "km": "kilometer|kilometer", "kg": "kilogram|kilogram", "g": "gram|gram",
           "ml": "milliliter|milliliter", "l": "liter|liter", "W": "watt|watt", "V": "volt|volt",
           "K": "kelvin|kelvin", "°C": "graad Celsius|graden Celsius", "h": "uur|uur"},
    "pt": {"mm": "milímetro|milímetros", "cm": "centímetro|centímetros", "m": "metro|metros",
           "km": "quilômetro|quilômetros", "kg": "quilograma|quilogramas", "g": "grama|gramas",
           "ml": "mililitro|mililitros", "l": "litro|litros", "W": "watt|watts", "V": "volt|volts",
           "K": "kelvin|kelvin", "°C": "grau Celsius|graus Celsius", "h": "hora|horas"},
}  # fmt: skip
# The other units, in de, fr, es, it, nl, pt order.
_MORE = {
    "kW": ("Kilowatt", "kilowatt|kilowatts", "kilovatio|kilovatios", "kilowatt", "kilowatt",
           "quilowatt|quilowatts"),
    "Wh": ("Wattstunde|Wattstunden", "wattheure|wattheures", "vatio hora|vatios hora", "wattora", "wattuur",
           "watt-hora|watts-hora"),
    "kWh": ("Kilowattstunde|Kilowattstunden", "kilowattheure|kilowattheures",
            "kilovatio hora|kilovatios hora", "chilowattora", "kilowattuur",
            "quilowatt-hora|quilowatts-hora"),
    "mAh": ("Milliamperestunde|Milliamperestunden", "milliampère-heure|milliampères-heure",
            "miliamperio hora|miliamperios hora", "milliampere ora", "milliampère-uur",
            "miliampere-hora|miliamperes-hora"),
    "MB": ("Megabyte", "mégaoctet|mégaoctets", "megabyte|megabytes", "megabyte", "megabyte",
           "megabyte|megabytes"),
    "GB": ("Gigabyte", "gigaoctet|gigaoctets", "gigabyte|gigabytes", "gigabyte", "gigabyte",
           "gigabyte|gigabytes"),
    "TB": ("Terabyte", "téraoctet|téraoctets", "terabyte|terabytes", "terabyte", "terabyte",
           "terabyte|terabytes"),
    "Hz": ("Hertz", "hertz", "hercio|hercios", "hertz", "hertz", "hertz"),
    "kHz": ("Kilohertz", "kilohertz", "kilohercio|kilohercios", "kilohertz", "kilohertz", "quilohertz"),
    "MHz": ("Megahertz", "mégahertz", "megahercio|megahercios", "megahertz", "megahertz", "megahertz"),
    "GHz": ("Gigahertz", "gigahertz", "gigahercio|gigahercios", "gigahertz", "gigahertz", "gigahertz"),
    "fps": ("Bild pro Sekunde|Bilder pro Sekunde", "image par seconde|images par seconde",
            "fotograma por segundo|fotogramas por segundo", "fotogramma al secondo|fotogrammi al secondo",
            "beeld per seconde|beelden per seconde", "quadro por segundo|quadros por segundo"),
    "km/h": ("Kilometer pro Stunde", "kilomètre par heure|kilomètres par heure",
             "kilómetro por hora|kilómetros por hora", "chilometro orario|chilometri orari",
             "kilometer per uur", "quilômetro por hora|quilômetros por hora"),
    "mph": ("Meile pro Stunde|Meilen pro Stunde", "mille par heure|milles par heure",
            "milla por hora|millas por hora", "miglio orario|miglia orarie", "mijl per uur",
            "milha por hora|milhas por hora"),
    '"': ("Zoll", "pouce|pouces", "pulgada|pulgadas", "pollice|pollici", "inch", "polegada|polegadas"),
    "lb": ("Pfund", "livre|livres", "libra|libras", "libbra|libbre", "pond", "libra|libras"),
    "oz": ("Unze|Unzen", "once|onces", "onza|onzas", "oncia|once", "ons", "onça|onças"),
    "ft": ("Fuß", "pied|pieds", "pie|pies", "piede|piedi", "voet", "pé|pés"),
    "mg": ("Milligramm", "milligramme|milligrammes", "miligramo|miligramos", "milligrammo|milligrammi",
           "milligram", "miligrama|miligramas"),
    "°F": ("Grad Fahrenheit", "degré Fahrenheit|degrés Fahrenheit", "grado Fahrenheit|grados Fahrenheit",
           "grado Fahrenheit|gradi Fahrenheit", "graad Fahrenheit|graden Fahrenheit",
           "grau Fahrenheit|graus Fahrenheit"),
    "°": ("Grad", "degré|degrés", "grado|grados", "grado|gradi", "graad|graden", "grau|graus"),
    "dB": ("Dezibel", "décibel|décibels", "decibelio|decibelios", "decibel", "decibel", "decibel|decibéis"),
    "min": ("Minute|Minuten", "minute|minutes", "minuto|minutos", "minuto|minuti", "minuut|minuten",
            "minuto|minutos"),
}  # fmt: skip
for _unit, _forms in _MORE.items():
    for _lang, _form in zip(("de", "fr", "es", "it", "nl", "pt"), _forms, strict=True):
        OTHER[_lang][_unit] = _form if "|" in _form else f"{_form}|{_form}"
for _unit, _same in (("″", '"'), ("lbs", "lb"), ("hr", "h"), ("hrs", "h")):
    for _units in OTHER.values():
        _units[_unit] = _units[_same]
ALIASES = {"L": "l", "mL": "ml", "Kg": "kg", "KG": "kg", "Lbs": "lbs", "LBS": "lbs", "kph": "km/h",
           "ºC": "°C", "ºF": "°F", "° C": "°C", "° F": "°F", "Inch": "inch", "FPS": "fps"}  # fmt: skip
_SYMBOLS = sorted({*EN, *ALIASES}, key=len, reverse=True)
# A word-like unit must end the word ("5 min", not "5 minutes"); "in" only ends a phrase ("15 in."),
# never "3 in stock".
_INCH_WORD = r"(?:\.(?=\s+[a-z0-9])|(?=[.,;:!?)]|\s*$))"
_UNIT = "|".join(
    re.escape(s) + (_INCH_WORD if s == "in" else r"(?![\w/°])" if s[-1].isalnum() else "") for s in _SYMBOLS
)
_NUM = rf"(?P<minus>[-\u2212]\s?)?(?P<num>{NUMBER})"
_RANGE = rf"(?:\s?(?:[-\u2013\u2014]|to)\s?(?P<num2>{NUMBER}))?"
UNIT = re.compile(rf"{BEFORE}{_NUM}{_RANGE}(?P<space>\s?)(?P<unit>{_UNIT}|%)")
DIMENSION = re.compile(rf"{BEFORE}(?P<a>{NUMBER})\s?[x\u00d7]\s?(?=\d)")


def unit_words(unit: str, lang: str, *, one: bool) -> str | None:
    unit = ALIASES.get(unit, unit)
    forms = EN.get(unit) if lang == "en" else OTHER[lang].get(unit)
    if forms is None:
        return None
    single, plural = forms.split("|")
    return single if one else plural


def _kelvin(p: Parsed) -> bool:
    return not p.fraction and 1000 <= p.whole <= 12000


def say_units(text: str, lang: str) -> str:
    words = WORDS[lang]
    # "30 x 40 x 10 cm" → "30 by 40 by 10 cm"
    text = DIMENSION.sub(lambda m: f"{m.group('a')} {words.by} ", text)

    def spoken(m: re.Match[str]) -> str:
        unit, minus = m.group("unit").rstrip("."), m.group("minus")  # "15 in. wide"
        if minus and not unit.startswith(("°", "º")):  # a minus is a sign only for temperatures
            return m.group(0)
        if unit in ('"', "″") and m.group("space"):
            return m.group(0)  # a closing quote, not inches
        first = parse(m.group("num"), lang)
        second = parse(m.group("num2"), lang) if m.group("num2") else None
        if unit == "K" and not (_kelvin(first) and (second is None or _kelvin(second))):
            return m.group(0)
        last = second or first
        name = words.percent if unit == "%" else unit_words(unit, lang, one=last.is_one and not second)
        if name is None:
            name = unit  # a unit we cannot name in this language: its symbol, the number still said
        said = say(first, lang)
        if minus:
            said = f"{words.minus} {said}"
        if second:
            said = f"{said} {words.to} {say(second, lang)}"
        return f"{said} {name}"

    return UNIT.sub(spoken, text)
