"""Fetch a web page for import without letting a URL reach the server's own network.

A URL typed by a user is untrusted: it may name the cloud metadata service, a database on
the private network, or a host whose DNS answer changes between our check and our
connection. So we resolve the name ourselves, refuse any address that is not public,
connect to exactly the address we checked (sending the real Host header, and verifying
TLS against the real host name), and follow redirects by hand, checking every hop again.
Time and size are capped for the whole fetch.
"""

from __future__ import annotations

import email.message
import http.client
import ipaddress
import re
import socket
import ssl
import time
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

ACCEPTED_TYPES = frozenset({"text/html", "text/plain", "application/xhtml+xml"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
_MAX_URL = 8_192
# inet_aton reads "2130706433", "0x7f.1" and "0177.0.0.1" as 127.0.0.1. Such spellings
# exist to slip past filters, so we refuse them rather than guess what they mean.
_NUMERIC_HOST = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+))*\.?")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchError(Exception):
    """The page could not be fetched; ``str()`` says why, for the user."""


@dataclass(frozen=True)
class FetchResult:
    final_url: str
    status: int
    content_type: str
    charset: str | None
    body: bytes


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str  # ASCII (IDNA), lower case, no brackets
    port: int
    path: str
    ip: str  # the vetted address we connect to


def is_public_address(ip: IPAddress) -> bool:
    """Whether an address is on the public internet, including what IPv6 embeds."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public_address(ip.ipv4_mapped)
        embedded = [ip.sixtofour, ip.teredo[1] if ip.teredo else None]
        if ip in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if any(v4 is not None and not is_public_address(v4) for v4 in embedded):
            return False
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def _trusted_names(trusted_hosts: Collection[str]) -> frozenset[str]:
    names = set()
    for entry in trusted_hosts:
        entry = entry.strip().lower().rstrip(".")
        names.add(entry[1:-1] if entry.startswith("[") and entry.endswith("]") else entry)
    return frozenset(names)


def _vet(url: str, trusted: frozenset[str]) -> _Target:
    """Check a URL and resolve its host to an address we are willing to connect to."""
    if len(url) > _MAX_URL:
        raise FetchError(f"the URL is longer than {_MAX_URL} characters")
    if re.search(r"[\x00-\x20\x7f]", url):
        raise FetchError("the URL contains spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(f"only http and https URLs can be fetched, not {scheme or 'this'}:")
    if parts.username is not None or parts.password is not None:
        raise FetchError("URLs with a user name or password are not accepted")
    if not parts.hostname:
        raise FetchError("the URL has no host")
    try:
        host = parts.hostname.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise FetchError(f"{parts.hostname!r} is not a valid host name") from None
    port = port or (443 if scheme == "https" else 80)
    literal = _ip_literal(host)
    if literal is None and _NUMERIC_HOST.fullmatch(host):
        raise FetchError(f"{host!r} is not a canonical IP address")
    netloc_host = f"[{host}]" if ":" in host else host
    is_trusted = host in trusted or f"{netloc_host}:{port}" in trusted
    addresses = [literal] if literal else _resolve(host, port)
    if not is_trusted:
        for ip in addresses:
            if not is_public_address(ip):
                where = f"{host} resolves to {ip}, which" if literal is None else str(ip)
                raise FetchError(f"{where} is not a public address")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Target(url, scheme, host, port, path, str(addresses[0]))


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise FetchError(f"could not resolve host {host!r}") from None
    addresses: list[IPAddress] = []
    for *_, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])  # drop an IPv6 scope
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise FetchError(f"could not resolve host {host!r}")
    return addresses


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the vetted address, whatever DNS says by now."""

    def __init__(self, target: _Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._ip = target.ip

    def connect(self) -> None:
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As above; TLS still sends and verifies the host name, not the address."""

    def __init__(self, target: _Target, timeout: float, context: ssl.SSLContext):
        super().__init__(target.host, target.port, timeout=timeout, context=context)
        self._ip = target.ip
        self._tls = context

    def connect(self) -> None:
        sock = socket.create_connection((self._ip, self.port), self.timeout)
        try:
            self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


def _content_type(response: http.client.HTTPResponse, url: str) -> tuple[str, str | None]:
    header = response.getheader("Content-Type")
    if not header:
        raise FetchError(f"{url} did not say what type of content it sent")
    message = email.message.Message()
    message["Content-Type"] = header
    content_type = message.get_content_type()
    if content_type not in ACCEPTED_TYPES:
        raise FetchError(f"{url} sent {content_type}, not a web page or text")
    return content_type, message.get_content_charset()


def _read_body(
    response: http.client.HTTPResponse, sock: socket.socket, max_bytes: int, deadline: float
) -> bytes:
    encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
    if encoding != "identity":
        raise FetchError(f"unsupported content encoding {encoding!r}")
    too_large = FetchError(f"response larger than {max_bytes} bytes")
    length = response.getheader("Content-Length")
    if length and length.strip().isdigit() and int(length) > max_bytes:
        raise too_large
    chunks, size = [], 0
    # The response closes the socket once the body is complete; stop touching it then.
    while not response.isclosed():
        sock.settimeout(_remaining(deadline))
        chunk = response.read1(min(_CHUNK, max_bytes + 1 - size))  # returns what has arrived
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            raise too_large
    return b"".join(chunks)


def fetch_url(
    url: str,
    *,
    timeout: float = 10,
    max_bytes: int = 5_000_000,
    trusted_hosts: Collection[str] = (),
    max_redirects: int = 5,
    user_agent: str = "factcheck/0.1",
    ssl_context: ssl.SSLContext | None = None,
) -> FetchResult:
    """GET a web page. ``timeout`` bounds the whole fetch, redirects included.

    ``trusted_hosts`` lists host names (or "host:port") that may resolve to private
    addresses, for an intranet or a test server; matching is exact and case-insensitive.
    """
    trusted = _trusted_names(trusted_hosts)
    context = ssl_context or ssl.create_default_context()
    deadline = time.monotonic() + timeout
    current = url.strip()
    for _ in range(max_redirects + 1):
        target = _vet(current, trusted)
        try:
            result = _get(target, context, deadline, max_bytes, user_agent)
        except TimeoutError:
            raise FetchError(f"timed out after {timeout:g} s fetching {current}") from None
        except ssl.SSLCertVerificationError as exc:
            raise FetchError(
                f"{target.host} has an invalid certificate: {exc.verify_message}"
            ) from None
        except ssl.SSLError as exc:
            raise FetchError(f"TLS error talking to {target.host}: {exc.reason}") from None
        except ConnectionRefusedError:
            raise FetchError(f"{target.host} refused the connection") from None
        except OSError as exc:
            raise FetchError(f"could not connect to {target.host}: {exc.strerror or exc}") from None
        except http.client.HTTPException:
            raise FetchError(f"{current} sent a malformed HTTP response") from None
        if isinstance(result, FetchResult):
            return result
        current = urljoin(current, result)
    raise FetchError(f"too many redirects (more than {max_redirects})")


def _get(
    target: _Target, context: ssl.SSLContext, deadline: float, max_bytes: int, user_agent: str
) -> FetchResult | str:
    """One request: the page, or the Location of a redirect."""
    timeout = _remaining(deadline)
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(target, timeout, context)
    else:
        connection = _PinnedHTTPConnection(target, timeout)
    try:
        connection.request(
            "GET",
            target.path,
            headers={
                "User-Agent": user_agent,
                "Accept": "text/html, application/xhtml+xml, text/plain;q=0.9",
                "Accept-Encoding": "identity",
                "Connection": "close",
            },
        )
        # getresponse() hands the socket over to the response and forgets it; keep it for
        # the timeouts of the reads that follow.
        sock = connection.sock
        sock.settimeout(_remaining(deadline))
        response = connection.getresponse()
        if response.status in _REDIRECTS:
            location = response.getheader("Location")
            if not location:
                raise FetchError(f"HTTP {response.status} from {target.url} without a Location")
            return location.strip()
        if not 200 <= response.status < 300:
            raise FetchError(f"HTTP {response.status} from {target.url}")
        content_type, charset = _content_type(response, target.url)
        body = _read_body(response, sock, max_bytes, deadline)
        return FetchResult(target.url, response.status, content_type, charset, body)
    finally:
        connection.close()
