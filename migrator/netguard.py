"""Where files may be downloaded from: public addresses only, except the blog's own and Tistory's CDNs.

A post body is content written by anyone; an image or attachment link in it must not make the tool
read an internal address (loopback, a private network, a cloud metadata endpoint) and publish what it
got in the WordPress media library. Two checks, both needed:
- `check_url` before every request and every redirect hop: IP-literal hosts never reach a resolver;
- `GuardedResolver` inside the aiohttp connector: the address checked is the address connected to,
  so a name that resolves to a public address for the check and a private one for the connection
  (DNS rebinding) is refused too.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

__all__ = [
    "TRUSTED_SUFFIXES",
    "AddressGuard",
    "BlockedAddress",
    "GuardedResolver",
    "is_public_address",
]

# Tistory itself and the Kakao/Daum CDNs that serve its files (docs/tistory.md §9.2).
TRUSTED_SUFFIXES = ("tistory.com", "kakaocdn.net", "daumcdn.net", "daum.net", "kakao.com")

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class BlockedAddress(OSError):
    """A file host that resolves to a non-public address (an OSError so aiohttp passes it through)."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    packed = ip.packed
    if packed[:12] == bytes(12) and int(ip) > 1:  # deprecated IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(packed[12:])
    return None


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address. Refused: loopback, RFC 1918, link-local, CGNAT
    (100.64/10), multicast, reserved, unspecified, IPv6 ULA/link-local, and any IPv6 form that
    embeds one of those IPv4 addresses (mapped, compatible, 6to4, Teredo, NAT64)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is that IPv4 address
            return is_public_address(str(ip.ipv4_mapped))
        inner = _embedded_ipv4(ip)
        if inner is not None and not is_public_address(str(inner)):
            return False
    return bool(ip.is_global) and not ip.is_multicast and not ip.is_reserved and not ip.is_unspecified


def _ip_literal(host: str) -> str | None:
    host = host.strip("[]")
    try:
        return str(ipaddress.ip_address(host.split("%", 1)[0]))
    except ValueError:
        pass
    try:  # forms browsers and libc accept: 2130706433, 0x7f.1, 0177.0.0.1
        return socket.inet_ntoa(socket.inet_aton(host)) if host and host[0].isdigit() else None
    except OSError:
        return None


class AddressGuard:
    """Decides which file hosts may be fetched. `enabled=False` (ALLOW_PRIVATE_FILE_HOSTS=1) turns the
    address check off for local test setups."""

    def __init__(self, trusted_hosts: Iterable[str] = (), *, enabled: bool = True) -> None:
        self.enabled = enabled
        self.trusted_hosts = {h.lower().strip(".") for h in trusted_hosts if h}

    def trusts(self, host: str) -> bool:
        """The blog's own hosts and Tistory/Kakao/Daum hosts are fetched whatever they resolve to."""
        host = host.lower().rstrip(".")
        if host in self.trusted_hosts:
            return True
        return any(host == s or host.endswith("." + s) for s in TRUSTED_SUFFIXES)

    def check_url(self, url: str) -> str | None:
        """Why `url` may not be fetched (None = it may, as far as can be told before resolving)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return f"not an http(s) address ({parts.scheme or 'no scheme'})"
        host = parts.hostname or ""
        if not host:
            return "no host in the address"
        if not self.enabled or self.trusts(host):
            return None
        literal = _ip_literal(host)
        if literal is not None and not is_public_address(literal):
            return f"blocked address: {host} is not a public address"
        if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
            return f"blocked address: {host} is not a public address"
        return None


class GuardedResolver(AbstractResolver):
    """Resolves through `inner` and refuses names (other than trusted ones) with a non-public address."""

    def __init__(self, guard: AddressGuard, inner: AbstractResolver | None = None) -> None:
        self.guard = guard
        self.inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self.inner.resolve(host, port, family)
        if not self.guard.enabled or self.guard.trusts(host):
            return results
        bad = [r["host"] for r in results if not is_public_address(r["host"])]
        if bad:
            raise BlockedAddress(f"blocked address: {host} resolves to {bad[0]}, not a public address")
        return results

    async def close(self) -> None:
        await self.inner.close()
