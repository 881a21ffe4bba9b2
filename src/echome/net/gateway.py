"""A SOCKS5 gateway on loopback that makes a fetcher connect only where the egress policy allows.

yt-dlp follows redirects, reads manifests, fetches fragments and media embedded in pages, each with
its own connections, and may be handed any of those URLs by a page a seller points it at. Checking
the URL first would miss all of them (and would be undone by DNS rebinding). Instead yt-dlp is given
this gateway as its proxy (`socks5h://`, so host names reach the gateway unresolved): every TCP
connection it opens, for any request handler and on every redirect hop, is a SOCKS CONNECT that the
gateway resolves, checks and opens itself, to the address it checked.

The gateway lives for one fetch, listens on 127.0.0.1 only, and asks for a random user name and
password so no other local process can use it. A refused or failed CONNECT gets the same reply
(general failure) at once, whatever the cause; the cause is kept in `failures` and logged.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import secrets
import select
import selectors
import socket
import struct
import threading
import time
from types import TracebackType

from echome.net.egress import EgressError, EgressPolicy

log = logging.getLogger("echome.egress")

_GENERAL_FAILURE = 0x01
_COMMAND_NOT_SUPPORTED = 0x07
_ADDRESS_NOT_SUPPORTED = 0x08
_CHUNK = 64 * 1024


class EgressGateway:
    """`with EgressGateway(policy) as gw:` give a fetcher `gw.proxy_url`; afterwards
    `gw.failures` lists every connection it refused or could not make (empty when none)."""

    def __init__(
        self,
        policy: EgressPolicy,
        *,
        connect_timeout: float = 20.0,
        idle_timeout: float = 120.0,
        handshake_timeout: float = 10.0,
    ) -> None:
        self.policy = policy
        self.connect_timeout = connect_timeout
        self.idle_timeout = idle_timeout
        self.handshake_timeout = handshake_timeout
        self.failures: list[EgressError] = []
        self._user = secrets.token_hex(8)
        self._password = secrets.token_hex(16)
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._listener: socket.socket | None = None
        self._closed = threading.Event()

    @property
    def proxy_url(self) -> str:
        if self._listener is None:
            raise RuntimeError("the gateway is not running (use it as a context manager)")
        port = self._listener.getsockname()[1]
        return f"socks5h://{self._user}:{self._password}@127.0.0.1:{port}"

    def __enter__(self) -> EgressGateway:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        listener.settimeout(0.1)  # closing a socket does not wake a thread blocked in accept()
        self._listener = listener
        self._spawn(self._accept_loop)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop accepting, cut every open connection and wait (briefly) for the threads to end."""
        self._closed.set()
        with self._lock:
            socks = [self._listener, *self._open] if self._listener is not None else list(self._open)
            self._open.clear()
            threads = list(self._threads)
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked on it; close() alone may not
            _close(sock)
        deadline = time.monotonic() + 2.0
        for t in threads:
            t.join(timeout=max(0.0, deadline - time.monotonic()))

    # -- connections ---------------------------------------------------------------------------
    def _spawn(self, target: object, *args: object) -> None:
        t = threading.Thread(target=target, args=args, name="egress-gateway", daemon=True)  # type: ignore[arg-type]
        with self._lock:
            self._threads = [x for x in self._threads if x.is_alive()]
            self._threads.append(t)
        t.start()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not self._track(client):
                return
            self._spawn(self._serve, client)

    def _track(self, sock: socket.socket) -> bool:
        with self._lock:
            if self._closed.is_set():
                _close(sock)
                return False
            self._open.add(sock)
            return True

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        try:
            client.settimeout(self.handshake_timeout)
            target = self._handshake(client)
            if target is None:
                return
            host, port = target
            try:
                upstream = self.policy.connect(host, port, timeout=self.connect_timeout)
            except EgressError as exc:
                self._failed(exc)
                client.sendall(_reply(_GENERAL_FAILURE))
                return
            if not self._track(upstream):
                return
            client.sendall(_reply(0))
            self._relay(client, upstream)
        except (OSError, ValueError):
            pass  # the fetcher hung up or spoke nonsense: its own error says what failed
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    with self._lock:
                        self._open.discard(sock)
                    _close(sock)

    def _failed(self, exc: EgressError) -> None:
        with self._lock:
            self.failures.append(exc)
        level = logging.WARNING if exc.kind == "refused" else logging.INFO
        log.log(
            level,
            "outbound connection %s",
            exc.kind,
            extra={"host": exc.host, "port": exc.port, "reason": exc.reason},
        )

    def _handshake(self, client: socket.socket) -> tuple[str, int] | None:
        """RFC 1928 with RFC 1929 user/password: the CONNECT target, or None (reply already sent)."""
        version, n = _recv(client, 2)
        if version != 5:
            return None
        methods = _recv(client, n)
        if 0x02 not in methods:
            client.sendall(b"\x05\xff")
            return None
        client.sendall(b"\x05\x02")
        auth_version, ulen = _recv(client, 2)
        user = _recv(client, ulen)
        (plen,) = _recv(client, 1)
        password = _recv(client, plen)
        good = hmac.compare_digest(user, self._user.encode()) & hmac.compare_digest(
            password, self._password.encode()
        )
        if auth_version != 1 or not good:
            client.sendall(b"\x01\x01")
            return None
        client.sendall(b"\x01\x00")
        version, command, _, atyp = _recv(client, 4)
        if version != 5 or command != 0x01:  # CONNECT only: no BIND, no UDP
            client.sendall(_reply(_COMMAND_NOT_SUPPORTED))
            return None
        if atyp == 0x01:
            host = socket.inet_ntop(socket.AF_INET, _recv(client, 4))
        elif atyp == 0x04:
            host = socket.inet_ntop(socket.AF_INET6, _recv(client, 16))
        elif atyp == 0x03:
            (length,) = _recv(client, 1)
            host = _recv(client, length).decode("utf-8", "replace")
        else:
            client.sendall(_reply(_ADDRESS_NOT_SUPPORTED))
            return None
        (port,) = struct.unpack("!H", _recv(client, 2))
        return host, port

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        """Copy bytes both ways until both sides have finished sending (or nothing moves for
        `idle_timeout`, or the gateway closes)."""
        client.setblocking(False)
        upstream.setblocking(False)
        peer = {client: upstream, upstream: client}
        done: set[socket.socket] = set()
        with selectors.DefaultSelector() as sel:
            sel.register(client, selectors.EVENT_READ)
            sel.register(upstream, selectors.EVENT_READ)
            last = time.monotonic()
            while len(done) < 2 and not self._closed.is_set():
                ready = sel.select(timeout=0.5)
                if not ready:
                    if time.monotonic() - last > self.idle_timeout:
                        return
                    continue
                last = time.monotonic()
                for key, _ in ready:
                    src: socket.socket = key.fileobj  # type: ignore[assignment]
                    try:
                        data = src.recv(_CHUNK)
                    except BlockingIOError:
                        continue
                    if not data:
                        sel.unregister(src)
                        done.add(src)
                        with contextlib.suppress(OSError):
                            peer[src].shutdown(socket.SHUT_WR)
                        continue
                    _send_all(peer[src], data, self.idle_timeout)


def _reply(code: int) -> bytes:
    # The bound address is not the fetcher's business: always 0.0.0.0:0.
    return struct.pack("!BBBB4sH", 5, code, 0, 1, b"\0\0\0\0", 0)


def _recv(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("the client closed the connection during the handshake")
        buf += chunk
    return buf


def _send_all(sock: socket.socket, data: bytes, timeout: float) -> None:
    view = memoryview(data)
    while view:
        try:
            sent = sock.send(view)
        except BlockingIOError:
            _, writable, _ = select.select([], [sock], [], timeout)
            if not writable:
                raise TimeoutError("the peer stopped reading") from None
            continue
        view = view[sent:]


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()
