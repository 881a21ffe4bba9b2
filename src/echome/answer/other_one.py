"""A follow-up that turns to another product of the same kind by what sets it apart: "What about the
olive one?" after the Soft Winter Jacket means the Olive Green Jacket, not the jacket under
discussion ("one" stands for the kind, "olive" picks the product).

The product under discussion keeps the question when its own text holds the words ("the black one" of
a hoodie sold in black is that hoodie in black). English follow-ups only ("the X one(s)").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from echome.knowledge.lookup import FUNCTION_WORDS, ProductNames, words

_THE_X_ONE = re.compile(r"\b(?:the|that|this|a)\s+((?:[\w'-]+\s+){1,3}?)ones?\b", re.I)
# Words that say which one by order, price or sameness, answered elsewhere, not by a name.
_NOT_A_NAME = frozenset(
    """other same first second third last next previous cheaper cheapest cheap dearer expensive bigger
    smaller new old right left better best""".split()  # noqa: SIM905
)


def other_of_kind(
    question: str,
    names: ProductNames,
    focus: str,
    *,
    sells: Callable[[str | None], bool],
    holders: Callable[[str], set[str]],
) -> list[str]:
    """The products of `focus`'s kind whose names (else texts) hold the words before "one" in "the X
    one", when the focus product's own text does not hold them ([] otherwise: it is about the focus)."""
    m = _THE_X_ONE.search(question)
    entry = names.entries.get(focus)
    if m is None or entry is None or entry.kind is None:
        return []
    said = [w for w in words(m.group(1)) if w not in FUNCTION_WORDS and w not in _NOT_A_NAME]
    if not said or all(focus in holders(w) for w in said):
        return []
    kind = names.all_of_kind(entry.kind, sells=sells) - {focus}
    by_name = [p for p in kind if all(names.holds(p, w) for w in said)]
    # none by its name: by its text ("the black one" of a jacket its description calls black); none
    # of the kind at all: a product of another kind by its name ("the elephant ones" after a necklace:
    # the Gold Elephant Earrings)
    return sorted(
        by_name
        or kind.intersection(*(holders(w) for w in said))
        or [
            p
            for p, e in names.entries.items()
            if p != focus and sells(e.persona_id) and all(names.holds(p, w) for w in said)
        ]
    )
