"""Visitor tokens: who a web chat visitor is, without an account and without a table.

A token is `v1.<visitor id>.<signature>`: a random 128-bit id and an HMAC-SHA256 of the persona's id
and the visitor id under a key derived from the server secret. Only the server can make one, so a
visitor id that was guessed, copied from another visitor's messages or made up is refused, and a
token made for one persona is refused by every other. The token lives in the visitor's browser
(localStorage of the shop's site); losing it starts a new conversation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

_TOKEN = re.compile(r"^v1\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$")
HEADER = "X-Echome-Visitor"


class VisitorRefused(ValueError):
    """No token, or one this server did not make for this persona."""


@dataclass(frozen=True)
class Visitor:
    id: str  # random, 22 characters of base64url
    persona_id: str

    @property
    def client_ref(self) -> str:
        """The visitor's identity on the web channel (Client.external_id)."""
        return f"widget:{self.id}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class VisitorTokens:
    """Makes and checks visitor tokens with a key derived from `secret` (the server's session secret:
    a token stays valid across restarts and across the web processes of one deployment)."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("visitor tokens need a server secret")
        self._key = hmac.new(secret.encode(), b"echome web chat visitor v1", hashlib.sha256).digest()

    def _sign(self, persona_id: str, visitor_id: str) -> str:
        return _b64(hmac.new(self._key, f"{persona_id}:{visitor_id}".encode(), hashlib.sha256).digest())

    def issue(self, persona_id: str) -> tuple[Visitor, str]:
        visitor = Visitor(_b64(secrets.token_bytes(16)), persona_id)
        return visitor, f"v1.{visitor.id}.{self._sign(persona_id, visitor.id)}"

    def check(self, persona_id: str, token: str | None) -> Visitor:
        if not token:
            raise VisitorRefused(f"no visitor token: send the one from POST /visitor in {HEADER}")
        match = _TOKEN.match(token.strip())
        if match is None:
            raise VisitorRefused("the visitor token is malformed")
        visitor_id, signature = match.groups()
        if not hmac.compare_digest(signature, self._sign(persona_id, visitor_id)):
            raise VisitorRefused("the visitor token is not valid for this chat")
        return Visitor(visitor_id, persona_id)
