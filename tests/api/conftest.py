"""Fixtures of the API and export tests: an API client, a reviewed claim in
alice's project and one in dave's, and no broker for export jobs."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from annotations.models import ClaimState, Role
from annotations.services.claims import claim_set_final_verdict, verdict_set
from annotations.services.evidence import evidence_link_create
from tests import factories


@pytest.fixture(autouse=True)
def _no_export_broker(monkeypatch, _no_broker):
    """Export jobs (and matching, when present) are recorded, not sent."""
    from annotations import tasks

    if _no_broker is None:
        return
    for name in ("run_export", "match_claims"):
        task = getattr(tasks, name, None)
        if task is not None:
            monkeypatch.setattr(
                task, "delay", lambda *a, _n=name, **k: _no_broker.append(((_n, *a), k))
            )


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    client = APIClient()
    client.default_format = "json"
    return client


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def article(project):
    return factories.ArticleFactory(
        project=project,
        title="Fire report",
        url="https://news.example.com/fire",
        canonical_text="About 120 firefighters fought the blaze. "
        "Authorities evacuated 1,200 residents. The mayor said nobody died.",
    )


@pytest.fixture
def claim(article):
    return factories.ClaimFactory(article=article)


@pytest.fixture
def reviewed_claim(claim, alice, carol, article, project):
    """A claim with alice's verdict, evidence and carol's final verdict."""
    other = factories.ArticleFactory(project=project, title="Other report")
    verdict_set(claim=claim, reviewer=alice, label="supported", rationale="Fire service figure.")
    evidence_link_create(
        claim=claim, user=alice, stance="supports", url="https://fire.example.org/report"
    )
    evidence_link_create(claim=claim, user=alice, stance="context", target_article=other)
    claim.refresh_from_db()
    claim_set_final_verdict(
        claim=claim, editor=carol, label="supported", expected_version=claim.version
    )
    claim.refresh_from_db()
    assert claim.state == ClaimState.ACCEPTED
    return claim


@pytest.fixture
def outsider_claim(dave):
    project = dave.projects.get()
    article = factories.ArticleFactory(project=project, title="Elsewhere")
    return factories.ClaimFactory(article=article)


@pytest.fixture
def personas(alice, bob, carol, victor, dave):
    return {"alice": alice, "bob": bob, "carol": carol, "victor": victor, "dave": dave}


__all__ = ["Role", "login"]
