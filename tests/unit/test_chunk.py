"""Chunking sized to the embedder's window, with names and citations kept."""

from __future__ import annotations

import random
import re
from decimal import Decimal

from echome.knowledge.baseline import recursive_split
from echome.knowledge.chunk import chunk_product, readable, split_to_budget
from echome.knowledge.records import Field, ProductRecord
from echome.providers.fakes import HashingEmbedder

count = HashingEmbedder().count_tokens


def test_rows_with_many_values_are_split_even_when_they_fit() -> None:
    rec = ProductRecord(
        external_key="sku:R",
        name="Radio",
        sku="R",
        fields=[Field("reviews", f"review number {i} is fine") for i in range(30)],
    )
    chunks = chunk_product(rec, source="r.csv", count=count, max_tokens=256)
    assert len(chunks) == 30 and all(c.field == "reviews" for c in chunks)


def test_short_product_stays_one_chunk_with_its_name() -> None:
    rec = ProductRecord(
        external_key="sku:M1",
        name="Blue Mug",
        sku="M1",
        price=Decimal("9.50"),
        currency="EUR",
        stock=3,
        fields=[Field("description", "A 300 ml stoneware mug.")],
    )
    (chunk,) = chunk_product(rec, source="shop.csv", count=count, max_tokens=256)
    assert chunk.field == "product" and "Blue Mug" in chunk.text and "9.50 EUR" in chunk.text
    assert chunk.sku == "M1" and chunk.source == "shop.csv"


def test_long_products_split_per_field_within_the_window() -> None:
    review = " ".join(f"Sentence number {i} says the kettle boils water fast." for i in range(80))
    rec = ProductRecord(
        external_key="sku:K1",
        name="Red Kettle",
        sku="K1",
        fields=[
            Field("description", "Boils 1.7 l in 3 minutes."),
            Field("reviews", review),
            Field("attributes", 'color:  { value:"red" }', kind="fact"),
        ],
    )
    chunks = chunk_product(rec, source="k.csv", count=count, max_tokens=64)
    assert {c.field for c in chunks} == {"description", "reviews", "attributes"}
    assert all(count(c.embed_text) <= 64 for c in chunks)
    assert all(c.keyword_text.startswith("Red Kettle (SKU K1).") for c in chunks)
    assert not any("Red Kettle" in c.embed_text for c in chunks)
    reviews = [c for c in chunks if c.field == "reviews"]
    # Long prose is cut at sentence ends into small pieces: one claim each, never a cut sentence.
    assert len(reviews) > 3 and all(len(c.text) <= 240 and c.text.endswith("fast.") for c in reviews)
    assert " ".join(c.text for c in reviews) == review
    attr = next(c for c in chunks if c.field == "attributes")
    assert attr.text == 'color:  { value:"red" }' and attr.embed_text.endswith("color: red")
    assert len({c.id for c in chunks}) == len(chunks)


def test_window_splits_overlap_by_a_sentence() -> None:
    text = " ".join(f"Sentence {i} is about the kettle." for i in range(60))
    pieces = split_to_budget(text, count=count, budget=40, overlap=8)
    assert len(pieces) > 3 and all(count(p) <= 40 for p in pieces)
    # An answer on the boundary is not cut in two: the next piece repeats the last sentence.
    assert pieces[0].split(". ")[-1].rstrip(".") in pieces[1]


def test_chunk_ids_are_stable_across_runs() -> None:
    rec = ProductRecord(external_key="sku:A", name="A", fields=[Field("description", "x " * 300)])
    a = [c.id for c in chunk_product(rec, source="s", count=count, max_tokens=64)]
    b = [c.id for c in chunk_product(rec, source="s", count=count, max_tokens=64)]
    assert a == b


def test_readable_forms() -> None:
    assert (
        readable('specification_met:  { value:"nsf" }; { value:"ul" }', "fact")
        == "specification met: nsf, ul"
    )
    assert readable("yes it fits. Question: will it fit a kenmore?", "qa") == (
        "Question: will it fit a kenmore? Answer: yes it fits."
    )


def test_split_to_budget_cuts_overlong_sentences_on_words() -> None:
    pieces = split_to_budget("word " * 500, count=count, budget=50, overlap=5)
    assert len(pieces) >= 10 and all(count(p) <= 50 for p in pieces)


def test_recursive_splitter_windows() -> None:
    text = "\n\n".join(f"para {i} " + "x" * 300 for i in range(10))
    pieces = recursive_split(text, size=700, overlap=100)
    assert all(len(p) <= 700 for p in pieces) and len(pieces) >= 5
    assert "para 0" in pieces[0] and "para 9" in pieces[-1]


MODELS = ("kenmore", "whirlpool", "frigidaire", "maytag", "amana", "electrolux", "bosch", "lg")


def test_shopper_qa_is_embedded_by_its_answer_and_found_by_both() -> None:
    qa = [f"yes, it fits the {m} model. Question: will it fit a {m}?" for m in MODELS]
    rec = ProductRecord(
        external_key="sku:D",
        name="Crisper Drawer",
        sku="D",
        fields=[Field("customer_qa", t, kind="qa") for t in qa],
    )
    chunks = chunk_product(rec, source="d.csv", count=count, max_tokens=256)
    assert [c.text for c in chunks] == qa  # cited verbatim
    assert [c.embed_text for c in chunks] == [f"yes, it fits the {m} model." for m in MODELS]
    assert all(
        "Question: will it fit" in c.keyword_text and "Crisper Drawer" in c.keyword_text for c in chunks
    )


# -- linear time, bounded counter input (issue 13: 1 MB of run-on prose took 71 s) ----------------
_SENT_ORACLE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\n+")


def packing_by_recounting(text: str, *, budget: int, overlap: int) -> list[str]:
    """The greedy packing spelled out the slow way (every candidate piece counted whole): what
    split_to_budget must keep giving."""
    if len(text) + 2 <= budget or count(text) <= budget:
        return [text]
    units: list[str] = []
    for s in (s.strip() for s in _SENT_ORACLE.split(text) if s and s.strip()):
        if count(s) <= budget:
            units.append(s)
            continue
        piece: list[str] = []
        for w in s.split():
            if piece and count(" ".join([*piece, w])) > budget:
                units.append(" ".join(piece))
                piece = []
            piece.append(w)
        units += [" ".join(piece)] if piece else []
    pieces: list[str] = []
    current: list[str] = []
    for u in units:
        if current and count(" ".join([*current, u])) > budget:
            pieces.append(" ".join(current))
            carry: list[str] = []
            for prev in reversed(current):
                if count(" ".join([prev, *carry])) > overlap:
                    break
                carry.insert(0, prev)
            current = carry if count(" ".join([*carry, u])) <= budget else []
        current.append(u)
    return [*pieces, " ".join(current)] if current else pieces


VOCABULARY = ("the", "mug", "holds", "300", "ml.", "It", "is", "Dishwasher", "safe!", "shipping")
VOCABULARY += ("takes", "2", "days?", "e.g.", "U.S.", "café", "9.50")


def test_pieces_are_the_ones_recounting_every_candidate_gives() -> None:
    rnd = random.Random(5)
    words = VOCABULARY
    for _ in range(300):
        text = " ".join(
            rnd.choice(words) + rnd.choice(["", "", ".", "\n", "!"]) for _ in range(rnd.randint(1, 300))
        )
        budget, overlap = rnd.choice([12, 24, 40, 64]), rnd.choice([0, 4, 8])
        assert split_to_budget(text, count=count, budget=budget, overlap=overlap) == packing_by_recounting(
            text, budget=budget, overlap=overlap
        )


class Recorder:
    """The fake counter, recording how many characters it was given and the longest text."""

    def __init__(self) -> None:
        self.chars = 0
        self.longest = 0

    def __call__(self, text: str) -> int:
        self.chars += len(text)
        self.longest = max(self.longest, len(text))
        return count(text)


def test_run_on_prose_is_counted_a_bounded_number_of_times() -> None:
    text = " ".join(f"word{i % 997} and more" for i in range(40_000))  # ~0.6 MB, no sentence ends
    counter = Recorder()
    pieces = split_to_budget(text, count=counter, budget=240, overlap=24)
    assert all(count(p) <= 240 for p in pieces) and len(pieces) > 100
    # Each character is counted about twice (its word, its finished piece); recounting every
    # candidate piece counted each one ~500 times.
    assert counter.chars < 3 * len(text)


def test_one_giant_word_never_reaches_the_counter_whole() -> None:
    counter = Recorder()
    pieces = split_to_budget("A" * 5_000_000, count=counter, budget=240, overlap=24)
    assert counter.longest <= 240 * 32  # the tokenizer needs ~100x what it is given
    assert "".join(p.replace(" ", "") for p in pieces) == "A" * 5_000_000
    assert max(len(p) for p in pieces) <= 240 * 32


# -- markup in descriptions: one pass, whatever a hostile cell holds ------------------------------
def test_script_and_style_are_cut_and_an_unclosed_one_hides_the_rest() -> None:
    from echome.knowledge.records import html_to_text

    text = "x<SCRIPT>bad()</script >y<p>z</p><style>a{}</STYLE>w<script>never shown"
    assert html_to_text(text) == "x y\nz\nw"
    assert html_to_text("<p>Soft <b>cotton</b> tee</p><p>&amp; more") == "Soft cotton tee\n& more"
    # a tag is a space between words, none before punctuation
    inline = "Holds <strong>0.9 litres</strong>. (<em>Hand</em> wash)"
    assert html_to_text(inline) == "Holds 0.9 litres. (Hand wash)"
    assert html_to_text("<span>Width</span><span>40 cm</span>") == "Width 40 cm"


def test_unclosed_tags_and_scripts_at_scale_end() -> None:
    """1 MB of opens that never close: the old patterns rescanned to the end from each one
    (140 KB took 17 s, so this would run for about a quarter of an hour); now one pass."""
    from echome.knowledge.records import html_to_text

    assert html_to_text("<script" * 150_000) == ""
    left = html_to_text("<a " * 350_000 + "<b>end")
    assert left.startswith("<a <a") and left.endswith("end")
    assert html_to_text("<p " * 350_000).count("<p") == 350_000


def test_chunk_ids_belong_to_their_seller() -> None:
    rec = ProductRecord(external_key="sku:A", name="A", fields=[Field("description", "x " * 300)])
    a = [c.id for c in chunk_product(rec, source="s", count=count, max_tokens=64, owner="seller-a")]
    b = [c.id for c in chunk_product(rec, source="s", count=count, max_tokens=64, owner="seller-b")]
    assert len(set(a)) == len(a) and not set(a) & set(b)


def test_the_head_is_counted_only_when_a_text_may_not_fit() -> None:
    counted: list[str] = []

    def counting(text: str) -> int:
        counted.append(text)
        return count(text)

    name = "Kettle with a rather long product name " * 3
    short = ProductRecord(
        external_key="sku:K", name=name, fields=[Field("reviews", f"fine kettle {i}") for i in range(40)]
    )
    chunk_product(short, source="s", count=counting, max_tokens=256)
    assert name not in counted
    long = ProductRecord(external_key="sku:K", name=name, fields=[Field("description", "word " * 400)])
    pieces = chunk_product(long, source="s", count=counting, max_tokens=256)
    assert name in counted and len(pieces) > 1
    assert all(count(c.text) <= 256 - count(name) - 4 for c in pieces)  # the window the head leaves
