"""Which product a question names, from the keyword index's product names."""

from __future__ import annotations

from echome.knowledge.keyword import build_index

NAMES = {
    "p1": "iPod Nano",
    "p2": "iPod shuffle",
    "p3": "TrailBlaze X2",
    "p4": "TrailBlaze X2 Wide",
}


def _index():  # type: ignore[no-untyped-def]
    ids = list(NAMES)
    texts = [f"{n}: a product" for n in NAMES.values()]
    meta = [{"product_id": pid, "name": name} for pid, name in NAMES.items()]
    return build_index(ids, texts, texts, meta)


def test_a_plural_names_the_product_and_the_exact_name_beats_a_longer_one() -> None:
    index = _index()
    assert index.mentioned_product("How many iPod shuffles do you have in stock?")[0] == "p2"  # type: ignore[index]
    assert index.mentioned_product("How much is the TrailBlaze X2?")[0] == "p3"  # type: ignore[index]
    assert index.mentioned_product("Does the TrailBlaze X2 Wide fit me?")[0] == "p4"  # type: ignore[index]
    assert index.mentioned_product("Do you sell bikes?") is None
