"""Currency names per language: (one, many, one subunit, many subunits), and which are feminine.

English names were chosen by what comes back through the local voice and Whisper (see money.py).
The other languages take num2words' own names where it has them, and these where it has none or
drops the country ("dólares" for Australian dollars).
"""

from __future__ import annotations

from num2words import CONVERTER_CLASSES

Names = tuple[str, str, str | None, str | None]

# No subunit for currencies priced in whole units.
EN: dict[str, Names] = {
    "USD": ("dollar", "dollars", "cent", "cents"),
    "EUR": ("euro", "euros", "cent", "cents"),
    "GBP": ("pound", "pounds", "penny", "pence"),
    "JPY": ("Japanese yen", "Japanese yen", None, None),  # a bare "yen" is heard as "in"
    "CNY": ("yuan", "yuan", None, None),
    "KRW": ("won", "won", None, None),
    "INR": ("Indian rupee", "Indian rupees", "paisa", "paise"),  # a bare "rupees" is heard "rubies"
    "AUD": ("dollar", "dollars", "cent", "cents"),  # + "Australian" after the amount, QUALIFIER
    "CAD": ("dollar", "dollars", "cent", "cents"),
    "NZD": ("New Zealand dollar", "New Zealand dollars", "cent", "cents"),
    "SGD": ("Singapore dollar", "Singapore dollars", "cent", "cents"),
    "HKD": ("Hong Kong dollar", "Hong Kong dollars", "cent", "cents"),
    "CHF": ("Swiss franc", "Swiss francs", "centime", "centimes"),
    "SEK": ("Swedish krona", "Swedish kronor", None, None),
    "NOK": ("Norwegian krone", "Norwegian kroner", None, None),
    "DKK": ("Danish krone", "Danish kroner", None, None),
    "PLN": ("zloty", "zlotys", "grosz", "groszy"),
    "BRL": ("real", "reais", "centavo", "centavos"),
    "MXN": ("peso", "pesos", "centavo", "centavos"),
}
# English: the country after the whole amount, cents included. "81 Australian dollars" comes back as
# "$81", the country lost; "forty nine dollars Canadian and forty four cents" as "$49 Canadian and
# $0.44"; "forty nine dollars and forty four cents Canadian" as "$49.44 Canadian".
QUALIFIER = {"AUD": "Australian", "CAD": "Canadian"}

# "one|many|subunit|subunits" (no subunit: empty) where num2words has no name or drops the country.
_OTHER = {
    "de": {
        "CHF": "Franken|Franken|Rappen|Rappen", "JPY": "Yen|Yen||",
        "INR": "indische Rupie|indische Rupien|Paisa|Paise",
        "AUD": "australischer Dollar|australische Dollar|Cent|Cent",
        "CAD": "kanadischer Dollar|kanadische Dollar|Cent|Cent", "PLN": "Złoty|Złoty|Groszy|Groszy",
        "SEK": "schwedische Krone|schwedische Kronen||", "NOK": "norwegische Krone|norwegische Kronen||",
        "DKK": "dänische Krone|dänische Kronen||", "BRL": "Real|Reais|Centavo|Centavos",
        "MXN": "mexikanischer Peso|mexikanische Pesos|Centavo|Centavos",
    },
    "fr": {
        "CHF": "franc suisse|francs suisses|centime|centimes", "JPY": "yen|yens||",
        "INR": "roupie indienne|roupies indiennes|paisa|paise",
        "AUD": "dollar australien|dollars australiens|cent|cents",
        "CAD": "dollar canadien|dollars canadiens|cent|cents", "PLN": "zloty|zlotys|grosz|groszy",
        "SEK": "couronne suédoise|couronnes suédoises||", "DKK": "couronne danoise|couronnes danoises||",
        "NOK": "couronne norvégienne|couronnes norvégiennes||", "BRL": "réal|reais|centavo|centavos",
        "MXN": "peso mexicain|pesos mexicains|centavo|centavos",
    },
    "es": {
        "CHF": "franco suizo|francos suizos|céntimo|céntimos", "JPY": "yen|yenes||",
        "INR": "rupia india|rupias indias|paisa|paisas",
        "AUD": "dólar australiano|dólares australianos|centavo|centavos",
        "CAD": "dólar canadiense|dólares canadienses|centavo|centavos",
        "SEK": "corona sueca|coronas suecas||", "NOK": "corona noruega|coronas noruegas||",
        "DKK": "corona danesa|coronas danesas||",
    },
    "it": {
        "CHF": "franco svizzero|franchi svizzeri|centesimo|centesimi", "JPY": "yen|yen||",
        "INR": "rupia indiana|rupie indiane|paisa|paise",
        "AUD": "dollaro australiano|dollari australiani|centesimo|centesimi",
        "CAD": "dollaro canadese|dollari canadesi|centesimo|centesimi", "PLN": "zloty|zloty|grosz|groszy",
        "SEK": "corona svedese|corone svedesi||", "NOK": "corona norvegese|corone norvegesi||",
        "DKK": "corona danese|corone danesi||", "BRL": "real|real|centavo|centavos",
        "MXN": "peso messicano|pesos messicani|centavo|centavos",
    },
    "nl": {
        "CHF": "Zwitserse frank|Zwitserse frank|rappen|rappen", "JPY": "yen|yen||",
        "INR": "Indiase roepie|Indiase roepie|paisa|paise",
        "AUD": "Australische dollar|Australische dollar|cent|cent",
        "CAD": "Canadese dollar|Canadese dollar|cent|cent", "PLN": "zloty|zloty|grosz|groszy",
        "SEK": "Zweedse kroon|Zweedse kronen||", "NOK": "Noorse kroon|Noorse kronen||",
        "DKK": "Deense kroon|Deense kronen||", "BRL": "real|real|centavo|centavos",
        "MXN": "Mexicaanse peso|Mexicaanse peso|centavo|centavos",
    },
    "pt": {
        "CHF": "franco suíço|francos suíços|cêntimo|cêntimos", "JPY": "iene|ienes||",
        "INR": "rupia indiana|rupias indianas|paisa|paisas",
        "AUD": "dólar australiano|dólares australianos|centavo|centavos",
        "CAD": "dólar canadense|dólares canadenses|centavo|centavos", "PLN": "zloty|zlotys|grosz|groszy",
        "SEK": "coroa sueca|coroas suecas||", "NOK": "coroa norueguesa|coroas norueguesas||",
        "DKK": "coroa dinamarquesa|coroas dinamarquesas||",
        "MXN": "peso mexicano|pesos mexicanos|centavo|centavos",
    },
}  # fmt: skip
# Nouns whose numbers agree in the feminine: "une livre", "doscientas libras", "duas libras".
FEMININE = {"livre", "couronne", "roupie", "libra", "corona", "rupia", "sterlina", "coroa", "Krone", "Rupie"}


def names(code: str, lang: str) -> Names:
    """The currency's words in `lang`: ours, else num2words', else the English ones."""
    if lang != "en" and code in _OTHER.get(lang, {}):
        one, many, sub1, subn = _OTHER[lang][code].split("|")
        return one, many, sub1 or None, subn or None
    forms = getattr(CONVERTER_CLASSES[lang], "CURRENCY_FORMS", {}).get(code) if lang != "en" else None
    english = EN[code]
    if not forms:
        return english
    (one, many), subs = forms[0][:2], forms[1]
    return (one, many, subs[0], subs[1]) if english[2] else (one, many, None, None)


def is_feminine(noun: str) -> bool:
    return any(word in FEMININE for word in noun.split())
