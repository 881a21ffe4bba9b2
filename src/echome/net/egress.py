"""Where a server-side fetch may connect: one policy for every outbound connection that a seller's
input can steer (media URLs today).

A destination is resolved once, every address it resolves to is checked, and the connection is
made to a checked address - never to a name resolved a second time - so a name that resolves to a
public address when checked and to an internal one a moment later (DNS rebinding) cannot get
through. Refused: loopback, private (RFC 1918), CGNAT, link-local, multicast, reserved and
documentation ranges, IPv6 unique-local and link-local, the IPv4-mapped / NAT64 / 6to4 forms of
refused IPv4 addresses, and cloud metadata endpoints. An operator may open networks (a NAS on the
LAN) with an allowlist; metadata endpoints and the unspecified address stay closed whatever it says.

Why a refusal happened is for the server log only (`EgressError.reason`): what the seller sees must
not tell a refused address from a closed port or a name that does not resolve.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str], list[str]]  # host name -> the addresses it resolves to


class EgressError(OSError):
    """A destination that may not, or cannot, be connected to. `kind` is "refused", "unresolvable"
    or "unreachable"; `reason` says why, for the server log (never for the seller)."""

    def __init__(self, host: str, port: int, kind: str, reason: str) -> None:
        super().__init__(f"{kind}: {host}:{port}: {reason}")
        self.host, self.port, self.kind, self.reason = host, port, kind, reason


def _nets(*cidrs: str) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(c) for c in cidrs)


# Closed even when an allowlisted network contains them: nothing a seller fetches lives there.
_ALWAYS_REFUSED: tuple[tuple[str, tuple[IPNetwork, ...]], ...] = (
    ("unspecified", _nets("0.0.0.0/32", "::/128")),
    (
        "cloud metadata",
        _nets(
            "169.254.169.254/32",  # AWS, GCP, Azure, DigitalOcean, Oracle, OpenStack
            "169.254.170.2/32",  # AWS ECS task metadata
            "169.254.170.23/32",  # AWS EKS pod identity
            "168.63.129.16/32",  # Azure wire server (a public address)
            "100.100.100.200/32",  # Alibaba Cloud
            "fd00:ec2::254/128",  # AWS over IPv6
            "fd00:ec2::23/128",
        ),
    ),
)

# IPv4-mapped addresses are checked as the IPv4 address they are (a dual-stack socket reaches it).
_REFUSED: tuple[tuple[str, tuple[IPNetwork, ...]], ...] = (
    ("this network", _nets("0.0.0.0/8")),
    ("private", _nets("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")),
    ("shared address space (CGNAT)", _nets("100.64.0.0/10")),
    ("loopback", _nets("127.0.0.0/8", "::1/128")),
    ("link-local", _nets("169.254.0.0/16", "fe80::/10")),
    ("IETF protocol assignment", _nets("192.0.0.0/24", "2001::/23")),  # 2001::/32 is Teredo
    (
        "documentation",
        _nets("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32", "3fff::/20"),
    ),
    ("6to4 relay anycast", _nets("192.88.99.0/24")),
    ("benchmarking", _nets("198.18.0.0/15")),
    ("multicast", _nets("224.0.0.0/4", "ff00::/8")),
    ("reserved", _nets("240.0.0.0/4")),  # includes 255.255.255.255
    ("IPv4-compatible", _nets("::/96")),
    ("IPv4-translated", _nets("::ffff:0:0:0/96")),
    ("local-use NAT64", _nets("64:ff9b:1::/48")),
    ("discard-only", _nets("100::/64")),
    ("unique local", _nets("fc00::/7")),
    ("site-local", _nets("fec0::/10")),
    ("SRv6", _nets("5f00::/16")),
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # reaches the IPv4 address in its last 32 bits
_NUMERIC_V4 = re.compile(r"[0-9a-fA-FxX.]+")


def parse_networks(value: str | Iterable[str]) -> tuple[IPNetwork, ...]:
    """The allowlist setting ("192.168.1.0/24, 10.0.0.7, fd12::/16") as networks; a bare address is
    a network of one. Raises ValueError naming the entry that is not an address or network."""
    items = value.split(",") if isinstance(value, str) else list(value)
    out: list[IPNetwork] = []
    for item in (x.strip() for x in items):
        if not item:
            continue
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or network (CIDR): {item!r}") from None
    return tuple(out)


def ip_literal(host: str) -> IPAddress | None:
    """The address `host` names by itself, or None for a host name. IPv4 is read as the C library's
    inet_aton reads it - the way getaddrinfo and so every HTTP client reads it - so `2130706433`,
    `0x7f000001`, `0177.0.0.1` and `127.1` are all 127.0.0.1. IPv6 may be in brackets."""
    text = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if _NUMERIC_V4.fullmatch(text) and any(c.isdigit() for c in text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


def system_resolver(host: str) -> list[str]:
    """The addresses the operating system resolves `host` to (hosts file, DNS)."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class EgressPolicy:
    """Which addresses outbound fetches may connect to. `allow`: networks opened by the operator
    (ECHOME_FETCH_ALLOW_NETWORKS); `resolver`: host name -> addresses (the system's by default)."""

    allow: tuple[IPNetwork, ...] = ()
    resolver: Resolver = system_resolver

    def refusal(self, ip: IPAddress) -> str | None:
        """Why `ip` may not be connected to, or None when it may."""
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        for name, nets in _ALWAYS_REFUSED:
            if any(ip in net for net in nets):
                return name
        if any(ip.version == net.version and ip in net for net in self.allow):
            return None
        if isinstance(ip, ipaddress.IPv6Address):
            embedded = _embedded_ipv4(ip)
            if embedded is not None:
                inner = self.refusal(embedded)
                if inner is not None:
                    return f"{inner} ({embedded}) inside an IPv6 address"
        for name, nets in _REFUSED:
            if any(ip in net for net in nets):
                return name
        if not ip.is_global:
            return "not globally routable"
        return None

    def addresses(self, host: str, port: int) -> list[IPAddress]:
        """Resolve `host` and check every address it resolves to; a name with any refused address
        is refused as a whole. Raises EgressError."""
        if not 0 < port < 65536:
            raise EgressError(host, port, "refused", "invalid port")
        literal = ip_literal(host)
        found = [literal] if literal is not None else self._resolve(host, port)
        for ip in found:
            reason = self.refusal(ip)
            if reason is not None:
                raise EgressError(host, port, "refused", f"{ip} is {reason}")
        return found

    def connect(self, host: str, port: int, *, timeout: float) -> socket.socket:
        """A TCP connection to `host`:`port`, made to an address this policy checked. Raises
        EgressError (refused before any connection is tried, or unreachable)."""
        failures: list[str] = []
        for ip in self.addresses(host, port)[:4]:
            family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            try:
                sock.connect((str(ip), port))
            except OSError as exc:
                sock.close()
                failures.append(f"{ip}: {exc}")
                continue
            return sock
        raise EgressError(host, port, "unreachable", "; ".join(failures))

    def _resolve(self, host: str, port: int) -> list[IPAddress]:
        try:
            name = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise EgressError(host, port, "unresolvable", "not a valid host name") from None
        if not name or len(name) > 253 or not re.fullmatch(r"[A-Za-z0-9._-]+", name):
            raise EgressError(host, port, "unresolvable", "not a valid host name")
        try:
            found = [ipaddress.ip_address(a) for a in self.resolver(name)]
        except (OSError, UnicodeError, ValueError) as exc:
            raise EgressError(host, port, "unresolvable", str(exc) or type(exc).__name__) from None
        if not found:
            raise EgressError(host, port, "unresolvable", "no addresses")
        return found


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a NAT64 or 6to4 address leads to (Teredo is refused as a whole)."""
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour
