"""Signing up and posting forms through the web pages, as a browser would, for the HTTP tests."""

from __future__ import annotations

import re
from typing import Any

HTML = {"Accept": "text/html"}


def csrf_token(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_up(client: Any, email: str = "ana@example.com", name: str = "Ana") -> str:
    """Through the sign-up form (which leads to the first persona's guided setup); returns its id."""
    token = csrf_token(client.get("/signup", headers=HTML).text)
    r = client.post(
        "/signup",
        data={"email": email, "password": "correct horse", "display_name": name, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    found = re.match(r"/app/personas/([0-9a-f]{32})/setup$", str(r.headers["location"]))
    assert found, f"sign-up did not lead to the guided setup: {r.headers['location']}"
    return found.group(1)
