"""Outgoing HTTP POSTs for webhooks, guarded against SSRF.

A webhook URL is typed in by an administrator, so it could point at the metadata service, the
database host or the app itself. Before any connection the host is resolved and every address
it resolves to must be public (or explicitly allowed); the connection then goes to the address
that was checked, not to a second lookup that a rebinding DNS server could answer differently.
Redirects are never followed: a public endpoint could otherwise bounce the request inward."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

TIMEOUT = 10.0
MAX_REPLY_BYTES = 64 * 1024

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundError(Exception):
    def __init__(self, message: str, *, status_code: int | None = None):
        self.status_code = status_code
        super().__init__(message)


class Refused(OutboundError):
    """Refused before connecting: the URL may not be reached from this server."""

    def __init__(self, message: str, *, host: str = "", ip: str = ""):
        self.host, self.ip = host, ip
        super().__init__(message)


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes


def check_url_shape(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL; ValueError otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise ValueError("only http and https URLs can be used")
    if not parts.hostname:
        raise ValueError("the URL has no host")
    port = parts.port  # raises ValueError for a malformed port
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


# IPv6 forms that carry an IPv4 address in their last 32 bits and reach it: NAT64's well-known
# prefix (RFC 6052; 64:ff9b::a9fe:a9fe is 169.254.169.254 through a NAT64 gateway) and the
# deprecated IPv4-compatible form. Python calls both global whatever they embed.
EMBEDS_IPV4 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("::/96"))
# NAT64 prefixes for local use (RFC 8215): translated to whatever the network decides.
LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")


def is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return is_public(ip.ipv4_mapped)
        for net in EMBEDS_IPV4:
            if ip in net:
                return is_public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        # 6to4 and Teredo embed IPv4 addresses that older Pythons do not look into.
        if ip.sixtofour or ip.teredo or ip in LOCAL_NAT64:
            return False
    return ip.is_global and not ip.is_multicast


def _allowed(host: str, ip: IPAddress, allowed: Iterable[str]) -> bool:
    for entry in allowed:
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == host.lower().rstrip("."):
            return True
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def resolve(host: str, port: int, allowed: Iterable[str] = ()) -> list[str]:
    """Addresses to connect to, all checked; Refused if any of them is not public and not
    allowed (a name resolving to both a public and an internal address is suspect)."""
    allowed = list(allowed)
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        # An address literal needs no lookup, so a refused one is refused without any traffic.
        candidates: list[IPAddress] = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as e:
            raise OutboundError(f"cannot resolve {host}: {e}") from e
        candidates = []
        for info in infos:
            ip = ipaddress.ip_address(info[4][0].split("%", 1)[0])
            if ip not in candidates:
                candidates.append(ip)
    if not candidates:
        raise OutboundError(f"cannot resolve {host}")
    for ip in candidates:
        if not is_public(ip) and not _allowed(host, ip, allowed):
            raise Refused(
                f"{host} resolves to {ip}, an internal address; add it to"
                " LUOSHI_WEBHOOK_ALLOWED_HOSTS if this gateway is meant to be reached",
                host=host,
                ip=str(ip),
            )
    return [str(ip) for ip in candidates]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Sends Host: <name> but connects to the address that was checked."""

    def __init__(self, host: str, port: int, ip: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._ip = ip

    def connect(self) -> None:
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, ip: str, timeout: float, context: ssl.SSLContext):
        super().__init__(host, port, timeout=timeout, context=context)
        self._ip = ip

    def connect(self) -> None:
        sock = socket.create_connection((self._ip, self.port), self.timeout)
        # The certificate is still checked against the host name, not the address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(
    url: str,
    body: bytes,
    *,
    headers: Mapping[str, str] | None = None,
    allowed: Iterable[str] = (),
    timeout: float = TIMEOUT,
) -> Reply:
    """POST `body` as JSON; the reply's status and (capped) body. OutboundError on any failure
    to get a reply, Refused when the URL may not be reached, a redirect counts as a failure."""
    try:
        scheme, host, port = check_url_shape(url)
    except ValueError as e:
        raise Refused(f"unusable webhook URL: {e}") from e
    addresses = resolve(host, port, allowed)
    parts = urlsplit(url.strip())
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    send_headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Luoshi-notify/1",
        **(headers or {}),
    }
    deadline = time.monotonic() + timeout
    context = ssl.create_default_context() if scheme == "https" else None

    conn: http.client.HTTPConnection | None = None
    connect_errors = []
    for ip in addresses:
        conn = (
            _PinnedHTTPSConnection(host, port, ip, timeout, context)
            if context
            else _PinnedHTTPConnection(host, port, ip, timeout)
        )
        try:
            conn.connect()
            break
        except OSError as e:
            # Only a failed connect moves on to the next address: once the request may have
            # reached a server, trying another would risk posting the message twice.
            connect_errors.append(f"{ip}: {e}")
            conn.close()
            conn = None
    if conn is None:
        raise OutboundError(f"cannot connect to {host}: {'; '.join(connect_errors)}")

    sock = conn.sock  # kept: http.client drops conn.sock once a reply says "Connection: close"
    try:
        _shrink_timeout(sock, deadline)
        conn.request("POST", target, body=body, headers=send_headers)
        _shrink_timeout(sock, deadline)
        resp = conn.getresponse()
        if 300 <= resp.status < 400:
            location = resp.getheader("Location", "")
            raise OutboundError(
                f"HTTP {resp.status} redirect to {location!r} not followed",
                status_code=resp.status,
            )
        data = _read_capped(resp, sock, deadline)
        return Reply(resp.status, data)
    except (OSError, http.client.HTTPException) as e:
        raise OutboundError(f"{type(e).__name__}: {e}") from e
    finally:
        conn.close()


def _shrink_timeout(sock: socket.socket, deadline: float) -> None:
    """The socket timeout bounds each read, not the whole exchange: a server that trickles its
    reply a byte at a time must still not hold the worker past the deadline."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise OutboundError("timed out")
    sock.settimeout(remaining)


def _read_capped(resp: http.client.HTTPResponse, sock: socket.socket, deadline: float) -> bytes:
    chunks, size = [], 0
    while size < MAX_REPLY_BYTES:
        _shrink_timeout(sock, deadline)
        chunk = resp.read1(min(8192, MAX_REPLY_BYTES - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)
