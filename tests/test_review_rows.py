"""The claim list's rows, made in Python (annotations/views/claim_rows.py):
the same in the page and in an htmx answer, every value escaped, the state
told in words besides colour."""

import re

import pytest
from django.urls import reverse

from tests.factories import ArticleFactory, ClaimFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
TEXT = "Zoë said 🔥 fires rose 40% in Kraków. Officials disagreed. Then 👍🏽 more fires rose."


@pytest.fixture
def article(project):
    return ArticleFactory(project=project, canonical_text=TEXT, title="Fires")


def row(html: str, claim) -> str:
    """The claim's row, its CSRF token blanked (each render masks it anew)."""
    found = re.search(rf'<li id="claim-{claim.pk}".*?</li>', html, re.S)
    assert found, html
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", found.group(0))


@pytest.mark.django_db
def test_the_row_an_accept_answers_is_the_row_the_page_shows(client, alice, project, article):
    claim = ClaimFactory(article=article, start=0, end=36, quote=TEXT[:36])
    client.force_login(alice)
    decide = reverse("claim_decide", args=[project.slug, claim.pk])
    answer = client.post(decide, {"action": "accept", "version": 1}, **HTMX)
    assert answer.status_code == 200
    page = client.get(reverse("article_detail", args=[project.slug, article.pk]))
    assert row(answer.content.decode(), claim) == row(page.content.decode(), claim)
    shown = row(page.content.decode(), claim)
    assert 'class="claim-row s-accepted"' in shown and 'data-version="2"' in shown
    assert 'class="accept" aria-pressed="true">Accept' in shown
    assert '<span class="visually-hidden"> claim 1</span>' in shown


@pytest.mark.django_db
def test_a_row_escapes_every_value(client, alice, project, article):
    claim = ClaimFactory(
        article=article,
        start=0,
        end=36,
        quote=TEXT[:36],
        claimant='<b>O\'Brien & "Co"</b>',
        reasons=["<i>a number</i>"],
    )
    client.force_login(alice)
    shown = row(
        client.get(reverse("article_detail", args=[project.slug, article.pk])).content.decode(),
        claim,
    )
    assert "<b>" not in shown and "<i>" not in shown
    assert "&lt;b&gt;O&#x27;Brien &amp; &quot;Co&quot;&lt;/b&gt;" in shown
    assert '<p class="reasons">&lt;i&gt;a number&lt;/i&gt;</p>' in shown


@pytest.mark.django_db
def test_a_refusal_shows_in_the_row_it_is_about(client, alice, project, article):
    claim = ClaimFactory(article=article, start=0, end=36, quote=TEXT[:36])
    other = ClaimFactory(article=article, start=37, end=55, quote=TEXT[37:55])
    client.force_login(alice)
    decide = reverse("claim_decide", args=[project.slug, claim.pk])
    client.post(decide, {"action": "accept", "version": 1}, **HTMX)
    stale = client.post(decide, {"action": "dismiss", "version": 1}, **HTMX)
    assert stale.status_code == 409
    assert '<p class="error" role="alert">Not saved:' in row(stale.content.decode(), claim)
    # Without JavaScript the whole page comes back, the refusal in that row only.
    page = client.post(decide, {"action": "dismiss", "version": 1})
    assert page.status_code == 409
    assert 'role="alert">Not saved:' in row(page.content.decode(), claim)
    assert 'role="alert"' not in row(page.content.decode(), other)


def test_decide_urls_when_the_project_slug_is_zero():
    from types import SimpleNamespace

    from annotations.views.claim_rows import prepare_rows

    claims = [
        SimpleNamespace(pk=7, start=0, end=4, quote="Text", state="candidate", final_verdict=None)
    ]
    prepare_rows(claims, "Text", verdicts={}, decide_url="/p/0/claims/0/decide/")
    assert claims[0].decide_url == "/p/0/claims/7/decide/"
