from __future__ import annotations

import pytest

from echome.jobs.store import backoff_seconds


def test_backoff_is_exponential_with_jitter_and_capped() -> None:
    samples = [backoff_seconds(a, base=2.0, cap=300.0) for a in range(1, 6)]
    for attempt, delay in enumerate(samples, start=1):
        nominal = 2.0 * 2 ** (attempt - 1)
        assert nominal * 0.8 <= delay <= nominal * 1.2
    assert backoff_seconds(30, base=2.0, cap=300.0) <= 360.0


@pytest.mark.parametrize(
    "email,expected", [("A@Example.COM", "a@example.com"), ("owner@localhost", "owner@localhost")]
)
def test_email_normalisation(email: str, expected: str) -> None:
    from echome.accounts.users import normalize_email

    assert normalize_email(email) == expected


@pytest.mark.parametrize("email", ["no-at-sign", "a@", "@b.com", "bad@@x.com", "x@localhost/../"])
def test_email_rejects(email: str) -> None:
    from echome.accounts.users import AccountError, normalize_email

    with pytest.raises(AccountError):
        normalize_email(email)
