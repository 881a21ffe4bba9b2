"""Sending one HTTP request to a cloud API, trying again after transient failures.

Transient: connection errors, timeouts, the statuses in TRANSIENT_STATUSES and 2xx bodies that are
not what the API promises. Waits grow exponentially with jitter unless the server names its own
(Retry-After); a server that asks for longer than `max_wait` fails at once instead of stalling a
live reply.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from echome.providers.base import ProviderError

# Timeouts, conflicts, rate limits, server errors and Anthropic's 529 (overloaded).
TRANSIENT_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})


class MalformedBody(Exception):
    """A 2xx answer whose body is not what the API promises (proxies and overloaded servers do this)."""


def scrub(text: str, secret: str | None) -> str:
    """Error text for logs and users: never the key, never a page of HTML."""
    if secret:
        text = text.replace(secret, "***")
    return " ".join(text.split())[:300]


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """How long the server asks us to wait: `retry-after-ms`, `retry-after` seconds or an HTTP date."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return max(0.0, float(headers.get(name, "")) * scale)
        except ValueError:
            pass
    try:
        when = parsedate_to_datetime(headers.get("retry-after", ""))
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class RetryPolicy:
    """`max_retries` more attempts after the first; waits of min(cap, base * 2**n) times 0.5 to 1,
    or what the server's Retry-After asks for."""

    def __init__(
        self,
        *,
        max_retries: int = 2,
        base: float = 0.5,
        cap: float = 8.0,
        max_wait: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.max_retries = max(0, max_retries)
        self.base = base
        self.cap = cap
        self.max_wait = max_wait
        self.sleep = sleep
        self._rng = random.Random()

    def send(
        self,
        client: httpx.Client,
        request: httpx.Request,
        *,
        vendor: str,
        describe: Callable[[httpx.Response], str],
        stream: bool = False,
        parse: Callable[[httpx.Response], Any] | None = None,
    ) -> Any:
        """Send `request`; returns `parse(response)`, or the open response when `parse` is None.

        A failure that is not transient raises ProviderError at once; running out of attempts raises
        ProviderError(transient=True) naming the last problem.
        """
        for attempt in range(self.max_retries + 1):
            retry_after: float | None = None
            try:
                response = client.send(request, stream=stream)
            except httpx.TimeoutException:
                problem = f"{vendor} did not answer within the timeout"
            except httpx.TransportError as exc:
                problem = f"{vendor} unreachable ({type(exc).__name__})"
            else:
                if response.status_code < 400:
                    if parse is None:
                        return response
                    try:
                        return parse(response)
                    except MalformedBody as exc:
                        problem = f"{vendor} sent a malformed answer ({exc})"
                else:
                    if stream:
                        response.read()
                        response.close()
                    problem = describe(response)
                    if response.status_code not in TRANSIENT_STATUSES:
                        raise ProviderError(problem, transient=False)
                    retry_after = retry_after_seconds(response.headers)
            if attempt == self.max_retries:
                tries = f"{attempt + 1} attempt{'s' if attempt else ''}"
                raise ProviderError(f"{problem} (gave up after {tries})", transient=True)
            if retry_after is not None and retry_after > self.max_wait:
                raise ProviderError(f"{problem} (asked to wait {retry_after:.0f} s; gave up)", transient=True)
            if retry_after is None:
                retry_after = min(self.cap, self.base * 2**attempt) * self._rng.uniform(0.5, 1.0)
            self.sleep(retry_after)
        raise AssertionError("unreachable")  # pragma: no cover
