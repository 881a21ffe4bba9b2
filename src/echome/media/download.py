"""Fetch media with yt-dlp: YouTube videos and playlists, and anything else yt-dlp supports.

Only the best audio stream is downloaded (no video when the site offers audio alone); audio is
extracted afterwards with PyAV, so yt-dlp's own ffmpeg post-processing is not used.

Every connection yt-dlp makes goes through an `EgressGateway` (its SOCKS proxy for this fetch), so
the egress policy decides each redirect hop, manifest, fragment and embedded media URL. yt-dlp is
kept from handing URLs to programs that would not use that proxy: it gets no ffmpeg (it would run
ffmpeg on HLS streams with features its own downloader lacks), no external downloaders, and only
formats its own HTTP, HLS and DASH downloaders fetch.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from echome.media.audio import span
from echome.net.egress import EgressPolicy
from echome.net.gateway import EgressGateway

log = logging.getLogger("echome.media")

# What the seller reads whenever a connection was refused or failed: one text for a refused address,
# a closed port, a silent host and a name that does not resolve, so it tells nothing about them.
UNREACHABLE = "the site could not be reached; check the address, or download the file and upload it"
# The formats yt-dlp's own downloaders fetch (plain HTTP, HLS, DASH), best audio first.
_FORMAT = "/".join(
    f"{what}[protocol^={proto}]" for what in ("bestaudio", "best") for proto in ("http", "m3u8")
)
_NO_FFMPEG = os.path.join(os.devnull, "ffmpeg")  # a path that cannot exist: yt-dlp runs no ffmpeg


class DownloadError(ValueError):
    """A URL could not be fetched; the message is meant for the seller."""


@dataclass
class DownloadedMedia:
    path: Path
    title: str
    source_url: str  # the page URL of this item (a playlist entry's own URL)
    media_id: str
    duration: float | None
    uploader: str | None = None
    extractor: str = ""
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class Entry:
    url: str
    title: str
    duration: float | None


ProgressFn = Callable[[float, str], None]


class _Quiet:
    """yt-dlp logger that keeps its console output out of ours (errors come back as exceptions)."""

    def debug(self, msg: str) -> None:
        pass

    def info(self, msg: str) -> None:
        pass

    def warning(self, msg: str) -> None:
        pass

    def error(self, msg: str) -> None:
        pass


def _ydl_params(dest: Path, *, proxy: str, max_bytes: int | None, socket_timeout: float) -> dict[str, Any]:
    params: dict[str, Any] = {
        "proxy": proxy,
        "format": _FORMAT,
        "external_downloader": {"default": "native"},
        "hls_prefer_native": True,
        "concurrent_fragment_downloads": 1,
        "ffmpeg_location": _NO_FFMPEG,
        "fixup": "never",
        "outtmpl": str(dest / "%(id).80s.%(ext)s"),
        "restrictfilenames": True,
        "quiet": True,
        "logger": _Quiet(),
        "no_warnings": True,
        "noprogress": True,
        "socket_timeout": socket_timeout,
        "retries": 3,
        "fragment_retries": 3,
        "noplaylist": False,
        "ignoreerrors": False,
        "cachedir": False,
        "overwrites": True,
    }
    if max_bytes:
        params["max_filesize"] = max_bytes
    return params


def list_entries(
    url: str, *, egress: EgressPolicy, max_items: int = 50, socket_timeout: float = 20.0
) -> list[Entry]:
    """Expand a URL into the media items it holds (one for a video, several for a playlist)."""
    import yt_dlp

    with EgressGateway(egress, connect_timeout=socket_timeout) as gateway:
        params = _ydl_params(
            Path("."), proxy=gateway.proxy_url, max_bytes=None, socket_timeout=socket_timeout
        )
        params.update({"extract_flat": "in_playlist", "playlistend": max_items, "skip_download": True})
        try:
            with yt_dlp.YoutubeDL(params) as ydl:
                info = ydl.extract_info(url, download=False)
        except Exception as exc:  # yt-dlp raises many types; all mean "this URL did not work"
            raise DownloadError(_failure(exc, url, gateway)) from exc
    if info is None:
        raise DownloadError(f"nothing to download at {url}")
    if info.get("_type") in ("playlist", "multi_video"):
        entries = []
        for e in list(info.get("entries") or [])[:max_items]:
            if not e:
                continue
            entry_url = e.get("url") or e.get("webpage_url") or e.get("original_url")
            if entry_url:
                entries.append(Entry(entry_url, e.get("title") or entry_url, _num(e.get("duration"))))
        if not entries:
            raise DownloadError(f"the playlist at {url} has no playable items")
        return entries
    return [Entry(url, info.get("title") or url, _num(info.get("duration")))]


def download(
    url: str,
    dest: Path,
    *,
    egress: EgressPolicy,
    max_seconds: float,
    max_bytes: int | None = None,
    progress: ProgressFn | None = None,
    socket_timeout: float = 20.0,
) -> DownloadedMedia:
    """Download one media item's best audio into `dest`; refuses items longer than `max_seconds`."""
    dest.mkdir(parents=True, exist_ok=True)
    with EgressGateway(egress, connect_timeout=socket_timeout) as gateway:
        params = _ydl_params(
            dest, proxy=gateway.proxy_url, max_bytes=max_bytes, socket_timeout=socket_timeout
        )
        return _download(
            url, dest, params, gateway, max_seconds=max_seconds, max_bytes=max_bytes, progress=progress
        )


def _download(
    url: str,
    dest: Path,
    params: dict[str, Any],
    gateway: EgressGateway,
    *,
    max_seconds: float,
    max_bytes: int | None,
    progress: ProgressFn | None,
) -> DownloadedMedia:
    import yt_dlp

    params["noplaylist"] = True
    too_long: list[float] = []

    def check(info: dict[str, Any], *, incomplete: bool = False) -> str | None:
        if info.get("is_live"):
            return "live streams are not supported"
        duration = _num(info.get("duration"))
        if duration is not None and duration > max_seconds:
            too_long.append(duration)
            return "too long"
        return None

    params["match_filter"] = check

    def hook(d: dict[str, Any]) -> None:
        if progress is None or d.get("status") != "downloading":
            return
        total = d.get("total_bytes") or d.get("total_bytes_estimate")
        done = d.get("downloaded_bytes") or 0
        if total:
            progress(min(1.0, done / total), f"downloading {done / 1e6:.1f}/{total / 1e6:.1f} MB")

    params["progress_hooks"] = [hook]
    try:
        with yt_dlp.YoutubeDL(params) as ydl:
            info = ydl.extract_info(url, download=True)
    except Exception as exc:
        raise DownloadError(_failure(exc, url, gateway)) from exc
    if too_long:
        raise DownloadError(
            f"the video is {span(too_long[0])} long; the limit is {span(max_seconds)} "
            "(ECHOME_MAX_MEDIA_MINUTES)"
        )
    if not info:
        raise DownloadError(f"nothing to download at {url}")
    if info.get("_type") in ("playlist", "multi_video"):
        entries = [e for e in info.get("entries") or [] if e]
        if not entries:
            raise DownloadError(f"nothing to download at {url}")
        info = entries[0]
    files = [Path(d["filepath"]) for d in info.get("requested_downloads") or [] if d.get("filepath")]
    path = next((f for f in files if f.exists()), None)
    if path is None:
        if gateway.failures:
            raise DownloadError(UNREACHABLE)
        if max_bytes and info.get("filesize") and info["filesize"] > max_bytes:
            raise DownloadError(f"the file is larger than the {max_bytes / 1e6:.0f} MB limit")
        raise DownloadError(f"yt-dlp found media at {url} but saved no file")
    return DownloadedMedia(
        path=path,
        title=str(info.get("title") or path.stem),
        source_url=str(info.get("webpage_url") or url),
        media_id=str(info.get("id") or path.stem),
        duration=_num(info.get("duration")),
        uploader=info.get("uploader"),
        extractor=str(info.get("extractor_key") or info.get("extractor") or ""),
    )


_REASONS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"private video", re.I),
        "the video is private; make it public or unlisted, or upload the file",
    ),
    (
        re.compile(r"video unavailable|has been removed|no longer available|account .* terminated", re.I),
        "the video was removed or is unavailable",
    ),
    (re.compile(r"sign in to confirm your age|age-restricted", re.I), "the video is age-restricted"),
    (re.compile(r"HTTP Error 404|404: Not Found", re.I), "the address returned 404 Not Found"),
    (re.compile(r"HTTP Error 40[13]", re.I), "the server refused access (401/403)"),
    (re.compile(r"HTTP Error 5\d\d", re.I), "the server had an error (5xx); try again later"),
    (re.compile(r"Unsupported URL", re.I), "no video or audio was found at this address"),
    (re.compile(r"is not a valid URL|Invalid URL|unknown url type", re.I), "this is not a valid web address"),
    (re.compile(r"File is larger than max-filesize", re.I), "the file is larger than the upload limit"),
    (
        re.compile(r"ffmpeg could not be found|ffmpeg (?:is )?not (?:found|installed)", re.I),
        "this kind of stream (encrypted or live) cannot be fetched; download the file and upload it",
    ),
]
_NETWORK = re.compile(
    r"timed out|Connection refused|Name or service not known|getaddrinfo|Network is unreachable|"
    r"proxy|socks",
    re.I,
)


def _failure(exc: BaseException, url: str, gateway: EgressGateway) -> str:
    """The seller's reason for a failed fetch. Any refused or failed connection gives UNREACHABLE
    (the details are in the server log, written by the gateway), whatever yt-dlp made of it."""
    if gateway.failures or _NETWORK.search(str(exc)):
        log.info("media fetch failed: connection", extra={"url": url, "error": hide_paths(str(exc))[:500]})
        return UNREACHABLE
    return hide_paths(explain(exc, url))


def explain(exc: BaseException, url: str) -> str:
    """The seller's reason for a failed URL: what it means, then what the site or yt-dlp actually said
    ("HTTP Error 404: Not Found", "Unsupported URL", "Video unavailable ..."), then the URL."""
    if _NETWORK.search(str(exc)):
        return UNREACHABLE
    cause = _cause(str(exc), url)
    for pattern, reason in _REASONS:
        if pattern.search(str(exc)):
            return f"{reason} — {cause} ({url})" if cause else f"{reason} ({url})"
    return f"could not download {url}: {cause or type(exc).__name__}"


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_EXTRACTOR_PREFIX = re.compile(r"^\[[\w:.-]+\]\s*(?:[^\s:]+:\s+)?")
_CONNECTION = re.compile(r"HTTPS?Connection\([^)]*\):\s*")


def _cause(text: str, url: str) -> str:
    """yt-dlp's own message, without its decorations: colour codes, "ERROR:", "[generic] id:",
    the repeated "(caused by ...)" tail and the URL itself."""
    text = _ANSI.sub("", text).strip()
    text = re.sub(r"^ERROR:\s*", "", text)
    text = _EXTRACTOR_PREFIX.sub("", text)
    cut = text.find(" (caused by ")
    if cut > 0:
        text = text[:cut]
    text = _CONNECTION.sub("", text)
    text = text.replace(f": {url}", "")
    text = re.sub(r";?\s*please report this issue on.*$", "", text, flags=re.I | re.S)
    text = " ".join(text.split()).rstrip(" ;:")
    return text[:300]


_ABSOLUTE_PATH = re.compile(r"""(?<![\w:/.%~-])(?:/[^\s/'"()\[\]<>:,;]+){2,}""")


def hide_paths(text: str) -> str:
    """`text` with absolute file paths (the server's temporary folders) cut to the file's name, or
    to "…" when the path does not end in one (a message cut short in the middle of a path)."""

    def short(m: re.Match[str]) -> str:
        name = m.group(0).rsplit("/", 1)[-1]
        return name if re.search(r"\.\w{1,5}$", name) else "…"

    return _ABSOLUTE_PATH.sub(short, text)


def transient(message: str) -> bool:
    """Worth retrying: the site said it had an error. An unreachable site is not retried: a retry
    would tell a closed port (a timeout) apart from a refused address."""
    return "try again later" in message


def _num(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
