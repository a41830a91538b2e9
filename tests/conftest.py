"""Personas and shared fixtures.

alice reviews and bob reviews the same project; carol is its editor; victor
only views it; dave is an outsider with a project of his own. Tests build
their data with factories and services, never from fixture dumps.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from annotations.models import Role
from tests import factories

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"


@pytest.fixture(autouse=True)
def _no_broker(request, monkeypatch):
    """Unit tests record the tasks they would send instead of sending them;
    only tests marked ``integration`` talk to the real broker."""
    if request.node.get_closest_marker("integration"):
        yield None
        return
    from annotations import tasks

    sent = []
    for task in (tasks.extract_claims, tasks.fetch_source, tasks.match_claims, tasks.run_export):
        monkeypatch.setattr(task, "delay", lambda *args, **kwargs: sent.append((args, kwargs)))
    yield sent


@pytest.fixture
def sent_tasks(_no_broker):
    return _no_broker


@pytest.fixture
def project(db):
    return factories.ProjectFactory(slug="desk", name="Desk")


@pytest.fixture
def alice(project):
    return factories.member(project, "alice", Role.REVIEWER)


@pytest.fixture
def bob(project):
    return factories.member(project, "bob", Role.REVIEWER)


@pytest.fixture
def carol(project):
    return factories.member(project, "carol", Role.EDITOR)


@pytest.fixture
def victor(project):
    return factories.member(project, "victor", Role.VIEWER)


@pytest.fixture
def dave(db):
    """An outsider: a member of another project only."""
    other = factories.ProjectFactory(slug="elsewhere", name="Elsewhere")
    return factories.member(other, "dave", Role.ADMIN)


@pytest.fixture
def corpus_files():
    files = sorted(CORPUS.glob("*.txt"))
    assert len(files) == 2, f"the real corpus is expected in {CORPUS}"
    return files


@pytest.fixture(autouse=True)
def _plain_http(settings):
    """Tests talk plain HTTP to the test client and the live server; the
    production defaults (HTTPS redirect, secure cookies) are tested apart."""
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


class _Page(BaseHTTPRequestHandler):
    """A news page on 127.0.0.1, for URL import and source snapshots."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/story":
            body = (
                b"<html><head><title>Bridge</title></head><body><article><h1>Bridge closes</h1>"
                b"<p>The bridge carried 20,000 cars a day before it closed, the city said.</p>"
                b"</article></body></html>"
            )
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
        else:
            body = b"gone"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def local_site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
