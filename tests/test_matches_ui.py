"""The interface of matches: the Matches section of the review page and its
confirm / reject actions, the source page, and claims across outlets."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations.models import Claim, ClaimMatch, EvidenceLink, Project, Source
from annotations.services.articles import article_import_file
from annotations.services.evidence import evidence_link_create
from annotations.services.extraction import extraction_run_inline
from tests.factories import ArticleFactory, ClaimFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
SNAPSHOT = "The ministry said on Friday that 8,000 troops had arrived in Kursk. Others disagree."
EXCERPT = "8,000 troops had arrived in Kursk"


@pytest.fixture
def claims(project):
    mine = ClaimFactory(article=ArticleFactory(project=project, title="Ours", outlet="Daily A"))
    theirs = ClaimFactory(
        article=ArticleFactory(project=project, title="Theirs", outlet="Weekly B")
    )
    return mine, theirs


@pytest.fixture
def match(claims):
    mine, theirs = claims
    return ClaimMatch.objects.create(
        left=mine, right=theirs, score=0.72, stance="disputes", number_conflict=True
    )


def review(project, claim):
    url = reverse("article_detail", args=[project.slug, claim.article_id])
    return f"{url}?claim={claim.pk}"


def decide_url(project, claim, match):
    return reverse("match_decide", args=[project.slug, claim.pk, match.pk])


@pytest.mark.django_db
def test_matches_section_shows_the_other_claim_in_context(client, alice, project, claims, match):
    mine, theirs = claims
    client.force_login(alice)
    html = client.get(review(project, mine)).content.decode()
    section = html[html.index(f'id="matches-{mine.pk}"') :]
    assert "Theirs" in section and "Weekly B" in section
    assert f"<mark>{theirs.quote}</mark>" in section
    assert "≠</span> Disputes" in section  # an icon and a label, not colour alone
    assert "Possible contradiction:" in section
    assert "score 0.72" in section
    assert "data-first-suggested" in section and "<kbd>c</kbd>" in section
    assert decide_url(project, mine, match) in section
    assert "<kbd>c</kbd> / <kbd>v</kbd>" in html  # in the shortcuts list


@pytest.mark.django_db
def test_viewer_sees_matches_without_buttons(client, victor, project, claims, match):
    mine, _ = claims
    client.force_login(victor)
    html = client.get(review(project, mine)).content.decode()
    assert "Possible contradiction:" in html
    assert decide_url(project, mine, match) not in html


@pytest.mark.django_db
def test_confirm_with_htmx_links_evidence_both_ways(client, alice, project, claims, match):
    mine, theirs = claims
    client.force_login(alice)
    response = client.post(decide_url(project, mine, match), {"action": "confirm"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<section id="matches-{mine.pk}"')
    assert f'id="evidence-{mine.pk}"' in html and f'id="claim-{mine.pk}"' in html
    assert "Match confirmed" in html and "Evidence:" in html
    match.refresh_from_db()
    assert (match.state, match.decided_by) == ("confirmed", alice)
    assert EvidenceLink.objects.filter(claim=mine, target_claim=theirs, stance="disputes").exists()
    assert EvidenceLink.objects.filter(claim=theirs, target_claim=mine).exists()
    # Seen from the other article, confirmed too, with no buttons left.
    other = client.get(review(project, theirs)).content.decode()
    assert "Confirmed by alice" in other
    assert decide_url(project, theirs, match) not in other


@pytest.mark.django_db
def test_reject_without_javascript_redirects_back(client, alice, project, claims, match):
    _, theirs = claims
    client.force_login(alice)
    response = client.post(decide_url(project, theirs, match), {"action": "reject"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"?claim={theirs.pk}#matches-{theirs.pk}")
    match.refresh_from_db()
    assert match.state == "rejected"
    assert not EvidenceLink.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "Match rejected" in page and "Matches in other articles (0)" in page


@pytest.mark.django_db
def test_rejecting_a_confirmed_match_is_refused(client, alice, project, claims, match):
    mine, _ = claims
    client.force_login(alice)
    client.post(decide_url(project, mine, match), {"action": "confirm"}, **HTMX)
    response = client.post(decide_url(project, mine, match), {"action": "reject"}, **HTMX)
    assert response.status_code == 422
    assert "remove the evidence links" in response.content.decode()
    match.refresh_from_db()
    assert match.state == "confirmed"


@pytest.mark.django_db
def test_match_decisions_are_scoped(client, victor, dave, project, claims, match):
    mine, _ = claims
    url = decide_url(project, mine, match)
    client.force_login(dave)
    assert client.post(url, {"action": "confirm"}).status_code == 404
    client.force_login(victor)
    assert client.post(url, {"action": "confirm"}).status_code == 403
    match.refresh_from_db()
    assert match.state == "suggested"
    assert not EvidenceLink.objects.exists()


@pytest.mark.django_db
def test_a_match_is_reached_through_its_own_claims_only(client, alice, project, claims, match):
    unrelated = ClaimFactory(article=ArticleFactory(project=project))
    client.force_login(alice)
    response = client.post(decide_url(project, unrelated, match), {"action": "confirm"})
    assert response.status_code == 404


# ----- the source page --------------------------------------------------------


@pytest.fixture
def source(project, alice, claims):
    source = Source.objects.create(
        project=project,
        url="https://example.org/report",
        final_url="https://www.example.org/report?page=1",
        title="Ministry report",
        publisher="Ministry",
        text=SNAPSHOT,
        content_hash="ab" * 32,
        fetch_state=Source.FetchState.FETCHED,
    )
    start = SNAPSHOT.index(EXCERPT)
    evidence_link_create(
        claim=claims[0],
        user=alice,
        stance="supports",
        url=source.url,
        excerpt=EXCERPT,
        excerpt_start=start,
        excerpt_end=start + len(EXCERPT),
    )
    return source


@pytest.mark.django_db
def test_source_page_highlights_the_excerpts(client, victor, project, claims, source):
    client.force_login(victor)
    response = client.get(reverse("source_detail", args=[project.slug, source.pk]))
    html = response.content.decode()
    link = EvidenceLink.objects.get()
    assert "Ministry report" in html and "https://www.example.org/report?page=1" in html
    assert "sha256:" + "ab" * 32 in html
    assert f'id="excerpt-{link.pk}"></span><mark class="excerpt stance-supports"' in html
    assert f">{EXCERPT}</mark>" in html
    assert "✓</span> Supports" in html
    assert claims[0].quote[:40] in html
    assert "Retry" not in html


@pytest.mark.django_db
def test_review_page_links_evidence_to_the_source_page(client, alice, project, claims, source):
    client.force_login(alice)
    html = client.get(review(project, claims[0])).content.decode()
    assert reverse("source_detail", args=[project.slug, source.pk]) in html


@pytest.mark.django_db
def test_failed_source_can_be_retried(
    client, alice, victor, dave, project, source, sent_tasks, django_capture_on_commit_callbacks
):
    Source.objects.filter(pk=source.pk).update(
        fetch_state=Source.FetchState.FAILED, fetch_error="HTTP 503 from example.org"
    )
    page = reverse("source_detail", args=[project.slug, source.pk])
    retry = reverse("source_retry", args=[project.slug, source.pk])
    client.force_login(victor)
    html = client.get(page).content.decode()
    assert "HTTP 503 from example.org" in html and retry not in html
    assert client.post(retry).status_code == 403
    client.force_login(dave)
    assert client.get(page).status_code == 404
    assert client.post(retry).status_code == 404
    client.force_login(alice)
    assert retry in client.get(page).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry, **HTMX)
    assert response.status_code == 200
    assert 'id="source-status"' in response.content.decode()
    source.refresh_from_db()
    assert source.fetch_state == "pending"
    assert sent_tasks == [((source.pk,), {})]
    assert client.post(retry).status_code == 302


EMOJI_SNAPSHOT = "🛰️ Satellite images: the convoy reached Kursk on Friday. Others disagree."
PASSAGE = "the convoy reached Kursk"


@pytest.fixture
def emoji_source(project, alice, claims):
    """A source whose text has an emoji (two UTF-16 units, one code point)
    before the passage, and a link without an excerpt yet."""
    source = Source.objects.create(
        project=project,
        url="https://example.org/satellite",
        title="Satellite images",
        text=EMOJI_SNAPSHOT,
        fetch_state=Source.FetchState.FETCHED,
    )
    link = evidence_link_create(claim=claims[1], user=alice, stance="disputes", url=source.url)
    assert link.source_id == source.pk
    return source


def excerpt_post(client, project, source, link, *, quote, start, end, **extra):
    url = reverse("source_excerpt", args=[project.slug, source.pk])
    data = {"link": link.pk, "quote": quote, "start": start, "end": end}
    data[f"version-{link.pk}"] = link.version
    return client.post(url, data, **extra)


@pytest.mark.django_db
def test_reviewer_sets_an_excerpt_from_the_snapshot(client, alice, project, emoji_source):
    link = EvidenceLink.objects.get(source=emoji_source)
    start = EMOJI_SNAPSHOT.index(PASSAGE)  # code points: what the page's script sends
    assert len(EMOJI_SNAPSHOT[:start].encode("utf-16-le")) // 2 == start + 1
    page = reverse("source_detail", args=[project.slug, emoji_source.pk])
    client.force_login(alice)
    html = client.get(page).content.decode()
    assert 'id="excerpt-form"' in html and "data-excerpt-text" in html
    assert f'name="link" value="{link.pk}"' in html

    response = excerpt_post(
        client,
        project,
        emoji_source,
        link,
        quote=PASSAGE,
        start=start,
        end=start + len(PASSAGE),
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Excerpt saved." in html
    assert f'<mark class="excerpt stance-disputes" data-links="{link.pk}">{PASSAGE}</mark>' in html
    assert 'id="source-text"' in html and 'id="citing"' in html and 'hx-swap-oob="true"' in html
    link.refresh_from_db()
    assert (link.excerpt, link.excerpt_start, link.excerpt_end) == (
        PASSAGE,
        start,
        start + len(PASSAGE),
    )
    assert link.version == 2

    html = client.get(page).content.decode()
    assert f'id="excerpt-{link.pk}"></span><mark class="excerpt stance-disputes"' in html
    assert f'href="#excerpt-{link.pk}">Excerpt</a>' in html

    # Without JavaScript: back to the page, at the excerpt.
    response = excerpt_post(
        client, project, emoji_source, link, quote="convoy", start=start + 4, end=start + 10
    )
    assert response.status_code == 302 and response.url == f"{page}#excerpt-{link.pk}"
    link.refresh_from_db()
    assert link.excerpt == "convoy"


@pytest.mark.django_db
def test_a_quote_that_does_not_match_is_refused(client, alice, project, emoji_source):
    link = EvidenceLink.objects.get(source=emoji_source)
    start = EMOJI_SNAPSHOT.index(PASSAGE)
    client.force_login(alice)
    response = excerpt_post(
        client,
        project,
        emoji_source,
        link,
        quote="the convoy left Kursk",
        start=start,
        end=start + len(PASSAGE),
        **HTMX,
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Not saved: the quote does not match" in html
    # The form keeps the selection, to correct and save again.
    assert 'value="the convoy left Kursk"' in html and f'name="start" value="{start}"' in html
    assert "mark" not in html
    # UTF-16 offsets (one more for the emoji) point one character off: refused too.
    response = excerpt_post(
        client,
        project,
        emoji_source,
        link,
        quote=PASSAGE,
        start=start + 1,
        end=start + 1 + len(PASSAGE),
        **HTMX,
    )
    assert response.status_code == 422
    # Without JavaScript: the page again, with the reason and the selection.
    response = excerpt_post(
        client, project, emoji_source, link, quote="x", start=start, end=start + 1
    )
    assert response.status_code == 422
    assert "Not saved" in response.content.decode()
    link.refresh_from_db()
    assert (link.excerpt, link.excerpt_start, link.version) == ("", None, 1)


@pytest.mark.django_db
def test_a_stale_excerpt_is_refused(client, alice, carol, project, emoji_source):
    from annotations.services.evidence import evidence_link_update

    link = EvidenceLink.objects.get(source=emoji_source)
    start = EMOJI_SNAPSHOT.index(PASSAGE)
    # An editor may change anyone's link.
    evidence_link_update(link=link, user=carol, expected_version=1, note="Checked by Carol")
    client.force_login(alice)
    response = excerpt_post(
        client,
        project,
        emoji_source,
        link,
        quote=PASSAGE,
        start=start,
        end=start + len(PASSAGE),
        **HTMX,
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Not saved:" in html and "changed this in the meantime" in html
    assert f'name="version-{link.pk}" value="2"' in html and f'value="{PASSAGE}"' in html
    link.refresh_from_db()
    assert (link.excerpt, link.version) == ("", 2)


@pytest.mark.django_db
def test_setting_an_excerpt_is_scoped(client, alice, victor, dave, project, source, emoji_source):
    link = EvidenceLink.objects.get(source=emoji_source)
    start = EMOJI_SNAPSHOT.index(PASSAGE)
    args = {"quote": PASSAGE, "start": start, "end": start + len(PASSAGE)}
    client.force_login(victor)
    html = client.get(
        reverse("source_detail", args=[project.slug, emoji_source.pk])
    ).content.decode()
    assert 'id="excerpt-form"' not in html and "data-excerpt-text" not in html
    assert excerpt_post(client, project, emoji_source, link, **args).status_code == 403
    client.force_login(dave)
    assert excerpt_post(client, project, emoji_source, link, **args).status_code == 404
    client.force_login(alice)
    # A link of another source of the project, through this source's page.
    other = EvidenceLink.objects.get(source=source)
    assert excerpt_post(client, project, emoji_source, other, **args).status_code == 404
    assert excerpt_post(client, project, source, link, **args).status_code == 404
    link.refresh_from_db()
    assert link.excerpt == ""


# ----- claims across outlets ----------------------------------------------------


def across(client, project, **params):
    return client.get(reverse("claims_across", args=[project.slug]), params)


def group_with(response, words):
    return next(
        g for g in response.context["page"].object_list if any(words in c.quote for c in g.claims)
    )


@pytest.mark.django_db
def test_across_groups_the_real_articles(client, alice, project, corpus_files):
    for path in corpus_files:
        article = article_import_file(project=project, filename=path.name, data=path.read_bytes())
        extraction_run_inline(article=article)
    client.force_login(alice)
    response = across(client, project)
    assert response.status_code == 200
    troops = group_with(response, "8,000 North Korean troops")
    assert troops.outlet_names == ["The Hindu", "The Kyiv Independent"]
    assert all("8,000" in c.quote for c in troops.claims)
    html = response.content.decode()
    assert "2 outlets: The Hindu, The Kyiv Independent" in html
    dashboard = client.get(reverse("project_detail", args=[project.slug])).content.decode()
    assert reverse("claims_across", args=[project.slug]) in dashboard


@pytest.mark.django_db
def test_across_marks_where_the_demo_outlets_disagree(client):
    call_command("load_demo", stdout=io.StringIO())
    project = Project.objects.get(slug="demo")
    client.force_login(get_user_model().objects.get(username="demo-reviewer"))
    response = across(client, project)
    residents = group_with(response, "4,000 residents")
    assert residents.disagrees
    assert any("1,200" in c.quote for c in residents.claims)
    assert {"Coastal Wire", "Veloria Herald"} <= set(residents.outlet_names)
    html = response.content.decode()
    groups = html.split('<li class="across-group')[1:]
    marked = [g for g in groups if "disagrees" in g.split(">", 1)[0]]
    assert len(marked) == 1 and "4,000 residents" in marked[0]
    assert "Outlets disagree" in marked[0]
    assert "possible contradiction: the figures differ" in marked[0]
    batteries = group_with(response, "40 tonnes")
    assert not batteries.disagrees
    only = across(client, project, disagree="on")
    assert [g.claim_ids for g in only.context["page"].object_list] == [residents.claim_ids]


@pytest.mark.django_db
def test_across_leaves_out_rejected_matches(client, alice, project, claims, match):
    client.force_login(alice)
    assert len(across(client, project).context["page"].object_list) == 1
    ClaimMatch.objects.update(state="rejected")
    assert across(client, project).context["page"].object_list == []


# ----- query counts ------------------------------------------------------------


def build_matched(project, articles: int, per_article: int = 3):
    """``articles`` articles whose claims are matched in chains, some groups
    disagreeing; returns the claims."""
    made = []
    for i in range(articles):
        article = ArticleFactory(project=project, outlet=f"Outlet {i % 4}")
        text = article.canonical_text
        made += [
            Claim.objects.create(
                article=article,
                start=j,
                end=j + 10,
                quote=text[j : j + 10],
                origin="manual",
                state="candidate",
            )
            for j in range(per_article)
        ]
    ClaimMatch.objects.bulk_create(
        ClaimMatch(
            left=a,
            right=b,
            score=0.5,
            stance="disputes" if i % 5 == 0 else "supports",
            number_conflict=i % 7 == 0,
            state="confirmed" if i % 3 == 0 else "suggested",
        )
        for i, (a, b) in enumerate(zip(made, made[per_article:], strict=False))
    )
    return made


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_across_query_count_is_fixed(client, alice, project):
    client.force_login(alice)
    url = reverse("claims_across", args=[project.slug])
    build_matched(project, 2)
    small = count_queries(client, url)
    build_matched(project, 40)
    # session, user, membership + project, the matches, the page's claims
    assert small == count_queries(client, url) == 5


@pytest.mark.django_db
def test_source_query_count_is_fixed(client, alice, project, source):
    client.force_login(alice)
    url = reverse("source_detail", args=[project.slug, source.pk])
    small = count_queries(client, url)
    start = SNAPSHOT.index(EXCERPT)
    for claim in build_matched(project, 10)[:20]:
        evidence_link_create(
            claim=claim,
            user=alice,
            stance="disputes",
            url=source.url,
            excerpt=EXCERPT[:5],
            excerpt_start=start,
            excerpt_end=start + 5,
        )
    # session, user, membership + project, the source, its links with claims
    assert small == count_queries(client, url) == 5
    assert client.get(url).content.decode().count('class="excerpt-anchor"') == 21
