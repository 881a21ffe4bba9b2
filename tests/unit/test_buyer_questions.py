"""Buyer questions for test conversations: generated from the records (seeded), expectations read
from them, handoff expectations from the persona's triggers; and how an answer is judged."""

from __future__ import annotations

from decimal import Decimal

from echome.answer.quality import catalog_numbers
from echome.handoff.settings import TRIGGERS
from echome.knowledge.records import Field, ProductRecord
from echome.rehearsal.buyer_questions import (
    EITHER,
    FORBIDDEN,
    KINDS,
    REQUIRED,
    buyer_questions,
    spec_facts,
)
from echome.rehearsal.conversations import judge, summarise


def _shop() -> list[ProductRecord]:
    sizes = [
        {"sku": f"TS-{s}", "options": {"Size": s}, "price": "19.50", "stock": 3} for s in ("Small", "Large")
    ]
    return [
        ProductRecord("a", "Oak Garden Bench", price=Decimal("240"), stock=4,
                      fields=[Field("Material", "Material: Solid oak", kind="fact"),
                              Field("id", "id: 5c8b8f701034e8dbea72ac0fc32521e9", kind="fact")]),
        ProductRecord("b", "Linen Tea Towel", price=Decimal("8.90"), stock=0,
                      fields=[Field("Colour", "Colour: Natural beige", kind="fact")]),
        ProductRecord("c", "Striped Cotton Tee", price=Decimal("19.50"), attributes={"variants": sizes}),
        ProductRecord("d", "Copper Watering Can", price=Decimal("45"), stock=12,
                      fields=[Field("Weight", "Weight: 1.2 kg", kind="fact")]),
        ProductRecord("e", "Wicker Picnic Basket", price=Decimal("60"), stock=2),
    ]  # fmt: skip


def test_the_same_seed_asks_the_same_questions_over_every_kind() -> None:
    first = buyer_questions(_shop(), n=27, seed=3, triggers=TRIGGERS)
    again = buyer_questions(_shop(), n=27, seed=3, triggers=TRIGGERS)
    other = buyer_questions(_shop(), n=27, seed=4, triggers=TRIGGERS)
    assert [q.as_dict() for q in first] == [q.as_dict() for q in again]
    assert [q.question for q in first] != [q.question for q in other]
    assert {q.kind for q in first} == set(KINDS)
    assert len(first) == 27 and len({q.question for q in first}) >= 20


def test_expectations_are_read_from_the_records() -> None:
    shop = _shop()
    qs = buyer_questions(shop, n=60, seed=1, triggers=TRIGGERS)
    price = {q.products[0]: q.expect_all for q in qs if q.kind == "price"}
    assert price["Oak Garden Bench"] == [["240"]]
    assert price["Linen Tea Towel"] == [["8.90", "8,90"]]
    stock = {q.products[0]: q.expect_all for q in qs if q.kind == "stock"}
    assert stock["Copper Watering Can"] == [["12"]] and "sold out" in stock["Linen Tea Towel"][0]
    assert "Striped Cotton Tee" not in stock  # stock by variant: no single figure to expect
    (options,) = [q for q in qs if q.kind == "options"]
    assert options.expect_all == [["Small"], ["Large"]] and "size" in options.question
    specs = {q.products[0]: q.expect_all for q in qs if q.kind == "specs"}
    assert specs == {
        "Oak Garden Bench": [["Solid oak"]],  # the id is no spec
        "Linen Tea Towel": [["Natural beige"]],
        "Copper Watering Can": [["1.2 kg"]],
    }
    for q in (q for q in qs if q.kind == "comparison"):
        cheap, dear = q.cheaper_first or ("", "")
        by_name = {p.name: p.price for p in shop}
        assert by_name[cheap] < by_name[dear]  # type: ignore[operator]
        assert str(by_name[cheap]) in q.expect_all[0] and str(by_name[dear]) in q.expect_all[1]

    shop[0].price = Decimal("199")  # a new price: a new expectation, nothing typed in by hand
    again = buyer_questions(shop, n=60, seed=1, triggers=TRIGGERS)
    assert {q.products[0]: q.expect_all for q in again if q.kind == "price"}["Oak Garden Bench"] == [["199"]]


def test_spec_facts_skip_identifiers_prices_and_option_lists() -> None:
    rec = ProductRecord(
        "x",
        "Desk Lamp",
        fields=[
            Field("f", "Brand: Lumo\nVariant options: Black 20, White 22\nEAN13: 1234567890123", kind="fact"),
            Field("d", "Material: steel", kind="text"),  # prose, not a fact field
            Field("u", "Manufacturer link: https://lumo.example/lamp", kind="fact"),
        ],
    )
    assert spec_facts(rec) == [("Brand", "Lumo")]


def test_handoff_is_expected_only_where_the_persona_hands_off() -> None:
    on = buyer_questions(_shop(), n=27, seed=2, triggers=TRIGGERS)
    expect = {q.kind: q.handoff for q in on}
    assert expect["discount"] == expect["complaint"] == expect["human"] == REQUIRED
    assert expect["price"] == expect["specs"] == expect["comparison"] == FORBIDDEN
    assert expect["off-catalog"] == EITHER
    off = buyer_questions(_shop(), n=27, seed=2, triggers=["customer_asked"])
    expect = {q.kind: q.handoff for q in off}
    assert expect["human"] == REQUIRED and expect["discount"] == expect["complaint"] == EITHER


def test_buying_more_of_a_product_with_tier_prices_may_be_answered_from_them() -> None:
    """'Any chance of a cheaper price ... if I buy two?' about a product whose record lists tier
    prices is the persona's to answer from them (the trigger lets it), so either way is right; any
    other discount request, or one about a product without tiers, goes to the seller."""
    tiers = [{"from": 2, "price": "12"}, {"from": 5, "price": "10"}]
    shop = [
        ProductRecord(k, name, price=Decimal("14"), attributes={"tier_prices": tiers} if tiered else {})
        for k, name, tiered in (("t", "Arctic Knit Beanie", True), ("u", "Wool Scarf", False))
    ]
    # tiers read back from the stored chunks (a persona's catalog): the product's "Tier prices:" line
    line = Field("Tier prices", "Tier prices: 12 each from 2 pieces; 10% off from 5 pieces", kind="fact")
    shop.append(ProductRecord("v", "Fleece Mittens", price=Decimal("9"), fields=[line]))
    seen: dict[tuple[str, bool], set[str]] = {}
    for seed in range(40):
        for q in buyer_questions(shop, n=14, seed=seed, triggers=TRIGGERS):
            if q.kind == "discount":
                quantity = "if I buy two" in q.question
                seen.setdefault((q.products[0], quantity), set()).add(q.handoff)
    assert seen[("Arctic Knit Beanie", True)] == seen[("Fleece Mittens", True)] == {EITHER}
    assert seen[("Arctic Knit Beanie", False)] == {REQUIRED}
    assert seen[("Wool Scarf", True)] == seen[("Wool Scarf", False)] == {REQUIRED}


def test_off_catalog_things_are_absent_from_the_catalog() -> None:
    shop = [*_shop(), ProductRecord("t", "Two Person Camping Tent", price=Decimal("120"))]
    others = [ProductRecord("o1", "Turbo Espresso Grinder Deluxe"), ProductRecord("o2", "Oak Bench Cushion")]
    qs = [q for q in buyer_questions(shop, n=90, seed=5, others=others) if q.kind == "off-catalog"]
    assert qs and all(q.offcatalog and not q.expect_all for q in qs)
    text = " ".join(q.question.lower() for q in qs)
    assert "espresso grinder" in text  # another shop's product
    assert "tent" not in text and "cushion" not in text  # words this catalog uses


def test_judging_names_what_is_wrong() -> None:
    qs = buyer_questions(_shop(), n=27, seed=2, triggers=TRIGGERS)
    known = catalog_numbers("240 8.90 19.50 45 60 12 4 3 1.2")
    by_kind = {q.kind: q for q in reversed(qs)}
    price = by_kind["price"]
    right = judge(price, f"It is {price.expect_all[0][0]}.", mode="composer", handoff=None, known=known)
    assert right.passed and right.why == []
    wrong = judge(price, "It costs 999.", mode="composer", handoff=None, known=known)
    assert not wrong.passed and wrong.why[0].startswith("missing") and "invented numbers 999" in wrong.why
    no_detail = judge(price, "I don't have that detail.", mode="composer", handoff="no_evidence", known=known)
    assert {"declined a question about a product it sells", "handed to the seller (no_evidence)"} <= set(
        no_detail.why
    )
    ruled = judge(price, f"It is {price.expect_all[0][0]}.", mode="composer", handoff="rule", known=known)
    assert ruled.passed  # the seller's own rule hands it off
    human = by_kind["human"]
    assert judge(human, "Sure.", mode="composer", handoff="customer_asked", known=known).passed
    kept = judge(human, "Sure.", mode="composer", handoff=None, known=known)
    assert kept.why == ["not handed to the seller"]
    off = by_kind["off-catalog"]
    sold = judge(off, "Yes, 15 of them.", mode="composer", handoff=None, known=known)
    assert not sold.passed and sold.why[0].startswith("not declined")
    assert judge(off, "Sorry, we don't carry that.", mode="composer", handoff=None, known=known).passed

    cmp_q = by_kind["comparison"]
    cheap, dear = cmp_q.cheaper_first or ("", "")
    named = judge(
        cmp_q, f"The {cheap} is cheaper than the {dear}.", mode="composer", handoff=None, known=known
    )
    backwards = judge(
        cmp_q, f"The {dear} is cheaper than the {cheap}.", mode="composer", handoff=None, known=known
    )
    assert named.passed and not backwards.passed

    report = summarise([right, wrong, kept])
    assert report["passed"] == 1 and report["by_kind"]["price"] == {
        "questions": 2,
        "passed": 1,
        "pass_rate": 0.5,
    }
    assert [f["question"] for f in report["failing"]] == [price.question, human.question]
