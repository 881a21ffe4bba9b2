"""How JSON columns are written and read: orjson (several times faster than the standard library
on the many small dicts an import writes: every chunk's row carries one), with the standard
library as the fallback for what orjson refuses - integers beyond 64 bits, a lone surrogate in a
string, and NaN/Infinity written by earlier versions - so any value stored before still reads back
the same, and nothing that serialised before fails now."""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS  # {1: ...} is written {"1": ...}, as json.dumps does


def dumps(value: Any) -> str:
    try:
        return orjson.dumps(value, option=_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError: a value only the standard library writes (or none)
        return json.dumps(value)


def loads(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except ValueError:  # orjson.JSONDecodeError: NaN and the like, which json.dumps used to write
        return json.loads(text)
