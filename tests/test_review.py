"""The review page and its actions: what a reviewer does to claims, with
htmx (partials) and without JavaScript (plain posts)."""

import pytest
from django.test import Client
from django.urls import reverse

from annotations.models import Claim, EvidenceLink, Source, Verdict
from annotations.services.claims import claim_update
from tests.factories import ArticleFactory, ClaimFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
TEXT = "Zoë said 🔥 fires rose 40% in Kraków. Officials disagreed. Then 👍🏽 more fires rose."


def utf16(text: str, index: int) -> int:
    """What JavaScript counts for the code-point offset ``index``."""
    return len(text[:index].encode("utf-16-le")) // 2


@pytest.fixture
def article(project):
    return ArticleFactory(project=project, canonical_text=TEXT, title="Fires")


@pytest.fixture
def claim(article):
    return ClaimFactory(article=article, start=0, end=36, quote=TEXT[:36])


def url(name, project, obj):
    return reverse(name, args=[project.slug, obj.pk])


@pytest.mark.django_db
def test_review_page_marks_claims_in_the_text_and_lists_them(client, alice, project, article):
    ClaimFactory(article=article, start=0, end=36, quote=TEXT[:36], reasons=["a percentage"])
    ClaimFactory(article=article, start=37, end=58, quote=TEXT[37:58], state="dismissed")
    ClaimFactory(article=article, start=10, end=15, quote="nope!", state="orphaned")
    client.force_login(alice)
    response = client.get(url("article_detail", project, article))
    html = response.content.decode()
    assert response["Vary"].count("HX-Request") == 1
    assert 'class="badge s-candidate"' in html and 'class="badge s-dismissed"' in html
    assert html.count('<li id="claim-') == 3
    assert "⚠ Its words are no longer in the text." in html  # the orphan, listed only
    assert "a percentage" in html
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert html.count('id="hl-') == 2


@pytest.mark.django_db
def test_accept_with_htmx_updates_row_text_and_counts(client, alice, project, claim):
    client.force_login(alice)
    response = client.post(
        url("claim_decide", project, claim), {"action": "accept", "version": 1}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li id="claim-{claim.pk}" class="claim-row s-accepted')
    assert 'id="article-text"' in html and 'id="review-counts"' in html
    assert html.count('hx-swap-oob="true"') >= 3
    assert "<html" not in html
    assert "1 accepted" in html
    claim.refresh_from_db()
    assert (claim.state, claim.version) == ("accepted", 2)


@pytest.mark.django_db
def test_dismiss_without_javascript_redirects_back(client, alice, project, claim):
    client.force_login(alice)
    response = client.post(url("claim_decide", project, claim), {"action": "dismiss", "version": 1})
    assert response.status_code == 302
    assert response["Location"].endswith(f"?claim={claim.pk}#claim-detail")
    claim.refresh_from_db()
    assert claim.state == "dismissed"
    page = client.get(response["Location"])
    assert "Claim dismissed." in page.content.decode()


@pytest.mark.django_db
def test_stale_accept_is_refused_and_names_who_changed_it(client, alice, bob, project, claim):
    claim_update(claim=claim, user=bob, expected_version=1, state="dismissed")
    client.force_login(alice)
    response = client.post(
        url("claim_decide", project, claim), {"action": "accept", "version": 1}, **HTMX
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "bob changed this in the meantime" in html and "It is dismissed now" in html
    claim.refresh_from_db()
    assert claim.state == "dismissed"


@pytest.mark.django_db
def test_second_edit_is_refused_keeping_the_text_and_showing_theirs(alice, bob, project, claim):
    """Two reviewers open the same claim; bob saves first. Alice's save is
    refused with bob's change shown, her words still in the form; saving
    again is a deliberate replacement."""
    alice_client, bob_client = Client(), Client()
    alice_client.force_login(alice)
    bob_client.force_login(bob)
    edit = url("claim_edit", project, claim)
    bob_post = {
        "edit-normalized_text": "Fires rose by 40% in Kraków",
        "edit-claimant": "Zoë Novak",
        "edit-claim_type": "quantity",
        "edit-version": 1,
    }
    assert bob_client.post(edit, bob_post, **HTMX).status_code == 200
    alice_post = {
        "edit-normalized_text": "Kraków saw 40% more fires (alice's wording)",
        "edit-claimant": "Zoë",
        "edit-claim_type": "quantity",
        "edit-version": 1,
    }
    response = alice_client.post(edit, alice_post, **HTMX)
    assert response.status_code == 409
    html = response.content.decode()
    assert "bob changed this in the meantime" in html
    assert "Fires rose by 40% in Kraków" in html  # theirs, shown
    assert "Kraków saw 40% more fires (alice&#x27;s wording)" in html  # hers, kept
    assert 'name="edit-version" value="2"' in html  # rebased on theirs
    claim.refresh_from_db()
    assert (claim.normalized_text, claim.claimant) == ("Fires rose by 40% in Kraków", "Zoë Novak")

    # Without JavaScript, the same: the whole page, her text in the form.
    response = alice_client.post(edit, alice_post)
    assert response.status_code == 409
    assert "alice&#x27;s wording" in response.content.decode()

    alice_post["edit-version"] = 2
    assert alice_client.post(edit, alice_post, **HTMX).status_code == 200
    claim.refresh_from_db()
    assert claim.claimant == "Zoë" and claim.version == 3


@pytest.mark.django_db
def test_verdict_with_rationale(client, alice, project, claim):
    client.force_login(alice)
    response = client.post(
        url("claim_verdict", project, claim),
        {
            "label": "supported",
            "rationale": "The fire service's report says 40%.",
            "verdict_version": 0,
        },
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<form id="verdict-form-{claim.pk}"')
    assert "Verdict saved: Supported." in html
    verdict = Verdict.objects.get()
    assert (verdict.reviewer, verdict.label.slug, verdict.rationale) == (
        alice,
        "supported",
        "The fire service's report says 40%.",
    )
    claim.refresh_from_db()
    assert claim.state == "accepted" and claim.final_verdict.slug == "supported"
    assert 'data-icon="1✓"' in html  # the highlight, out of band


@pytest.mark.django_db
def test_rejected_verdict_keeps_the_rationale(client, alice, project, claim):
    client.force_login(alice)
    rationale = "Half-written reasons that must not be lost"
    response = client.post(
        url("claim_verdict", project, claim), {"rationale": rationale, "verdict_version": 0}, **HTMX
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert rationale in html and "Choose a verdict." in html
    assert not Verdict.objects.exists()


@pytest.mark.django_db
def test_verdict_from_a_stale_tab_is_refused_keeping_the_rationale(client, alice, project, claim):
    client.force_login(alice)
    verdict_url = url("claim_verdict", project, claim)
    client.post(
        verdict_url, {"label": "supported", "rationale": "First tab.", "verdict_version": 0}
    )
    response = client.post(
        verdict_url,
        {"label": "disputed", "rationale": "Second tab's reasons.", "verdict_version": 0},
        **HTMX,
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Second tab&#x27;s reasons." in html and "First tab." in html
    assert 'name="verdict_version" value="1"' in html
    assert Verdict.objects.get().rationale == "First tab."


@pytest.mark.django_db
def test_select_text_with_emoji_adds_a_claim_at_code_point_offsets(client, alice, project, article):
    quote = "🔥 fires rose 40% in Kraków"
    start = TEXT.index(quote)
    client.force_login(alice)
    response = client.post(
        url("claim_create", project, article),
        {
            "new-quote": quote,
            "new-start_utf16": utf16(TEXT, start),
            "new-end_utf16": utf16(TEXT, start + len(quote)),
            "new-claimant": "Zoë",
            "new-claim_type": "quantity",
        },
        **HTMX,
    )
    assert response.status_code == 200
    claim = Claim.objects.get()
    assert (claim.start, claim.end, claim.quote) == (start, start + len(quote), quote)
    assert TEXT[claim.start : claim.end] == quote
    assert (claim.origin, claim.state, claim.created_by) == ("manual", "accepted", alice)
    html = response.content.decode()
    assert f'data-claim="{claim.pk}"' in html and 'id="claim-list"' in html


@pytest.mark.django_db
def test_a_quote_that_does_not_match_the_offsets_is_refused(client, alice, project, article):
    client.force_login(alice)
    start = TEXT.index("👍🏽")
    response = client.post(
        url("claim_create", project, article),
        {
            # Offsets counted in code points, as a buggy client would: off by
            # the emoji's second UTF-16 unit.
            "new-quote": "👍🏽 more fires",
            "new-start_utf16": start,
            "new-end_utf16": start + len("👍🏽 more fires"),
            "new-claim_type": "other",
        },
        **HTMX,
    )
    assert response.status_code == 422
    assert "👍🏽 more fires" in response.content.decode()  # kept in the form
    assert not Claim.objects.exists()


@pytest.mark.django_db
def test_without_javascript_a_quote_found_once_is_enough(client, alice, project, article):
    client.force_login(alice)
    create = url("claim_create", project, article)
    response = client.post(create, {"new-quote": "Officials disagreed.", "new-claim_type": "other"})
    assert response.status_code == 302
    claim = Claim.objects.get()
    assert TEXT[claim.start : claim.end] == "Officials disagreed."
    response = client.post(create, {"new-quote": "fires rose", "new-claim_type": "other"})
    assert response.status_code == 422
    assert "occur 2 times" in response.content.decode()


@pytest.mark.django_db
def test_link_a_url_an_article_and_a_claim(client, alice, project, claim, sent_tasks):
    other = ArticleFactory(project=project, title="Fire service report")
    other_claim = ClaimFactory(article=other)
    client.force_login(alice)
    evidence = url("evidence_create", project, claim)
    response = client.post(
        evidence,
        {
            "ev-url": "https://fire.example/report?utm_source=x",
            "ev-stance": "supports",
            "ev-note": "p. 3",
        },
        **HTMX,
    )
    assert response.status_code == 200
    assert "1 evidence" in response.content.decode()  # the row, out of band
    source = Source.objects.get()
    assert source.url == "https://fire.example/report"
    client.post(evidence, {"ev-target": f"article:{other.pk}", "ev-stance": "context"}, **HTMX)
    # Without JavaScript: back to the page, at the claim's evidence.
    plain = client.post(evidence, {"ev-target": f"claim:{other_claim.pk}", "ev-stance": "disputes"})
    assert plain.status_code == 302
    assert plain["Location"].endswith(f"?claim={claim.pk}#evidence-{claim.pk}")
    links = EvidenceLink.objects.filter(claim=claim)
    assert {
        (link.stance, bool(link.source_id), link.target_article, link.target_claim)
        for link in links
    } == {
        ("supports", True, None, None),
        ("context", False, other, None),
        ("disputes", False, None, other_claim),
    }
    duplicate = client.post(
        evidence, {"ev-target": f"article:{other.pk}", "ev-stance": "context"}, **HTMX
    )
    assert duplicate.status_code == 422
    assert "already links to that evidence" in duplicate.content.decode()
    both = client.post(
        evidence,
        {
            "ev-url": "https://a.example/",
            "ev-target": f"article:{other.pk}",
            "ev-stance": "context",
            "ev-note": "kept note",
        },
        **HTMX,
    )
    assert both.status_code == 422 and "kept note" in both.content.decode()


@pytest.mark.django_db
def test_evidence_target_from_another_project_is_refused(client, alice, dave, project, claim):
    foreign = ArticleFactory(project=dave.memberships.get().project)
    client.force_login(alice)
    response = client.post(
        url("evidence_create", project, claim),
        {"ev-target": f"article:{foreign.pk}", "ev-stance": "supports"},
        **HTMX,
    )
    assert response.status_code == 422
    assert not EvidenceLink.objects.exists()


@pytest.mark.django_db
def test_autocomplete_finds_articles_and_claims_of_the_project(client, alice, dave, project, claim):
    other = ArticleFactory(project=project, title="Kraków fire brigade figures")
    ArticleFactory(project=dave.memberships.get().project, title="Kraków elsewhere")
    target = ClaimFactory(article=other)
    client.force_login(alice)
    response = client.get(url("evidence_targets", project, claim), {"ev-q": "Kraków"}, **HTMX)
    html = response.content.decode()
    assert f'value="article:{other.pk}"' in html
    assert "Kraków elsewhere" not in html
    assert f'value="claim:{claim.pk}"' not in html  # not itself
    response = client.get(url("evidence_targets", project, claim), {"ev-q": "8,000"}, **HTMX)
    assert f'value="claim:{target.pk}"' in response.content.decode()
    # Without JavaScript the page itself shows the results in the panel.
    page = client.get(
        url("article_detail", project, claim.article), {"claim": claim.pk, "ev-q": "Kraków"}
    )
    assert f'value="article:{other.pk}"' in page.content.decode()


@pytest.mark.django_db
def test_detail_partial_and_its_fallback(client, alice, project, claim):
    client.force_login(alice)
    detail = url("claim_detail", project, claim)
    response = client.get(detail, **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="claim-detail"')
    assert f'id="verdict-form-{claim.pk}"' in html and "<html" not in html
    assert "HX-Request" in response["Vary"]
    plain = client.get(detail)
    assert plain.status_code == 302 and plain["Location"].endswith(
        f"?claim={claim.pk}#claim-detail"
    )


@pytest.mark.django_db
def test_viewer_sees_no_forms_and_cannot_act(client, victor, project, claim):
    client.force_login(victor)
    html = client.get(url("article_detail", project, claim.article), {"claim": claim.pk}).content
    assert b'class="decide"' not in html and b"verdict-form" not in html
    assert b"add-claim" not in html
    for name, data in [
        ("claim_decide", {"action": "accept", "version": 1}),
        ("claim_verdict", {"label": "supported"}),
        ("claim_edit", {"edit-claim_type": "other", "edit-version": 1}),
        ("evidence_create", {"ev-url": "https://a.example/", "ev-stance": "supports"}),
        ("claim_final_verdict", {"final-final_verdict": "supported", "final-version": 1}),
    ]:
        assert client.post(url(name, project, claim), data, **HTMX).status_code == 403
    assert client.post(url("claim_create", project, claim.article), {}).status_code == 403
    claim.refresh_from_db()
    assert claim.version == 1


@pytest.mark.django_db
def test_outsider_gets_404_on_every_action(client, dave, project, claim):
    client.force_login(dave)
    for name in ("claim_decide", "claim_verdict", "claim_edit", "evidence_create"):
        assert client.post(url(name, project, claim), {}).status_code == 404
    assert client.get(url("claim_detail", project, claim), **HTMX).status_code == 404
    assert client.get(url("evidence_targets", project, claim)).status_code == 404


@pytest.mark.django_db
def test_editor_sets_and_clears_the_final_verdict(client, alice, carol, project, claim):
    client.force_login(carol)
    final = url("claim_final_verdict", project, claim)
    response = client.post(final, {"final-final_verdict": "disputed", "final-version": 1}, **HTMX)
    assert response.status_code == 200
    claim.refresh_from_db()
    assert (claim.final_verdict.slug, claim.final_verdict_by) == ("disputed", carol)
    client.post(final, {"final-final_verdict": "", "final-version": claim.version}, **HTMX)
    claim.refresh_from_db()
    assert claim.final_verdict_by is None
    client.force_login(alice)
    assert (
        client.post(
            final, {"final-final_verdict": "supported", "final-version": claim.version}
        ).status_code
        == 403
    )


@pytest.mark.django_db
def test_csrf_is_enforced_and_the_htmx_header_passes(alice, project, claim):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    page = client.get(url("article_detail", project, claim.article))
    token = page.context["csrf_token"]
    data = {"action": "accept", "version": 1}
    decide = url("claim_decide", project, claim)
    assert client.post(decide, data, **HTMX).status_code == 403
    response = client.post(decide, data, HTTP_X_CSRFTOKEN=str(token), **HTMX)
    assert response.status_code == 200


@pytest.mark.django_db
def test_extraction_status_polls_then_brings_the_claims(client, alice, project, article):
    article.extraction_state = "running"
    article.save()
    client.force_login(alice)
    status = url("article_status", project, article)
    html = client.get(status, **HTMX).content.decode()
    assert 'hx-trigger="every 2s"' in html and "Running" in html
    ClaimFactory(article=article, start=0, end=36, quote=TEXT[:36])
    article.extraction_state = "done"
    article.save()
    html = client.get(status, {"was": "active"}, **HTMX).content.decode()
    assert "hx-trigger" not in html.split("</div>")[0]
    assert 'id="claim-list"' in html and 'hx-swap-oob="true"' in html and "Claims <span" in html


@pytest.mark.django_db
def test_rerun_extraction_with_htmx_answers_the_status(
    client, alice, project, article, sent_tasks, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("article_extract", project, article), **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="extraction-status"') and "every 2s" in html
    assert len(sent_tasks) == 1


@pytest.mark.django_db
def test_next_article_with_open_candidates(client, alice, project):
    first, middle, last = (ArticleFactory(project=project) for _ in range(3))
    ClaimFactory(article=first)
    ClaimFactory(article=last)
    ClaimFactory(article=middle, state="accepted")
    client.force_login(alice)
    assert client.get(url("article_next", project, first))["Location"] == url(
        "article_detail", project, last
    )
    assert client.get(url("article_next", project, last))["Location"] == url(
        "article_detail", project, first
    )  # wraps round
    Claim.objects.filter(article=first).update(state="dismissed")
    response = client.get(url("article_next", project, last))
    assert response["Location"] == reverse("article_list", args=[project.slug])
