"""Which sites may use a persona's web chat: origins (`scheme://host[:port]`) the seller allowed.

Browsers name the page's origin in the `Origin` header of every cross-site request; the widget's API
answers with CORS headers only for the persona's allowed origins (and the server's own, for the
hosted chat page), and refuses writes from any other with a 403. A request without `Origin` is not
from a page (curl, a server): CORS does not apply to it, and the visitor token and rate limits still
do.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

MAX_ORIGINS = 50
_DEFAULT_PORTS = {"http": 80, "https": 443}
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class OriginError(ValueError):
    """Not an origin a browser would send; the message says what is wrong with it."""


def _host(host: str) -> str:
    if host.startswith("[") and host.endswith("]"):
        try:
            return f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
        except ValueError:
            raise OriginError(f"{host} is not an IPv6 address") from None
    try:
        return str(ipaddress.IPv4Address(host))
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()  # "bücher.de" → "xn--bcher-kva.de"
    except UnicodeError:
        raise OriginError(f"{host!r} is not a valid host name") from None
    labels = ascii_host.split(".")
    if not all(_LABEL.match(label) for label in labels) or len(ascii_host) > 253:
        raise OriginError(f"{host!r} is not a valid host name")
    return ascii_host


def normalise_origin(value: str) -> str:
    """`value` as browsers write it in `Origin` (lower case, IDN as punycode, no default port), or
    OriginError: only http(s), a host, an optional port; no path, query, fragment, user or wildcard."""
    raw = (value or "").strip()
    if not raw:
        raise OriginError("an origin is required, e.g. https://shop.example.com")
    if "*" in raw:
        raise OriginError("wildcards are not accepted: list each site, e.g. https://shop.example.com")
    if any(c.isspace() for c in raw) or len(raw) > 300:
        raise OriginError(f"{raw[:80]!r} is not an origin")
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not raw.lower().startswith(f"{scheme}://"):
        raise OriginError(f"{raw!r}: an origin starts with https:// (or http://)")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise OriginError(f"{raw!r}: an origin has no user name or password")
    if parts.path not in ("", "/") or parts.query or parts.fragment or raw.endswith(("?", "#")):
        raise OriginError(f"{raw!r}: an origin has no path, query or fragment; use {scheme}://{parts.netloc}")
    try:
        port = parts.port
    except ValueError:
        raise OriginError(f"{raw!r}: the port is not a number from 1 to 65535") from None
    hostname = (
        parts.netloc.rsplit(":", 1)[0] if port is not None or parts.netloc.endswith(":") else parts.netloc
    )
    if not hostname:
        raise OriginError(f"{raw!r}: the host is missing")
    host = _host(hostname.lower())
    if port == 0:
        raise OriginError(f"{raw!r}: the port is not a number from 1 to 65535")
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def normalise_origins(values: Iterable[str]) -> list[str]:
    """Each origin normalised, duplicates dropped, order kept; OriginError names every bad one."""
    out: list[str] = []
    problems: list[str] = []
    for value in values:
        try:
            origin = normalise_origin(value)
        except OriginError as exc:
            problems.append(str(exc))
            continue
        if origin not in out:
            out.append(origin)
    if problems:
        raise OriginError("; ".join(problems))
    if len(out) > MAX_ORIGINS:
        raise OriginError(f"at most {MAX_ORIGINS} sites can be allowed")
    return out


def allowed_origins(chat_settings: dict[str, object] | None) -> tuple[str, ...]:
    """The persona's allowed origins from its chat settings (anything malformed is left out)."""
    values = (chat_settings or {}).get("allowed_origins")
    if not isinstance(values, list):
        return ()
    out = []
    for value in values:
        if isinstance(value, str):
            try:
                out.append(normalise_origin(value))
            except OriginError:
                continue
    return tuple(dict.fromkeys(out))


def request_origin(value: str | None) -> str | None:
    """The `Origin` header as a comparable origin; None when absent. "null" (a sandboxed frame, a
    file:// page) and anything malformed compare equal to no allowed origin."""
    if value is None:
        return None
    try:
        return normalise_origin(value)
    except OriginError:
        return "null"


def frame_ancestors(origins: Iterable[str]) -> str:
    """The CSP `frame-ancestors` value for the hosted chat page: the allowed sites, or none."""
    listed = " ".join(origins)
    return f"frame-ancestors {listed}" if listed else "frame-ancestors 'none'"
