"""Bot API wire helpers for the fake Telegram server: reading request parameters the way the real
server does (strings, numbers, booleans and JSON-encoded objects, whichever transport carried them),
checking webhook URLs, and parsing `parse_mode` markup into the text Telegram would keep (raising
its real errors for bad markup).
"""

from __future__ import annotations

import ipaddress
import json
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from starlette.responses import JSONResponse

from tests.servers import ApiError

WEBHOOK_PORTS = {80, 88, 443, 8443}
PARSE_MODES = {"html": "HTML", "markdown": "Markdown", "markdownv2": "MarkdownV2"}
HTML_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "tg-emoji",
    "code", "pre", "blockquote",
}  # fmt: skip
_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")


def ok(result: Any, description: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": True, "result": result}
    if description:
        body["description"] = description
    return JSONResponse(body)


def str_param(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value)


def int_param(params: dict[str, Any], name: str, default: int) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise ApiError(400, f'Bad Request: parameter "{name}" is not a number') from None


def bool_param(params: dict[str, Any], name: str) -> bool:
    value = params.get(name)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return bool(value)


def obj_param(params: dict[str, Any], name: str, error: str) -> Any:
    value = params.get(name)
    if not isinstance(value, str):
        return value
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        raise ApiError(400, error) from None


def str_list_param(params: dict[str, Any], name: str) -> list[str] | None:
    value = obj_param(params, name, f"Bad Request: can't parse {name} JSON array")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(400, f"Bad Request: can't parse {name} JSON array")
    return value


def check_webhook_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
    if not parts.hostname:
        raise ApiError(400, "Bad Request: bad webhook: Failed to resolve host: Name or service not known")
    try:
        port = parts.port or 443
    except ValueError:
        raise ApiError(400, "Bad Request: bad webhook: Wrong port number specified in the URL") from None
    if port not in WEBHOOK_PORTS:
        raise ApiError(
            400, "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
        )
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return
    if not address.is_global:
        raise ApiError(400, f"Bad Request: bad webhook: IP address {address} is reserved")


def parse_mode_param(params: dict[str, Any]) -> str | None:
    mode = str_param(params, "parse_mode")
    if not mode:
        return None
    if mode.lower() not in PARSE_MODES:
        raise ApiError(400, "Bad Request: unsupported parse_mode")
    return PARSE_MODES[mode.lower()]


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (entity offsets, text limits): UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def plain_text(text: str, parse_mode: str | None) -> str:
    """The text left once Telegram has parsed the markup (raising its errors for bad markup)."""
    if parse_mode == "HTML":
        return HtmlText.parse(text)
    if parse_mode == "MarkdownV2":
        return markdown_v2_text(text)
    if parse_mode == "Markdown":
        unlinked = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
        return re.sub(r"[*_`]", "", unlinked)
    return text


class HtmlText(HTMLParser):
    """Telegram's HTML subset: known tags only, properly closed; returns the text without tags."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.out: list[str] = []
        self.stack: list[str] = []

    @classmethod
    def parse(cls, source: str) -> str:
        parser = cls(source)
        parser.feed(source)
        parser.close()
        if parser.stack:
            raise ApiError(
                400,
                f"Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
                f'"{parser.stack[-1]}"',
            )
        return "".join(parser.out)

    def _offset(self) -> int:
        line, col = self.getpos()
        lines = self.source.splitlines(keepends=True)
        return len(("".join(lines[: line - 1]) + (lines[line - 1][:col] if lines else "")).encode())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in HTML_TAGS:
            raise ApiError(
                400,
                f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}" at byte offset '
                f"{self._offset()}",
            )
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise ApiError(
                400, f"Bad Request: can't parse entities: Unexpected end tag at byte offset {self._offset()}"
            )
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.out.append(data)


def markdown_v2_text(text: str) -> str:
    """Check MarkdownV2 the way Telegram does for its most common failure (a reserved character not
    escaped) and return the text without markup."""
    out: list[str] = []
    i, in_code, in_url = 0, False, False
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if ch == "`":
            in_code = not in_code
        elif in_code:
            out.append(ch)
        elif in_url:
            in_url = ch != ")"
        elif ch == "]" and text[i + 1 : i + 2] == "(":
            in_url = True
            i += 1
        elif ch in "*_~[" or text[i : i + 2] in ("||", "!["):
            i += 2 if ch == "|" else 1
            continue
        elif ch == ">" and (i == 0 or text[i - 1] == "\n"):
            pass
        elif ch in _MDV2_RESERVED:
            raise ApiError(
                400,
                f"Bad Request: can't parse entities: Character '{ch}' is reserved and must be escaped "
                "with the preceding '\\'",
            )
        else:
            out.append(ch)
        i += 1
    return "".join(out)
