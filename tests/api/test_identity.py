"""One address, one account, one budget: Unicode-equivalent spellings (fullwidth letters, case,
compatibility forms) are the same identity for sign-up, sign-in, the sign-in limiter, CLI `--user`,
tokens and Google sign-in."""

from __future__ import annotations

from typing import Any

import pytest

from echome.accounts.users import fold_identity, get_user_by_email, identity_key, normalize_email

PASSWORD = "correct horse"


def wide(text: str) -> str:
    """The fullwidth form of ASCII letters ('e' -> U+FF45), as an IME or a copy-paste can give them."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# The same address as people (or attackers) may type it: fullwidth letters, capitals, spaces.
SPELLINGS = [
    f"alice@{wide('e')}xample.com",
    f"{wide('alice')}@example.com",
    "ALICE@EXAMPLE.COM",
    " Alice@Example.Com ",
]


def test_equivalent_spellings_share_one_sign_in_budget(client: Any) -> None:
    me = client.post("/api/auth/signup", json={"email": "alice@example.com", "password": PASSWORD})
    assert me.status_code == 201
    client.post("/api/auth/logout", headers={"X-CSRF-Token": me.headers["x-csrf-token"]})
    for _ in range(10):
        wrong = client.post("/api/auth/login", json={"email": "alice@example.com", "password": "guess"})
        assert wrong.status_code == 401
    for spelling in SPELLINGS:  # not 40 more tries, and not the right password either
        r = client.post("/api/auth/login", json={"email": spelling, "password": PASSWORD})
        assert r.status_code == 429, (spelling, r.status_code)
        assert r.json()["error"] == "rate_limited" and int(r.headers["retry-after"]) >= 1
    assert client.get("/api/auth/me").status_code == 401


def test_equivalent_spellings_are_one_account(client: Any) -> None:
    first = client.post("/api/auth/signup", json={"email": "alice@example.com", "password": PASSWORD})
    assert first.status_code == 201
    for spelling in SPELLINGS:
        dup = client.post("/api/auth/signup", json={"email": spelling, "password": PASSWORD})
        assert dup.status_code == 409, spelling
    client.post("/api/auth/logout")
    for spelling in SPELLINGS:
        r = client.post("/api/auth/login", json={"email": spelling, "password": PASSWORD})
        assert r.status_code == 200 and r.json()["id"] == first.json()["id"], spelling
        assert r.json()["email"] == "alice@example.com"


def test_a_fullwidth_sign_up_is_stored_in_the_one_form(client: Any) -> None:
    r = client.post(
        "/api/auth/signup", json={"email": f"{wide('BOB')}@{wide('e')}xample.com", "password": PASSWORD}
    )
    assert r.status_code == 201 and r.json()["email"] == "bob@example.com"


def test_cli_user_lookups_and_tokens_find_the_account(client: Any, services: Any) -> None:
    from echome.cli.common import acting_user

    uid = client.post("/api/auth/signup", json={"email": "alice@example.com", "password": PASSWORD}).json()[
        "id"
    ]
    with services.sessions() as s:
        for spelling in SPELLINGS:
            user = get_user_by_email(s, spelling)
            assert user is not None and user.id == uid, spelling
    assert (
        acting_user(services, f"{wide('alice')}@{wide('e')}xample.com").id == uid
    )  # `echome tokens create --user ...`


def test_google_sign_in_links_the_same_account(client: Any, services: Any) -> None:
    from echome.accounts.google import user_from_claims

    uid = client.post("/api/auth/signup", json={"email": "alice@example.com", "password": PASSWORD}).json()[
        "id"
    ]
    claims = {"sub": "google-123", "email": f"{wide('ALICE')}@{wide('e')}xample.com", "email_verified": True}
    with services.sessions() as s:
        user = user_from_claims(s, claims, allow_signup=True)
        assert user.id == uid and user.google_sub == "google-123"


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        (f"alice@{wide('e')}xample.com", "alice@example.com"),
        (f"  {wide('ALICE')}@{wide('EXAMPLE.COM')}\u3000", "alice@example.com"),  # ideographic space trimmed
        ("Straße@example.com", "strasse@example.com"),  # casefold, not lower()
        ("owner@LOCALHOST", "owner@localhost"),
    ],
)
def test_one_normal_form(typed: str, folded: str) -> None:
    assert normalize_email(typed) == folded
    assert identity_key(typed) == folded


def test_the_limiter_key_of_a_non_address_is_folded_not_an_error() -> None:
    assert identity_key(f"  {wide('NOT AN ADDRESS')} ") == "not an address"
    assert fold_identity("\ufb01") == "fi"  # compatibility ligature
