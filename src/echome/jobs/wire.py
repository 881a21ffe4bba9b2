"""What travels through the queue: JSON naming a task and its job id, never pickle.

Huey pickles messages by default, and unpickling runs whatever the bytes say: anyone who can write
to Redis or to queue.db could run code in every worker. This serializer writes and reads plain JSON
with a fixed shape (a task name, string arguments, timestamps); anything else, pickle included, is
refused before it becomes a task, and Huey's consumer logs it and carries on."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from huey.registry import Message
from huey.serializer import Serializer

VERSION = 1
_INTS = ("retries", "retry_delay")
_NUMBERS = ("priority", "timeout", "retry_backoff", "expires")
_TIMES = ("eta", "expires_resolved")


class RefusedMessage(ValueError):
    """Queue data that is not one of our JSON messages (a planted pickle, a foreign writer)."""


def _time(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise RefusedMessage(f"{name} must be a datetime")
    return value.isoformat()


def _number(value: Any, name: str) -> int | float | None:
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    raise RefusedMessage(f"{name} must be a number")


class JsonSerializer(Serializer):  # type: ignore[misc]
    """Task messages as `{"v": 1, "task": {...}}`; other stored values (Huey's revocation flags) as
    `{"v": 1, "data": ...}` with datetimes tagged."""

    def _serialize(self, data: Any) -> bytes:
        if isinstance(data, Message):
            body: dict[str, Any] = {"v": VERSION, "task": _task_json(data)}
        else:
            body = {"v": VERSION, "data": _to_json(data)}
        return json.dumps(body, separators=(",", ":"), allow_nan=False).encode()

    def _deserialize(self, data: bytes) -> Any:
        try:
            body = json.loads(data)
        except (ValueError, RecursionError):  # pickle's opcodes are not JSON: nothing was run
            raise RefusedMessage("queue message is not JSON; refused") from None
        if not isinstance(body, dict) or body.get("v") != VERSION:
            raise RefusedMessage("queue message has no known version; refused")
        if "task" in body:
            return _task_from_json(body["task"])
        if "data" in body:
            return _from_json(body["data"])
        raise RefusedMessage("queue message has neither a task nor data; refused")


def _task_json(m: Message) -> dict[str, Any]:
    if m.on_complete is not None or m.on_error is not None or m.chord_config is not None:
        raise RefusedMessage("pipelines and chords are not sent through this queue")
    args, kwargs = list(m.args or ()), dict(m.kwargs or {})
    if not all(isinstance(a, str) for a in args) or kwargs:
        raise RefusedMessage("a queued task takes string arguments only (job ids)")
    out: dict[str, Any] = {"id": m.id, "name": m.name, "args": args}
    out.update({k: getattr(m, k) for k in _INTS})
    out.update({k: _number(getattr(m, k), k) for k in _NUMBERS})
    out.update({k: _time(getattr(m, k), k) for k in _TIMES})
    return out


def _task_from_json(t: Any) -> Message:
    if not isinstance(t, dict):
        raise RefusedMessage("task is not an object")
    if not isinstance(t.get("id"), str) or not isinstance(t.get("name"), str):
        raise RefusedMessage("task needs a string id and name")
    args = t.get("args")
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise RefusedMessage("task arguments must be strings")
    fields: dict[str, Any] = {"id": t["id"], "name": t["name"], "args": tuple(args), "kwargs": {}}
    for k in _INTS:
        value = t.get(k, 0)
        if not isinstance(value, int) or isinstance(value, bool):
            raise RefusedMessage(f"{k} must be an integer")
        fields[k] = value
    for k in _NUMBERS:
        fields[k] = _number(t.get(k), k)
    for k in _TIMES:
        value = t.get(k)
        try:
            fields[k] = None if value is None else datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise RefusedMessage(f"{k} must be an ISO timestamp") from None
    return Message(**fields)


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _to_json(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise RefusedMessage(f"cannot put a {type(value).__name__} in the queue")


def _from_json(value: Any) -> Any:
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"$datetime"} and isinstance(value["$datetime"], str):
            return datetime.fromisoformat(value["$datetime"])
        return {k: _from_json(v) for k, v in value.items()}
    return value
