"""Testing a stored provider key: one free, read-only call to the provider with a short timeout,
answered in the seller's words ("OpenAI accepted this key", "could not reach OpenAI").

    check = KeyChecker(KeyEndpoints(openai_base_url="https://api.openai.com/v1"))
    result = check("openai", secret)   # KeyCheck(ok=True, message="OpenAI accepted this key.")
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

VENDORS = {"openai": "OpenAI", "anthropic": "Anthropic", "elevenlabs": "ElevenLabs", "cohere": "Cohere"}
TIMEOUT_SECONDS = 6.0


@dataclass(frozen=True)
class KeyEndpoints:
    openai_base_url: str = "https://api.openai.com/v1"
    anthropic_base_url: str = "https://api.anthropic.com"
    elevenlabs_base_url: str = "https://api.elevenlabs.io"
    cohere_base_url: str = "https://api.cohere.com"


@dataclass(frozen=True)
class KeyCheck:
    ok: bool
    message: str


def checkable(provider: str) -> bool:
    return provider in VENDORS


@dataclass(frozen=True)
class KeyChecker:
    endpoints: KeyEndpoints = KeyEndpoints()
    timeout: float = TIMEOUT_SECONDS
    transport: httpx.BaseTransport | None = None  # tests hand in a fake

    def _request(self, provider: str, secret: str) -> tuple[str, dict[str, str]]:
        e = self.endpoints
        if provider == "openai":  # listing models is free and needs a valid key
            return e.openai_base_url.rstrip("/") + "/models", {"Authorization": f"Bearer {secret}"}
        if provider == "anthropic":
            return e.anthropic_base_url.rstrip("/") + "/v1/models", {
                "x-api-key": secret,
                "anthropic-version": "2023-06-01",
            }
        if provider == "elevenlabs":
            return e.elevenlabs_base_url.rstrip("/") + "/v1/user", {"xi-api-key": secret}
        return e.cohere_base_url.rstrip("/") + "/v1/models", {"Authorization": f"Bearer {secret}"}

    def __call__(self, provider: str, secret: str) -> KeyCheck:
        vendor = VENDORS.get(provider)
        if vendor is None:
            return KeyCheck(False, "This key cannot be tested from here.")
        url, headers = self._request(provider, secret)
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
                status = client.get(url, headers=headers).status_code
        except httpx.HTTPError:
            return KeyCheck(
                False, f"Could not reach {vendor} from this server (offline?). The key is kept; try later."
            )
        if status in (401, 403):
            return KeyCheck(False, f"{vendor} rejected this key: it is mistyped, revoked or lacks access.")
        if status == 429:
            return KeyCheck(True, f"{vendor} accepted this key, but says it is over its rate limit or quota.")
        if 200 <= status < 300:
            return KeyCheck(True, f"{vendor} accepted this key.")
        return KeyCheck(False, f"{vendor} answered with an error ({status}); try again in a moment.")
