"""The fetcher against a real HTTP server on 127.0.0.1.

No test sends a packet anywhere but the loopback interface: host names resolve through
a fake resolver, and every connection is checked before it is made.
"""

import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from annotations.fetching import FetchError, fetch_url, is_public_address

LOOPBACK = {"127.0.0.1", "::1"}
FAKE_DNS = {
    "internal.example": ["10.0.0.1"],
    "metadata.example": ["169.254.169.254"],
    "mapped.example": ["::ffff:192.168.0.10"],
    "cgnat.example": ["100.64.12.1"],
    # one public answer does not excuse a private one next to it
    "mixed.example": ["93.184.216.34", "10.0.0.5"],
    "pinned.test": ["127.0.0.1"],
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, status, body=b"", content_type="text/html; charset=utf-8", headers=()):
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        route = parts.path
        if route == "/page":
            self._send(200, "<html><body><p>Caf\u00e9 page</p></body></html>".encode())
        elif route == "/plain":
            self._send(200, b"plain words", "text/plain")
        elif route == "/echo":
            body = f"{self.headers['Host']}|{self.headers['User-Agent']}".encode()
            self._send(200, body, "text/plain")
        elif route == "/json":
            self._send(200, b"{}", "application/json")
        elif route == "/untyped":
            self._send(200, b"hello", content_type=None)
        elif route == "/gzip":
            self._send(200, b"\x1f\x8b", headers=[("Content-Encoding", "gzip")])
        elif route == "/big":
            self._send(200, b"x" * 5000)
        elif route == "/big-unsized":
            # no Content-Length: the size is only known by reading
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"y" * 5000)
            self.close_connection = True
        elif route == "/slow":
            time.sleep(1.5)
            self._send(200, b"late")
        elif route == "/drip":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for _ in range(30):
                    self.wfile.write(b".")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass
            self.close_connection = True
        elif route == "/redirect":
            self._send(int(query.get("status", ["302"])[0]), headers=[("Location", query["to"][0])])
        elif route == "/loop":
            self._send(302, headers=[("Location", "/loop")])
        else:
            self._send(404, b"not here")


def _serve(server):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    _serve(httpd)
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Fake DNS, and refuse any connection that would leave the machine."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.create_connection
    connections = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host in FAKE_DNS:
            return [
                (
                    socket.AF_INET6 if ":" in ip else socket.AF_INET,
                    socket.SOCK_STREAM,
                    socket.IPPROTO_TCP,
                    "",
                    (ip, port),
                )
                for ip in FAKE_DNS[host]
            ]
        if host in LOOPBACK or host == "localhost":
            return real_getaddrinfo(host, port, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    def create_connection(address, *args, **kwargs):
        assert address[0] in LOOPBACK, f"test tried to connect to {address}"
        connections.append(address)
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    return connections


TRUSTED = ["127.0.0.1"]


# --- What is allowed ------------------------------------------------------------------------


def test_trusted_loopback_host_is_fetched(server):
    result = fetch_url(f"http://{server}/page", trusted_hosts=TRUSTED)

    assert result.final_url == f"http://{server}/page"
    assert result.status == 200
    assert result.content_type == "text/html"
    assert result.charset == "utf-8"
    assert result.body.decode() == "<html><body><p>Caf\u00e9 page</p></body></html>"


def test_plain_text_is_accepted(server):
    result = fetch_url(f"http://{server}/plain", trusted_hosts=TRUSTED)

    assert (result.content_type, result.charset, result.body) == (
        "text/plain",
        None,
        b"plain words",
    )


@pytest.mark.parametrize("trusted", [["127.0.0.1"], ["127.0.0.1:{port}"], ["127.0.0.1."]])
def test_trust_by_host_or_host_and_port(server, trusted):
    port = server.rsplit(":", 1)[1]

    result = fetch_url(
        f"http://{server}/plain", trusted_hosts=[t.format(port=port) for t in trusted]
    )

    assert result.body == b"plain words"


def test_trust_for_another_port_does_not_count(server):
    with pytest.raises(FetchError, match="not a public address"):
        fetch_url(f"http://{server}/plain", trusted_hosts=["127.0.0.1:1"])


def test_connects_to_the_vetted_address_and_sends_the_real_host(server, loopback_only):
    port = server.rsplit(":", 1)[1]

    result = fetch_url(
        f"http://PINNED.test:{port}/echo", trusted_hosts=["pinned.test"], user_agent="probe/1"
    )

    assert result.body == f"pinned.test:{port}|probe/1".encode()
    assert loopback_only == [("127.0.0.1", int(port))]


def test_redirect_between_trusted_pages_is_followed(server):
    result = fetch_url(f"http://{server}/redirect?to=/plain&status=308", trusted_hosts=TRUSTED)

    assert result.final_url == f"http://{server}/plain"
    assert result.body == b"plain words"


# --- What is refused, and refused before any connection ---------------------------------------


def test_loopback_is_refused_unless_trusted(server, loopback_only):
    with pytest.raises(FetchError, match=r"127\.0\.0\.1 is not a public address"):
        fetch_url(f"http://{server}/page")

    assert loopback_only == []


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("localhost", "localhost resolves to"),
        ("internal.example", r"resolves to 10\.0\.0\.1"),
        ("metadata.example", r"resolves to 169\.254\.169\.254"),
        ("mapped.example", "resolves to ::ffff:"),
        ("cgnat.example", r"resolves to 100\.64\.12\.1"),
        ("mixed.example", r"resolves to 10\.0\.0\.5"),
        ("[::1]", r"::1 is not a public address"),
        ("[::ffff:127.0.0.1]", "is not a public address"),
        ("169.254.169.254", "is not a public address"),
        ("0.0.0.0", "is not a public address"),  # noqa: S104
    ],
)
def test_private_destinations_are_refused(host, message, loopback_only):
    with pytest.raises(FetchError, match=message):
        fetch_url(f"http://{host}/latest/meta-data/")

    assert loopback_only == []


@pytest.mark.parametrize(
    "target",
    [
        "http://localhost:{port}/page",
        "http://169.254.169.254/latest/meta-data/",
        "http://internal.example/admin",
        "http://[::1]:{port}/page",
    ],
)
def test_redirects_to_private_destinations_are_refused(server, target, loopback_only):
    port = server.rsplit(":", 1)[1]

    with pytest.raises(FetchError, match="not a public address"):
        fetch_url(f"http://{server}/redirect?to={target.format(port=port)}", trusted_hosts=TRUSTED)

    assert loopback_only == [("127.0.0.1", int(port))]  # the first hop only


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "only http and https URLs can be fetched, not file:"),
        ("ftp://example.org/a.txt", "not ftp:"),
        ("javascript:alert(1)", "not javascript:"),
        ("data:text/html,<p>hi</p>", "not data:"),
        ("gopher://127.0.0.1:70/", "not gopher:"),
        ("//example.org/page", "not this:"),
        ("http://user:secret@127.0.0.1/page", "user name or password"),
        ("http://user@127.0.0.1/page", "user name or password"),
        ("http://2130706433/", "not a canonical IP address"),
        ("http://0x7f000001/", "not a canonical IP address"),
        ("http://0177.0.0.1/", "not a canonical IP address"),
        ("http://127.1/", "not a canonical IP address"),
        ("http:///nohost", "no host"),
        ("http://exa mple.org/", "spaces or control characters"),
        ("http://example.org:99999/", "not a valid URL"),
        ("http://unknown.invalid/", "could not resolve host"),
    ],
)
def test_bad_urls_are_refused(url, message, loopback_only):
    with pytest.raises(FetchError, match=message):
        fetch_url(url, trusted_hosts=TRUSTED)

    assert loopback_only == []


def test_redirect_to_another_scheme_is_refused(server):
    with pytest.raises(FetchError, match="not file:"):
        fetch_url(f"http://{server}/redirect?to=file:///etc/passwd", trusted_hosts=TRUSTED)


# --- Responses we do not take -----------------------------------------------------------------


def test_http_errors(server):
    with pytest.raises(FetchError, match=rf"HTTP 404 from http://{server}/missing"):
        fetch_url(f"http://{server}/missing", trusted_hosts=TRUSTED)


def test_too_many_redirects(server):
    with pytest.raises(FetchError, match=r"too many redirects \(more than 2\)"):
        fetch_url(f"http://{server}/loop", trusted_hosts=TRUSTED, max_redirects=2)


@pytest.mark.parametrize(
    ("route", "message"),
    [
        ("/json", "sent application/json, not a web page or text"),
        ("/untyped", "did not say what type of content it sent"),
        ("/gzip", "unsupported content encoding 'gzip'"),
    ],
)
def test_unwanted_content(server, route, message):
    with pytest.raises(FetchError, match=message):
        fetch_url(f"http://{server}{route}", trusted_hosts=TRUSTED)


@pytest.mark.parametrize("route", ["/big", "/big-unsized"])
def test_size_cap(server, route):
    with pytest.raises(FetchError, match="response larger than 1000 bytes"):
        fetch_url(f"http://{server}{route}", trusted_hosts=TRUSTED, max_bytes=1000)

    assert len(fetch_url(f"http://{server}{route}", trusted_hosts=TRUSTED).body) == 5000


def test_slow_server_times_out(server):
    started = time.monotonic()

    with pytest.raises(FetchError, match=r"timed out after 0\.3 s"):
        fetch_url(f"http://{server}/slow", trusted_hosts=TRUSTED, timeout=0.3)

    assert time.monotonic() - started < 1.2


def test_timeout_bounds_the_whole_body_not_each_read(server):
    started = time.monotonic()

    with pytest.raises(FetchError, match="timed out"):
        fetch_url(f"http://{server}/drip", trusted_hosts=TRUSTED, timeout=0.5)

    assert time.monotonic() - started < 1.5


# --- TLS: pinned address, verified host name --------------------------------------------------


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
            "-subj", "/CN=pinned.test", "-addext", "subjectAltName=DNS:pinned.test",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    httpd.socket = server_context.wrap_socket(httpd.socket, server_side=True)
    _serve(httpd)
    client_context = ssl.create_default_context(cafile=str(cert))
    yield httpd.server_address[1], client_context
    httpd.shutdown()
    httpd.server_close()


def test_https_verifies_the_host_name_while_connecting_to_the_pinned_address(tls_server):
    port, context = tls_server

    result = fetch_url(
        f"https://pinned.test:{port}/echo", trusted_hosts=["pinned.test"], ssl_context=context
    )

    assert result.body.startswith(f"pinned.test:{port}|".encode())


def test_https_refuses_a_certificate_for_another_name(tls_server):
    port, context = tls_server

    with pytest.raises(FetchError, match="invalid certificate"):
        fetch_url(f"https://127.0.0.1:{port}/page", trusted_hosts=TRUSTED, ssl_context=context)


def test_https_refuses_an_untrusted_certificate(tls_server):
    port, _ = tls_server

    with pytest.raises(FetchError, match="invalid certificate"):
        fetch_url(f"https://pinned.test:{port}/page", trusted_hosts=["pinned.test"])


# --- The address check itself ----------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3", "172.16.0.1", "192.168.1.1", "127.0.0.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255", "192.0.2.1", "198.18.0.1",  # noqa: S104
        "::1", "::", "fe80::1", "fc00::1", "ff02::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1",
        "64:ff9b::a00:1", "2002:a00:1::", "2001:db8::1",
    ],
)  # fmt: skip
def test_non_public_addresses(address):
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses(address):
    assert is_public_address(ipaddress.ip_address(address))
