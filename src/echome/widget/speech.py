"""Speech for the web chat: sentences made by a few worker threads, first sentences first, and kept
for a short while for the visitor's browser to fetch.

Speech is the costly part of a reply (the local voice takes the CPU; a cloud voice a connection).
`SpeechScheduler` runs it on a fixed number of threads so that however many visitors talk at once,
text answers never wait behind speech; among waiting sentences the lowest priority number goes first,
so the first sentence of a new reply is not queued behind the fifth sentence of another.

`SentenceAudioCache` holds each sentence's audio until the widget has fetched it: in memory (one
process) or in Redis (web processes behind a load balancer: the audio request may reach another
process than the one that made it). The reply's whole voice note is stored for good once every
sentence is made (the seller's Conversations page plays it).

A cloud voice that streams (ElevenLabs) is not made ahead: its entry holds what to say (`to_stream`),
and the audio request that claims it (`claim`: a count shared by every web process, so a sentence is
sent to the voice a bounded number of times) streams the bytes to the browser, then puts the audio it
relayed in the entry's place.
"""

from __future__ import annotations

import itertools
import json
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar

from echome.jobs.runner import lower_thread_priority

log = logging.getLogger("echome.widget")
T = TypeVar("T")


class SpeechScheduler:
    """A priority queue of speech work run by `workers` daemon threads (started on first use), at a
    CPU priority lowered by `nice` (as the job threads are): text answers are never slowed by speech."""

    def __init__(self, workers: int = 2, *, nice: int = 0) -> None:
        self.workers = max(1, workers)
        self.nice = nice
        self._queue: queue.PriorityQueue[tuple[int, int, Future[Any], Callable[[], Any]]] = (
            queue.PriorityQueue()
        )
        self._order = itertools.count()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def submit(self, fn: Callable[[], T], *, priority: int = 0) -> Future[T]:
        """Run `fn` on a speech thread; a future cancelled before it starts is skipped."""
        self._start()
        future: Future[T] = Future()
        self._queue.put((priority, next(self._order), future, fn))
        return future

    @property
    def waiting(self) -> int:
        return self._queue.qsize()

    def _start(self) -> None:
        if len(self._threads) >= self.workers:
            return
        with self._lock:
            while len(self._threads) < self.workers:
                thread = threading.Thread(
                    target=self._run, name=f"widget-speech-{len(self._threads)}", daemon=True
                )
                thread.start()
                self._threads.append(thread)

    def _run(self) -> None:
        lower_thread_priority(self.nice)
        while True:
            _priority, _n, future, fn = self._queue.get()
            try:
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    future.set_result(fn())
                except BaseException as exc:  # handed to whoever waits for it
                    future.set_exception(exc)
            finally:
                self._queue.task_done()


@dataclass(frozen=True)
class SentenceAudio:
    """One sentence's audio and whom it may be given to. A sentence to be streamed has no audio yet
    but its `text` and `language`; `sentences` (how many its reply has) and `characters` (what the
    voice was given) let the reply's voice note be made once every streamed sentence is settled."""

    visitor_id: str
    persona_id: str
    content_type: str
    audio: bytes
    text: str | None = None
    language: str | None = None
    sentences: int = 0
    characters: int = 0

    @property
    def to_stream(self) -> bool:
        return self.text is not None

    def settled(self, audio: bytes, characters: int) -> SentenceAudio:
        """This sentence once streamed: the audio relayed (maybe cut short, maybe none)."""
        return replace(self, audio=audio, text=None, characters=characters)


class SentenceAudioCache(Protocol):
    def put(self, key: str, item: SentenceAudio) -> None: ...

    def get(self, key: str) -> SentenceAudio | None: ...

    def claim(self, key: str) -> int:
        """Count one more use of `key` (a stream opened, a voice note made): 1 the first time. Atomic
        across every process sharing the cache; forgotten with the entry."""
        ...

    def drop(self, prefix: str) -> None:
        """Forget every entry whose key starts with `prefix` (a message's sentences)."""
        ...


class MemorySentenceAudio:
    """In-process: least recently stored entries go first beyond `max_bytes`, any after `ttl` seconds."""

    def __init__(self, *, max_bytes: int = 64 * 1024 * 1024, ttl: float = 900.0) -> None:
        self.max_bytes, self.ttl = max_bytes, ttl
        self._items: OrderedDict[str, tuple[float, SentenceAudio]] = OrderedDict()
        self._claims: dict[str, tuple[float, int]] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def put(self, key: str, item: SentenceAudio) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old[1].audio)
            self._items[key] = (time.monotonic() + self.ttl, item)
            self._bytes += len(item.audio)
            while self._bytes > self.max_bytes and len(self._items) > 1:
                _key, (_expires, dropped) = self._items.popitem(last=False)
                self._bytes -= len(dropped.audio)

    def get(self, key: str) -> SentenceAudio | None:
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                del self._items[key]
                self._bytes -= len(entry[1].audio)
                return None
            return entry[1]

    def claim(self, key: str) -> int:
        now = time.monotonic()
        with self._lock:
            if len(self._claims) > 10_000:
                self._claims = {k: v for k, v in self._claims.items() if v[0] >= now}
            expires, count = self._claims.get(key, (0.0, 0))
            count = count + 1 if expires >= now else 1
            self._claims[key] = (now + self.ttl, count)
            return count

    def drop(self, prefix: str) -> None:
        with self._lock:
            for key in [k for k in self._items if k.startswith(prefix)]:
                self._bytes -= len(self._items.pop(key)[1].audio)
            for key in [k for k in self._claims if k.startswith(prefix)]:
                del self._claims[key]


class RedisSentenceAudio:
    """In Redis, each entry with its own expiry: every web process of a deployment can serve it."""

    def __init__(self, client: Any, *, namespace: str = "echome:widget-audio", ttl: int = 900) -> None:
        self.client, self.namespace, self.ttl = client, namespace, ttl

    def put(self, key: str, item: SentenceAudio) -> None:
        meta: dict[str, Any] = {
            "visitor": item.visitor_id,
            "persona": item.persona_id,
            "type": item.content_type,
        }
        if item.text is not None:
            meta["text"] = item.text
        if item.language is not None:
            meta["language"] = item.language
        if item.sentences or item.characters:
            meta.update(sentences=item.sentences, characters=item.characters)
        head = json.dumps(meta).encode()  # one line: JSON escapes the text's newlines
        self.client.set(f"{self.namespace}:{key}", head + b"\n" + item.audio, ex=self.ttl)

    def get(self, key: str) -> SentenceAudio | None:
        raw = self.client.get(f"{self.namespace}:{key}")
        if not raw:
            return None
        head, _, audio = bytes(raw).partition(b"\n")
        try:
            meta = json.loads(head)
            text, language = meta.get("text"), meta.get("language")
            return SentenceAudio(
                str(meta["visitor"]),
                str(meta["persona"]),
                str(meta["type"]),
                audio,
                text=None if text is None else str(text),
                language=None if language is None else str(language),
                sentences=int(meta.get("sentences", 0)),
                characters=int(meta.get("characters", 0)),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None

    def claim(self, key: str) -> int:
        name = f"{self.namespace}:{key}:claims"  # under the entry's key: `drop` forgets it too
        with self.client.pipeline() as pipe:
            pipe.incr(name)
            pipe.expire(name, self.ttl)
            count, _ = pipe.execute()
        return int(count)

    def drop(self, prefix: str) -> None:
        keys = list(self.client.scan_iter(match=f"{self.namespace}:{prefix}*", count=200))
        if keys:
            self.client.delete(*keys)
