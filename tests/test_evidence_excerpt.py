"""The excerpt of evidence in another article (issue #5): the target article's
text with the excerpt highlighted, where the reviewer selects the passage.
Offsets are code points; the server checks the quote against them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations.models import EvidenceLink, Source
from annotations.services.evidence import evidence_link_create, evidence_link_update
from tests.factories import ArticleFactory, ClaimFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
# An emoji (two UTF-16 units, one code point) before the passage.
TARGET = "🛰️ Satellite images show the convoy reached Kursk on Friday. The convoy left."
PASSAGE = "the convoy reached Kursk"


@pytest.fixture
def claim(project):
    return ClaimFactory(article=ArticleFactory(project=project, title="Ours"))


@pytest.fixture
def target(project):
    return ArticleFactory(project=project, title="Satellite report", canonical_text=TARGET)


@pytest.fixture
def link(claim, alice, target):
    return evidence_link_create(claim=claim, user=alice, stance="supports", target_article=target)


def page(project, link) -> str:
    return reverse("evidence_excerpt", args=[project.slug, link.pk])


def save(client, project, link, *, quote, start="", end="", version=None, **extra):
    data = {"quote": quote, "start": start, "end": end, "version": version or link.version}
    return client.post(page(project, link), data, **extra)


@pytest.mark.django_db
def test_page_shows_the_text_and_a_form_to_its_author(client, alice, project, link):
    client.force_login(alice)
    response = client.get(page(project, link))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Excerpt of “Satellite report”" in html
    assert 'id="excerpt-text" class="canonical-text source-text" data-excerpt-text' in html
    assert 'id="excerpt-form"' in html and "Select the excerpt" in html
    assert "🛰️ Satellite images show the convoy" in html and "<mark" not in html
    back = reverse("article_detail", args=[project.slug, link.claim.article_id])
    assert f"{back}?claim={link.claim_id}#evidence-{link.claim_id}" in html


@pytest.mark.django_db
def test_select_a_passage_after_an_emoji(client, alice, project, link):
    start = TARGET.index(PASSAGE)  # code points: what the page's script sends
    assert len(TARGET[:start].encode("utf-16-le")) // 2 > start  # JavaScript counts more
    client.force_login(alice)
    response = save(
        client, project, link, quote=PASSAGE, start=start, end=start + len(PASSAGE), **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="excerpt-form"')
    assert "Excerpt saved." in html and "Change the excerpt" in html
    assert f'<mark class="excerpt stance-supports" data-links="{link.pk}">{PASSAGE}</mark>' in html
    assert 'id="excerpt-text"' in html and 'hx-swap-oob="true"' in html
    link.refresh_from_db()
    assert (link.excerpt, link.excerpt_start, link.excerpt_end, link.version) == (
        PASSAGE,
        start,
        start + len(PASSAGE),
        2,
    )
    assert (
        link.excerpt_prefix == TARGET[:start] and link.excerpt_suffix == TARGET[start + 24 :][:32]
    )
    # The review page shows the quote and offers to change it.
    html = client.get(
        reverse("article_detail", args=[project.slug, link.claim.article_id]),
        {"claim": link.claim_id},
    ).content.decode()
    assert PASSAGE in html and "Change the excerpt" in html


@pytest.mark.django_db
def test_offsets_that_do_not_match_the_quote_are_refused(client, alice, project, link):
    start = TARGET.index(PASSAGE)
    units = len(TARGET[:start].encode("utf-16-le")) // 2  # UTF-16, not converted
    client.force_login(alice)
    response = save(
        client, project, link, quote=PASSAGE, start=units, end=units + len(PASSAGE), **HTMX
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Not saved: the quote does not match" in html
    assert f">{PASSAGE}</textarea>" in html  # kept, to save again
    assert 'name="start" value=""' in html  # the words alone are looked for next time
    link.refresh_from_db()
    assert (link.excerpt, link.version) == ("", 1)


@pytest.mark.django_db
def test_without_javascript_words_found_once_are_enough(client, alice, project, link):
    client.force_login(alice)
    response = save(client, project, link, quote="reached Kursk")
    assert response.status_code == 302
    assert response["Location"] == f"{page(project, link)}#excerpt-{link.pk}"
    link.refresh_from_db()
    start = TARGET.index("reached Kursk")
    assert (link.excerpt, link.excerpt_start) == ("reached Kursk", start)
    assert "Excerpt saved." in client.get(response["Location"]).content.decode()
    for quote, reason in (("convoy", "occur 2 times"), ("the tanks", "not in the text")):
        response = save(client, project, link, quote=quote, version=2)
        assert response.status_code == 422
        assert reason in response.content.decode()
    response = save(client, project, link, quote="  ", version=2)
    assert response.status_code == 422
    link.refresh_from_db()
    assert (link.excerpt, link.version) == ("reached Kursk", 2)


@pytest.mark.django_db
def test_a_stale_excerpt_shows_theirs_and_keeps_mine(client, alice, carol, project, link):
    theirs = "Satellite images"
    start = TARGET.index(theirs)
    evidence_link_update(
        link=link,
        user=carol,
        expected_version=1,
        excerpt=theirs,
        excerpt_start=start,
        excerpt_end=start + len(theirs),
    )
    client.force_login(alice)
    mine = TARGET.index(PASSAGE)
    response = save(
        client, project, link, quote=PASSAGE, start=mine, end=mine + 24, version=1, **HTMX
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed this in the meantime" in html
    assert f'data-links="{link.pk}">{theirs}</mark>' in html  # theirs, highlighted
    assert f">{PASSAGE}</textarea>" in html and f'name="start" value="{mine}"' in html
    assert 'name="version" value="2"' in html
    response = save(client, project, link, quote=PASSAGE, start=mine, end=mine + 24, version=2)
    assert response.status_code == 302
    link.refresh_from_db()
    assert (link.excerpt, link.version) == (PASSAGE, 3)


@pytest.mark.django_db
def test_a_link_to_a_claim_proposes_the_claims_words(client, alice, project, claim):
    other = ArticleFactory(project=project, canonical_text=TARGET)
    start = TARGET.index(PASSAGE)
    cited = ClaimFactory(article=other, start=start, end=start + 24, quote=PASSAGE)
    # A link made before links to claims quoted them: no excerpt.
    link = EvidenceLink.objects.create(
        claim=claim, target_claim=cited, stance="context", created_by=alice
    )
    client.force_login(alice)
    html = client.get(page(project, link)).content.decode()
    assert "The cited claim's words are proposed" in html
    assert f">{PASSAGE}</textarea>" in html and f'name="start" value="{start}"' in html
    assert "It cites the claim" in html
    response = save(client, project, link, quote=PASSAGE, start=start, end=start + 24)
    assert response.status_code == 302
    link.refresh_from_db()
    assert (link.excerpt, link.excerpt_start) == (PASSAGE, start)


@pytest.mark.django_db
def test_others_see_the_excerpt_but_cannot_set_it(client, alice, bob, victor, dave, project, link):
    start = TARGET.index(PASSAGE)
    evidence_link_update(
        link=link,
        user=alice,
        expected_version=1,
        excerpt=PASSAGE,
        excerpt_start=start,
        excerpt_end=start + 24,
    )
    for user in (bob, victor):
        client.force_login(user)
        html = client.get(page(project, link)).content.decode()
        assert f">{PASSAGE}</mark>" in html
        assert "data-excerpt-text" not in html and "<textarea" not in html
        response = save(client, project, link, quote="Satellite images", start=3, end=19)
        assert response.status_code == 403
    client.force_login(dave)
    assert client.get(page(project, link)).status_code == 404
    assert save(client, project, link, quote="Satellite", start=3, end=12).status_code == 404
    link.refresh_from_db()
    assert (link.excerpt, link.version) == (PASSAGE, 2)


@pytest.mark.django_db
def test_a_source_links_excerpt_is_on_the_source_page(client, alice, project, claim):
    source = Source.objects.create(
        project=project, url="https://example.org/r", text="Text.", fetch_state="fetched"
    )
    link = evidence_link_create(claim=claim, user=alice, stance="supports", url=source.url)
    client.force_login(alice)
    response = client.get(page(project, link))
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("source_detail", args=[project.slug, source.pk]) + f"#excerpt-{link.pk}"
    )
    assert save(client, project, link, quote="Text", start=0, end=4).status_code == 404


@pytest.mark.django_db
def test_the_source_page_offers_only_the_links_the_user_may_change(
    client, alice, bob, project, claim
):
    source = Source.objects.create(
        project=project, url="https://example.org/r", text="Some text.", fetch_state="fetched"
    )
    evidence_link_create(claim=claim, user=alice, stance="supports", url=source.url)
    excerpt_url = reverse("source_excerpt", args=[project.slug, source.pk])
    client.force_login(bob)
    html = client.get(reverse("source_detail", args=[project.slug, source.pk])).content.decode()
    assert 'id="excerpt-form"' not in html and "data-excerpt-text" not in html
    link = EvidenceLink.objects.get()
    data = {"link": link.pk, "quote": "Some", "start": 0, "end": 4, f"version-{link.pk}": 1}
    assert client.post(excerpt_url, data).status_code == 403
    client.force_login(alice)
    assert client.post(excerpt_url, data).status_code == 302


@pytest.mark.django_db
def test_page_query_count_is_fixed(client, alice, project, link):
    client.force_login(alice)
    # session, user, membership + project, the link with its claim and target
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page(project, link)).status_code == 200
    assert len(queries) == 4
