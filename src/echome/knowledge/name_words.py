"""The words of product names and of questions about them, as the name lookup (`lookup.py`) reads
them: folded words and model codes, singular and plural forms, the word that says what a product is
(its kind), function words and the words that set products side by side, in the seven languages."""

from __future__ import annotations

import re

from echome.knowledge.keyword import fold

_TOKEN = re.compile(r"[^\W_]+(?:[-./][^\W_]+)*")
_SEPARATORS = re.compile(r"[-./_\s]")
# Words that never identify a product: articles, prepositions, conjunctions and pronouns in the seven
# catalog languages (en, de, fr, es, it, nl, pt).
FUNCTION_WORDS = frozenset(
    """a an the and or of for with in on at to by from between is are it its this that these those my your our
    der die das den dem des ein eine einer einen und oder mit für von vom zum zur im am auf aus bei zwischen
    le la les un une des du de et ou avec pour en au aux sur dans entre
    el los las una unos unas y o con para por del al
    il lo gli i uno e con per di da nel nella sul tra fra
    het een en of met voor van op aan bij tussen
    o os as um uma e ou com para por do da dos das no na""".split()  # noqa: SIM905
)
# A name's tail that says how much, not what: "100g", "500 ml", "€25", "x2", "Set of 4", "6-Pack",
# and anything in brackets ("(80 prongs)"). Skipped to find the name's head, the word saying what the
# product is ("Uji Ceremonial Matcha 100g" is matcha, "Yunomi Cup Set of 4" is cups).
_UNITS = (
    r"g|gr|kg|mg|lb|lbs|oz|fl\s?oz|ml|cl|dl|l|ltr|litres?|liters?|cm|mm|m|in|inch|ft|gb|tb|mb|w|kw|v|"
    r"mah|wh|pcs?|pk|ct|count|pieces?|pack|stk|stück|%"
)
_AMOUNT_TAIL = re.compile(
    rf"(?:[\s,\-\u2013/]+(?:[$€£¥]?\d+(?:[.,]\d+)?\s*(?:{_UNITS})?\.?|x\s?\d+|"
    rf"(?:set|pack|box|pair|bundle|lot|case) of \d+|\d+\s*[- ]?(?:pack|pk|pcs|pieces|count|ct)))+\s*$",
    re.I,
)
_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")

# What sets two products side by side: en, de, fr, es, it, nl, pt.
APART = re.compile(
    r"\s*,\s*|\s+(?:and|or|&|vs\.?|versus|than|compared (?:to|with)|against|und|oder|als|"
    r"im vergleich zu|verglichen mit|gegenüber|gegenueber|et|ou|contre|que|plutôt que|"
    r"par rapport (?:à|au|aux)|y|o|frente a|comparado con|en comparación con|e|oppure|rispetto a|di|"
    r"en|of|dan|tegenover|vergeleken met|do que|comparado com|em comparação com)\s+",
    re.I,
)


# Words that ask to set products side by side: "the difference between", "which is better",
# "compare" (en, de, fr, es, it, nl, pt).
COMPARING = re.compile(
    r"\b(?:differen\w*|compar\w*|versus|vs\.?|better|unterschied\w*|vergleich\w*|besser|"
    r"diff(?:é|e)ren\w*|meilleur\w*|diferencia\w*|mejor|differenz\w*|confront\w*|migliore|"
    r"verschil\w*|vergelijk\w*|beter|diferen(?:ç|c)a|melhor|cheaper|dearer|(?:more|less) expensive|"
    r"g(?:ü|u)nstiger|billiger|teurer|(?:moins|plus) cher|m(?:á|a)s (?:barato|caro)|"
    r"pi(?:ù|u) (?:economico|caro)|"
    r"goedkoper|duurder|mais (?:barato|caro))\b",
    re.I,
)


def words(text: str) -> list[str]:
    """The words of a name or question: pieces of hyphenated words, plus the whole when it carries a
    digit (a model code: "mh01-xs" gives "mh01", "xs" and "mh01-xs")."""
    out: list[str] = []
    for tok in _TOKEN.findall(fold(text)):
        pieces = [p for p in re.split(r"[-./]", tok) if p]
        out.extend(pieces)
        if len(pieces) > 1 and any(ch.isdigit() for ch in tok):
            out.append(tok)
    return out


def key(word: str) -> str:
    """One form for singular and plural ("shuffles" names the iPod shuffle)."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def keys(word: str) -> set[str]:
    forms = {key(word)}
    if len(word) > 4 and word.endswith("es"):
        forms.add(word[:-2])  # "boxes" → box
    forms.update(irregular_singulars(word))
    return forms


def irregular_singulars(word: str) -> set[str]:
    """What an English plural in -ies or -ves may be the plural of: "batteries" → battery, "knives"
    → knife, "scarves" → scarf."""
    if len(word) > 4 and word.endswith("ies"):
        return {word[:-3] + "y"}
    if len(word) > 4 and word.endswith("ves"):
        return {word[:-3] + "f", word[:-3] + "fe"}
    return set()


def code(word: str) -> str:
    return _SEPARATORS.sub("", fold(word))


def is_model_code(word: str) -> bool:
    return any(ch.isdigit() for ch in word) and any(ch.isalpha() for ch in word)


def plural_forms(word: str) -> set[str]:
    """A word and what it may be the plural of, as name keys (`_keys`): "bikinis", "dartpfeile",
    "tische", "flaschen", "kinder"."""
    forms = set(keys(word))
    for end in ("e", "n", "en", "er"):
        if len(word) > len(end) + 3 and word.endswith(end):
            forms.add(key(word[: -len(end)]))
    return forms


def kind_of(name: str) -> str | None:
    """The word that says what a product is: its name's last word once bracketed asides and a size or
    pack at the end are dropped ("Bamboo Matcha Whisk (80 prongs)" → whisk)."""
    bare = _BRACKETED.sub(" ", name)
    bare = _AMOUNT_TAIL.sub("", bare) or bare
    # A short qualifier after a dash or comma is a version: "Teapot - Black", "Sleeve, One-Size".
    parts = re.split(r"\s[-\u2013|]\s|,\s", bare)
    if len(parts) > 1 and len(parts[-1].split()) <= 2 and len(" ".join(parts[:-1]).split()) >= 2:
        bare = " ".join(parts[:-1])
    kept = [w for w in words(bare) if w not in FUNCTION_WORDS and w.isalpha() and len(w) >= 3]
    return key(kept[-1]) if kept else None
