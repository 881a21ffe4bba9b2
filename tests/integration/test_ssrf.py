"""SSRF: a seller's media URL cannot make the server connect anywhere internal.

Two real HTTP servers run on loopback: an "internal" one (127.0.0.1 and [::1] on one port) that
serves a playable recording on every path, and a "public" one (127.0.0.77, allowlisted here as a
stand-in for the internet) that redirects, embeds and lists whatever URL a test gives it. Every
internal-address variant must fail with the one generic text while the internal server sees no
connection at all; the server log must say the policy refused it (nothing was even tried); and no
socket in this process may connect anywhere but the gateway and the public server (an audit hook
watches `socket.connect`).
"""

from __future__ import annotations

import http.server
import ipaddress
import json
import logging
import socket
import statistics
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from echome.jobs import store as job_store
from echome.media import download as dl
from echome.media.audio import wav_bytes
from echome.net.egress import EgressPolicy, parse_networks, system_resolver

from ..support.sellers import seller_client

PUBLIC_HOST = "127.0.0.77"
WAV = wav_bytes(np.zeros(16000, np.float32), 16000)  # one second: a fetch that got through would succeed

# -- every socket.connect made in this process while a fetch runs --------------------------------
_connects: list[Any] = []
_recording = threading.Event()


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.connect" and _recording.is_set():
        _connects.append(args[1])


sys.addaudithook(_audit)


# -- servers --------------------------------------------------------------------------------------
class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Site

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        status, ctype, body, location = self.server.route(self.path)
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Site(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, port: int, role: str) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), _Handler)
        self.role = role
        self.connections = 0
        self.requests: list[str] = []

    def get_request(self) -> tuple[socket.socket, Any]:
        got = super().get_request()
        self.connections += 1  # counted before any byte is read: a TLS hello counts too
        return got

    def handle_error(self, request: object, client_address: object) -> None:
        pass

    def route(self, path: str) -> tuple[int, str, bytes, str | None]:
        parts = urllib.parse.urlsplit(path)
        q = dict(urllib.parse.parse_qsl(parts.query))
        if self.role == "internal":
            if parts.path == "/page.html":
                return 200, "text/html", b"<html><body><p>Intranet home</p></body></html>", None
            if parts.path == "/broken.mp4":
                return 200, "video/mp4", b"not a video" * 100, None
            return 200, "audio/wav", WAV, None
        if parts.path.startswith("/redirect/"):
            return int(parts.path.rsplit("/", 1)[1]), "text/plain", b"moved", q["to"]
        if parts.path == "/video.html":
            html = f'<html><head><title>t</title></head><body><video src="{q["src"]}"></video></body></html>'
            return 200, "text/html", html.encode(), None
        if parts.path == "/source.html":
            source = f'<source src="{q["src"]}" type="audio/wav">'
            return 200, "text/html", f"<html><body><video>{source}</video></body></html>".encode(), None
        if parts.path == "/stream.m3u8":
            key = f'#EXT-X-KEY:METHOD=SAMPLE-AES,URI="{q["key"]}"\n' if "key" in q else ""
            m3u8 = (
                "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n"
                f"{key}#EXTINF:4.0,\n{q['seg']}\n#EXT-X-ENDLIST\n"
            )
            return 200, "application/vnd.apple.mpegurl", m3u8.encode(), None
        if parts.path == "/talk.wav":
            return 200, "audio/wav", WAV, None
        return 404, "text/plain", b"not found", None


def _serve(site: _Site) -> _Site:
    threading.Thread(target=site.serve_forever, daemon=True).start()
    return site


@pytest.fixture(scope="module")
def internal() -> Iterator[list[_Site]]:
    """The internal server on 127.0.0.1 and [::1], one port number for both."""
    for _ in range(50):
        v4 = _Site("127.0.0.1", 0, "internal")
        try:
            v6 = _Site("::1", v4.server_address[1], "internal")
        except OSError:
            v4.server_close()
            continue
        sites = [_serve(v4), _serve(v6)]
        yield sites
        for s in sites:
            s.shutdown()
            s.server_close()
        return
    pytest.fail("no port free on both 127.0.0.1 and ::1")


@pytest.fixture(scope="module")
def public() -> Iterator[_Site]:
    site = _serve(_Site(PUBLIC_HOST, 0, "public"))
    yield site
    site.shutdown()
    site.server_close()


class Names:
    """A resolver for test names; other names go to the system resolver (localhost)."""

    def __init__(self, names: dict[str, list[str]]) -> None:
        self.names = names
        self.calls: list[str] = []

    def __call__(self, host: str) -> list[str]:
        self.calls.append(host)
        if host == "rebind.example.com":  # public when first checked, internal from then on
            return [PUBLIC_HOST] if self.calls.count(host) == 1 else ["127.0.0.1"]
        if host in self.names:
            return self.names[host]
        if host.endswith(".example.com") or host.endswith(".internal"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return system_resolver(host)


def _names() -> Names:
    return Names(
        {
            "media.example.com": ["127.0.0.1"],
            "v6.example.com": ["::1"],
            "mapped.example.com": ["::ffff:127.0.0.1"],
            "mixed.example.com": ["8.8.8.8", "127.0.0.1"],
            "ula.example.com": ["fd12:3456::1"],
            "metadata.google.internal": ["169.254.169.254"],
            "public.example.com": [PUBLIC_HOST],
        }
    )


def _policy(names: Names | None = None, allow: str = PUBLIC_HOST) -> EgressPolicy:
    return EgressPolicy(allow=parse_networks(allow), resolver=names or _names())


def fetch(url: str, policy: EgressPolicy, dest: Path) -> str:
    """What the media job does with a URL: expand it, then download each item. Returns the
    seller-facing error, or "fetched <file>"."""
    try:
        entries = dl.list_entries(url, egress=policy, socket_timeout=5)
        for e in entries:
            got = dl.download(e.url, dest, egress=policy, max_seconds=600, socket_timeout=5)
    except dl.DownloadError as exc:
        return str(exc)
    return f"fetched {got.path.name}"


# -- the variants -----------------------------------------------------------------------------------
def _q(url: str) -> str:
    return urllib.parse.quote(url, safe="")


def _redirect(code: int, to: str) -> str:
    return f"{{pub}}/redirect/{code}?to={_q(to)}"


# "{p}": the internal server's port; "{pub}": the public server's base URL (filled in per test)
_INTERNAL_URLS = [
    "http://127.0.0.1:{p}/secret.wav",
    "http://127.0.0.2:{p}/secret.wav",
    "http://localhost:{p}/secret.wav",
    "http://2130706433:{p}/secret.wav",  # decimal
    "http://0177.0.0.1:{p}/secret.wav",  # octal
    "http://0x7f000001:{p}/secret.wav",  # hex
    "http://0x7f.1:{p}/secret.wav",  # mixed short form
    "http://127.1:{p}/secret.wav",  # short form
    "http://0:{p}/secret.wav",  # 0.0.0.0, which Linux connects to itself
    "http://0.0.0.0:{p}/secret.wav",
    "http://[::1]:{p}/secret.wav",
    "http://[::]:{p}/secret.wav",
    "http://[::ffff:127.0.0.1]:{p}/secret.wav",  # IPv4-mapped
    "http://[::ffff:7f00:1]:{p}/secret.wav",
    "http://[::127.0.0.1]:{p}/secret.wav",  # IPv4-compatible
    "http://[2002:7f00:1::]:{p}/secret.wav",  # 6to4
    "http://[64:ff9b::7f00:1]:{p}/secret.wav",  # NAT64
    "https://127.0.0.1:{p}/secret.wav",
    "http://user:pass@127.0.0.1:{p}/secret.wav",
    "http://127.0.0.77:80@127.0.0.1:{p}/secret.wav",  # the host is after the @
    "http://media.example.com:{p}/secret.wav",  # a public-looking name for 127.0.0.1
    "http://v6.example.com:{p}/secret.wav",
    "http://mapped.example.com:{p}/secret.wav",
    "http://mixed.example.com:{p}/secret.wav",  # one public and one internal address
    "http://169.254.169.254/latest/meta-data/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://168.63.129.16/metadata/instance",  # Azure: a public address
    "http://100.100.100.200/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
    "http://10.0.0.1:{p}/secret.wav",
    "http://172.16.5.4:{p}/secret.wav",
    "http://192.168.1.1:{p}/secret.wav",
    "http://100.64.0.1:{p}/secret.wav",  # CGNAT
    "http://224.0.0.1:{p}/secret.wav",  # multicast
    "http://240.0.0.1:{p}/secret.wav",  # reserved
    "http://255.255.255.255:{p}/secret.wav",
    "http://[fc00::1]:{p}/secret.wav",  # unique local
    "http://ula.example.com:{p}/secret.wav",
    "http://[fe80::1]:{p}/secret.wav",  # link-local
    "http://[ff02::1]:{p}/secret.wav",
    "http://[::ffff:10.0.0.1]:{p}/secret.wav",
]
_SECRET = "http://127.0.0.1:{p}/secret.wav"
_SEGMENT = "http://127.0.0.1:{p}/seg0.ts"
_VIA_PUBLIC = {
    "redirect-302-loopback": _redirect(302, _SECRET),
    "redirect-301-localhost": _redirect(301, "http://localhost:{p}/secret.wav"),
    "redirect-307-ipv6-loopback": _redirect(307, "http://[::1]:{p}/secret.wav"),
    "redirect-second-hop-decimal": _redirect(302, _redirect(303, "http://2130706433:{p}/secret.wav")),
    "redirect-metadata": _redirect(302, "http://169.254.169.254/latest/meta-data/"),
    "redirect-name-for-loopback": _redirect(302, "http://media.example.com:{p}/secret.wav"),
    "html-video-src": "{pub}/video.html?src=" + _q(_SECRET),
    "html-source-src": "{pub}/source.html?src=" + _q("http://media.example.com:{p}/secret.wav"),
    "hls-segment": "{pub}/stream.m3u8?seg=" + _q(_SEGMENT),
    # a stream yt-dlp would hand to ffmpeg (which ignores its proxy): it is given no ffmpeg
    "hls-for-ffmpeg": "{pub}/stream.m3u8?seg=" + _q(_SEGMENT) + "&key=" + _q("http://127.0.0.1:{p}/k"),
}
VARIANTS = [pytest.param(u, id=u.replace(":{p}", "")) for u in _INTERNAL_URLS] + [
    pytest.param(u, id=name) for name, u in _VIA_PUBLIC.items()
]


def _fill(template: str, internal: list[_Site], public: _Site) -> str:
    """Put the servers' ports in, at every level of quoting the template nests them."""
    values = {
        "{pub}": f"http://{PUBLIC_HOST}:{public.server_address[1]}",
        "{p}": str(internal[0].server_address[1]),
    }
    for key, value in values.items():
        k, v = key, value
        for _ in range(3):
            template = template.replace(k, v)
            k, v = _q(k), _q(v)
    return template


def _reset(*sites: _Site) -> None:
    for s in sites:
        s.connections = 0
        s.requests.clear()


@pytest.mark.parametrize("template", VARIANTS)
def test_internal_addresses_are_never_fetched(
    template: str,
    internal: list[_Site],
    public: _Site,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = _fill(template, internal, public)
    assert "{" not in url and "%7B" not in url, url
    _reset(*internal, public)
    _connects.clear()
    caplog.set_level(logging.INFO, logger="echome.egress")
    _recording.set()
    try:
        said = fetch(url, _policy(), tmp_path / "dl")
    finally:
        _recording.clear()

    assert said.replace(url, "<url>") == _expected(template, internal, public, tmp_path), url
    assert [s.connections for s in internal] == [0, 0], "the internal server was reached"
    port = internal[0].server_address[1]
    ip_connects = [a for a in _connects if isinstance(a, tuple)]  # (Unix sockets are not network)
    assert ip_connects, "the fetch connected to the gateway"
    stray = [a for a in ip_connects if a[0] not in ("127.0.0.1", PUBLIC_HOST) or a[1] == port]
    assert not stray, stray  # only the gateway (127.0.0.1, its own port) and the public server
    kinds = [r.getMessage() for r in caplog.records if r.name == "echome.egress"]
    assert "outbound connection unreachable" not in kinds, kinds  # nothing was even tried...
    if "&key=" not in template:  # ...because the policy refused it (the ffmpeg stream stops earlier)
        assert "outbound connection refused" in kinds, kinds
    assert not [f for f in (tmp_path / "dl").rglob("*") if f.is_file()], "nothing was saved"


def _expected(template: str, internal: list[_Site], public: _Site, tmp_path: Path) -> str:
    """The one generic text; for a stream yt-dlp would hand to ffmpeg, the text the same stream
    gets when its segments are public (it must not depend on where they point)."""
    if "&key=" not in template:
        return dl.UNREACHABLE
    public_segments = _fill(template.replace(_q("http://127.0.0.1:{p}"), _q("{pub}")), internal, public)
    said = fetch(public_segments, _policy(), tmp_path / "same-stream-public")
    assert "ffmpeg" in said, said
    return said.replace(public_segments, "<url>")


def test_there_are_at_least_30_variants() -> None:
    assert len(VARIANTS) >= 30


def test_dns_rebinding_is_checked_at_every_connection(
    internal: list[_Site], public: _Site, tmp_path: Path
) -> None:
    names = _names()
    url = f"http://rebind.example.com:{public.server_address[1]}/talk.wav"
    _reset(*internal, public)
    said = fetch(url, _policy(names), tmp_path / "dl")
    assert [s.connections for s in internal] == [0, 0]
    assert names.calls.count("rebind.example.com") >= 2, "each connection resolves and checks again"
    assert said == dl.UNREACHABLE, said  # the second connection was refused


def test_the_allowlist_lets_a_lan_fetch_through(internal: list[_Site], public: _Site, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{internal[0].server_address[1]}/talk.wav"
    _reset(*internal)
    assert fetch(url, _policy(allow=PUBLIC_HOST), tmp_path / "a") == dl.UNREACHABLE
    assert internal[0].connections == 0
    said = fetch(url, _policy(allow=f"{PUBLIC_HOST}, 127.0.0.0/8"), tmp_path / "b")
    assert said == "fetched talk.wav", said
    assert (tmp_path / "b" / "talk.wav").read_bytes() == WAV
    assert internal[0].connections >= 1 and "/talk.wav" in internal[0].requests
    # a LAN network allowlisted does not open metadata addresses
    assert (
        _policy(allow="169.254.0.0/16").refusal(ipaddress.ip_address("169.254.169.254")) == "cloud metadata"
    )


def test_a_public_site_still_works_and_says_what_went_wrong(public: _Site, tmp_path: Path) -> None:
    base = f"http://public.example.com:{public.server_address[1]}"
    assert fetch(f"{base}/talk.wav", _policy(), tmp_path / "a") == "fetched talk.wav"
    redirected = f"{base}/redirect/302?to=" + _q(f"{base}/talk.wav")
    assert fetch(redirected, _policy(), tmp_path / "b") == "fetched talk.wav"
    said = fetch(f"{base}/gone.wav", _policy(), tmp_path / "c")
    assert "404" in said and str(tmp_path) not in said


def _closed_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def test_refused_closed_and_unresolvable_look_the_same(
    internal: list[_Site], public: _Site, tmp_path: Path
) -> None:
    p = internal[0].server_address[1]
    _reset(*internal)
    cases = {
        "refused address": f"http://127.0.0.1:{p}/secret.wav",
        "refused name": f"http://media.example.com:{p}/secret.wav",
        "closed port": f"http://{PUBLIC_HOST}:{_closed_port(PUBLIC_HOST)}/secret.wav",
        "unresolvable": "http://nowhere.example.com/secret.wav",
    }
    fetch(cases["closed port"], _policy(), tmp_path / "warm")  # first use imports yt-dlp's extractors
    times: dict[str, list[float]] = {k: [] for k in cases}
    texts: dict[str, set[str]] = {k: set() for k in cases}
    for i in range(7):
        for name, url in cases.items():
            t = time.perf_counter()
            texts[name].add(fetch(url, _policy(), tmp_path / f"{name}-{i}"))
            times[name].append(time.perf_counter() - t)
    assert all(t == {dl.UNREACHABLE} for t in texts.values()), texts
    medians = {k: statistics.median(v) for k, v in times.items()}
    spread = max(medians.values()) - min(medians.values())
    print(
        json.dumps(
            {
                "ssrf_timing_median_s": {k: round(v, 3) for k, v in medians.items()},
                "spread_s": round(spread, 3),
            }
        )
    )
    assert spread < 0.15, medians
    assert [s.connections for s in internal] == [0, 0]


# -- through the API and the job, as a seller ---------------------------------------------------------
def _run(services: Any, user_id: str, job_id: str) -> Any:
    services.executor.execute(job_id)
    with services.sessions() as s:
        return job_store.get_job(s, user_id=user_id, job_id=job_id)


def test_a_seller_cannot_make_the_server_fetch_internal_urls(
    internal: list[_Site], tmp_path: Path, sqlite_template: Path
) -> None:
    p = internal[0].server_address[1]
    urls = [f"http://127.0.0.1:{p}/secret.wav", f"http://2130706433:{p}/page.html", f"http://[::1]:{p}/x"]
    _reset(*internal)
    with seller_client(tmp_path, sqlite_template, stt="local:tiny.en") as (client, services, user):
        persona = client.post("/api/personas", json={"name": "P"}).json()
        r = client.post(f"/api/personas/{persona['id']}/media", json={"urls": urls})
        assert r.status_code == 202, r.text
        job = _run(services, user["id"], r.json()["job_id"])
        media = client.get(f"/api/personas/{persona['id']}/media").json()
    assert job.status == "failed" and job.attempts == 1, (job.status, job.attempts)
    assert [m["error"] for m in media] == [dl.UNREACHABLE] * 3
    assert [s.connections for s in internal] == [0, 0]


def test_with_the_allowlist_a_lan_address_is_fetched_and_errors_show_no_server_paths(
    internal: list[_Site], public: _Site, tmp_path: Path, sqlite_template: Path
) -> None:
    p = internal[0].server_address[1]
    page = f"http://{PUBLIC_HOST}:{public.server_address[1]}/redirect/302?to=" + _q(
        f"http://127.0.0.1:{p}/page.html"
    )
    broken = f"http://127.0.0.1:{p}/broken.mp4"
    _reset(*internal)
    with seller_client(
        tmp_path, sqlite_template, stt="local:tiny.en", fetch_allow_networks=f"127.0.0.1, {PUBLIC_HOST}"
    ) as (client, services, user):
        persona = client.post("/api/personas", json={"name": "P"}).json()
        r = client.post(f"/api/personas/{persona['id']}/media", json={"urls": [page, broken]})
        job = _run(services, user["id"], r.json()["job_id"])
        errors = {m["source"]: m["error"] for m in client.get(f"/api/personas/{persona['id']}/media").json()}
    assert job.status == "failed"
    assert "no video or audio was found" in errors[page], errors
    assert "not an audio or video file" in errors[broken], errors
    assert {"/page.html", "/broken.mp4"} <= set(internal[0].requests)
    for text in [job.error or "", *errors.values()]:
        assert str(tmp_path) not in text and "/tmp/" not in text and "job-" not in text, text


def test_hide_paths_keeps_urls_and_cuts_server_paths() -> None:
    text = "Invalid data found when processing input: '/srv/echome/data/tmp/job-1/m/download/x.mp4'"
    assert dl.hide_paths(text) == "Invalid data found when processing input: 'x.mp4'"
    url = "the address returned 404 Not Found (http://example.com/a/b/c.mp4)"
    assert dl.hide_paths(url) == url


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "1.1.1.1", "93.184.215.14", "2606:4700:4700::1111", "2002:808:808::1", "64:ff9b::808:808"],
)
def test_public_addresses_are_not_refused(address: str) -> None:
    """The policy must not cost sellers the internet: public addresses (also as 6to4 / NAT64 of a
    public IPv4 address) pass."""
    assert EgressPolicy().refusal(ipaddress.ip_address(address)) is None


def test_a_bad_allowlist_stops_the_server_from_starting_with_a_clear_reason(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from echome.settings import Settings

    with pytest.raises(ValidationError, match=r"not an IP address or network.*'nas\.local'"):
        Settings(_env_file=None, data_dir=tmp_path, fetch_allow_networks="192.168.1.0/24, nas.local")
    ok = Settings(_env_file=None, data_dir=tmp_path, fetch_allow_networks="192.168.1.0/24, fd12::1")
    assert [str(n) for n in parse_networks(ok.fetch_allow_networks)] == ["192.168.1.0/24", "fd12::1/128"]
