"""The products a question names by the word that says what they are ("how much is the blanket?":
every blanket; "Does the teapot work on induction?": the one teapot), in seven languages."""

from __future__ import annotations

from collections.abc import Callable

from echome.answer.asks import QUESTION_WORDS, SHOPPING_WORDS
from echome.knowledge.lookup import FUNCTION_WORDS, ProductNames, words


def asked_of_kind(question: str, names: ProductNames, sells: Callable[[str | None], bool]) -> str | None:
    """The product a question asks something of by the word that says what it is ("Does the teapot
    work on induction?", "How long does matcha stay fresh?"), when the shop has one of that kind
    (`of_kind_asked`)."""
    found = of_kind_asked(question, names, sells, after=_before_one_kind)
    return found[0] if len(found) == 1 else None


def of_kind_asked(
    question: str,
    names: ProductNames,
    sells: Callable[[str | None], bool],
    *,
    after: Callable[[str], bool] = lambda word: word in DETERMINERS,
) -> list[str]:
    """The products a question names by the word that says what they are, after an article or a
    possessive (`after`; for one product, a question word will do: "does matcha keep?") ("how much
    is the blanket?": every blanket), whose names hold the words between
    (its modifiers: "the cast iron teapot"), in catalog order. "How much is the iPhone case?" in a
    shop whose only case is a "Nexus 7 Case" names none: "iPhone" is not in its name."""
    said = words(question)
    for i, word in enumerate(said):
        if _frame_word(word):
            continue
        fitting = []
        for pid in names.all_of_kind(word, sells=sells):
            j = names.before_modifiers(pid, said, i, stop=_frame_word)  # "the [cast iron] teapot"
            if j >= 0 and after(said[j]):  # "the blanket", "your chunky blanket"
                fitting.append(pid)
        if fitting:
            return [p for p in names.entries if p in set(fitting)]
    return []


# What stands before a noun that names a thing ("the teapot", "your whisks"), in the seven
# languages: "what size ...", "in black", "with headset" name no product.
DETERMINERS = frozenset(
    """the a an your yours our this that these those der die das den dem des ein eine einen einem
    einer ihr ihre ihren ihrem ihres euer eure le la les l un une votre vos ce cet cette ces el los
    las un una unos unas su sus este esta estos estas il lo gli i uno una vostro vostra questo questa
    questi queste het een de uw deze dit o os as um uma seu sua este esta estes estas""".split()  # noqa: SIM905
)


# Words before a kind that ask for all of it: "any jackets", "which tops", "what teas" (seven languages).
QUANTIFIERS = frozenset(
    """any some all which what other more welche welchen irgendwelche quels quelles des quel quelle
    algun alguna algunos algunas que cuales quali qualche dei delle welke enkele quais algum alguns
    algumas""".split()  # noqa: SIM905
)


# After a subject pronoun comes a verb, not a product ("if you live in a rental" of a product whose
# name ends in "Live"): en, de, fr, es, it, nl, pt.
PRONOUNS = frozenset(
    """i you we they he she ich du wir sie er je tu nous vous ils elles elle yo tu nosotros ellos
    ella el io noi voi loro lui lei ik jij je wij zij hij eu voce nos eles elas""".split()  # noqa: SIM905
)


# "This heater", "cette théière": one particular product (the one on the page, or in the conversation),
# never every product of the kind.
THIS_ONE = frozenset(
    """this that dieser diese dieses diesen ce cet cette este esta esto ese esa questo questa quello
    quella dit dat deze esse essa isto aquele aquela""".split()  # noqa: SIM905
)


# The verbs of asking whether the shop has something, as `words` spells them: "do you have jackets?",
# "verkaufen Sie Kerzen?" ask for every jacket, every candle (seven languages).
HAVE_VERBS = frozenset(
    """have sell carry stock got haben habt verkaufen fuhren avez vendez tenez tienen tienes venden
    avete vendete hebben verkopen verkoopt heeft tem vendem""".split()  # noqa: SIM905
)
# ... and the one asked, where it stands between the verb and the thing: "Haben Sie Kerzen?",
# "Hebben jullie jassen?", "Vocês têm casacos?".
ASKED_YOU = frozenset("sie ihr du vous jullie u voces ustedes".split())  # noqa: SIM905


def before_kind(word: str) -> bool:
    return (word in DETERMINERS or word in QUANTIFIERS) and word not in THIS_ONE


def before_kind_asked_for(word: str) -> bool:
    """Before a kind in a question asking whether the shop has it: a determiner or quantifier, or
    the verb itself ("do you have jackets?")."""
    return before_kind(word) or word in HAVE_VERBS or word in ASKED_YOU


def _before_one_kind(word: str) -> bool:
    """Before the kind of the one product a question asks something of: an article, or a word of how
    it asks ("does matcha keep?"), but not a subject pronoun."""
    return _frame_word(word) and word not in PRONOUNS


def _frame_word(word: str) -> bool:
    """A word of how a question is asked, not of what it is about ("how", "does", "the", "your")."""
    return word in FUNCTION_WORDS or word in SHOPPING_WORDS or word in QUESTION_WORDS
