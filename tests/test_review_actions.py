"""The review page's actions on a reviewer's own work: withdrawing a verdict,
changing or removing evidence. With htmx (partials) and without JavaScript
(plain posts), for the people allowed and refused for the others."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations.models import EvidenceLink, Verdict
from annotations.services.claims import claim_set_final_verdict, verdict_set
from annotations.services.evidence import evidence_link_create, evidence_link_update
from tests.factories import ArticleFactory, ClaimFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def claim(project):
    return ClaimFactory(article=ArticleFactory(project=project, title="Fires"))


@pytest.fixture
def other_article(project):
    return ArticleFactory(project=project, title="Figures", outlet="Weekly B")


@pytest.fixture
def link(claim, alice, other_article):
    """Alice's link from the claim to another article."""
    return evidence_link_create(
        claim=claim, user=alice, stance="supports", target_article=other_article, note="Page 3."
    )


def url(name, project, claim, *more):
    return reverse(name, args=[project.slug, claim.pk, *more])


def review(client, project, claim) -> str:
    page = reverse("article_detail", args=[project.slug, claim.article_id])
    return client.get(page, {"claim": claim.pk}).content.decode()


# ----- withdrawing a verdict ----------------------------------------------------


@pytest.mark.django_db
def test_withdraw_my_verdict_with_htmx(client, alice, bob, project, claim):
    verdict_set(claim=claim, reviewer=alice, label="disputed", rationale="No source.")
    verdict_set(claim=claim, reviewer=bob, label="supported")
    client.force_login(alice)
    html = review(client, project, claim)
    withdraw = url("verdict_withdraw", project, claim)
    assert f'formaction="{withdraw}"' in html and "Withdraw my verdict" in html
    claim.refresh_from_db()
    assert claim.final_verdict is None  # they disagree

    response = client.post(withdraw, {"verdict_version": 1}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<form id="verdict-form-{claim.pk}"')
    assert "Verdict withdrawn." in html and "Yours:" not in html
    # The verdicts, the row, the text and the state come along out of band.
    assert f'<div id="verdicts-{claim.pk}"' in html and "<strong>alice</strong>" not in html
    assert "<strong>bob</strong>: Supported" in html
    assert f'id="claim-{claim.pk}"' in html and 'id="review-counts"' in html
    assert f'id="detail-state-{claim.pk}"' in html and "the reviewers agree" in html
    claim.refresh_from_db()
    assert not claim.verdicts.filter(reviewer=alice).exists()
    assert claim.final_verdict.slug == "supported"  # bob's, now alone


@pytest.mark.django_db
def test_withdraw_without_javascript_redirects_back(client, alice, project, claim):
    verdict_set(claim=claim, reviewer=alice, label="supported")
    client.force_login(alice)
    # The button posts the verdict form to the withdraw address (formaction).
    response = client.post(
        url("verdict_withdraw", project, claim),
        {"label": "supported", "rationale": "", "verdict_version": 1},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"?claim={claim.pk}#claim-detail")
    assert "Verdict withdrawn." in client.get(response["Location"]).content.decode()
    claim.refresh_from_db()
    assert not Verdict.objects.exists() and claim.final_verdict is None


@pytest.mark.django_db
def test_withdrawing_a_verdict_changed_in_another_tab_is_refused(client, alice, project, claim):
    verdict_set(claim=claim, reviewer=alice, label="supported", rationale="First tab.")
    verdict_set(
        claim=claim,
        reviewer=alice,
        label="disputed",
        rationale="Second tab.",
        expected_version=1,
    )
    client.force_login(alice)
    withdraw = url("verdict_withdraw", project, claim)
    response = client.post(withdraw, {"label": "supported", "verdict_version": 1}, **HTMX)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Not withdrawn:" in html and "Second tab." in html  # what is there now
    assert 'name="verdict_version" value="2"' in html  # a second click withdraws it
    assert Verdict.objects.get().rationale == "Second tab."
    response = client.post(withdraw, {"verdict_version": 2}, **HTMX)
    assert response.status_code == 200 and not Verdict.objects.exists()
    # Nothing left to withdraw: said so, no error.
    response = client.post(withdraw, {"verdict_version": 2}, **HTMX)
    assert response.status_code == 200 and "You have no verdict here." in response.content.decode()


@pytest.mark.django_db
def test_an_editors_final_verdict_survives_a_withdrawal(client, alice, carol, project, claim):
    verdict_set(claim=claim, reviewer=alice, label="supported")
    claim.refresh_from_db()
    claim_set_final_verdict(
        claim=claim, editor=carol, label="disputed", expected_version=claim.version
    )
    client.force_login(alice)
    response = client.post(url("verdict_withdraw", project, claim), {"verdict_version": 1}, **HTMX)
    assert response.status_code == 200
    assert "set by an editor" in response.content.decode()
    claim.refresh_from_db()
    assert claim.final_verdict.slug == "disputed"


@pytest.mark.django_db
def test_withdraw_is_refused_to_viewers_outsiders_and_without_csrf(
    client, alice, victor, dave, project, claim
):
    verdict_set(claim=claim, reviewer=alice, label="supported")
    withdraw = url("verdict_withdraw", project, claim)
    client.force_login(victor)
    assert "Withdraw my verdict" not in review(client, project, claim)
    assert client.post(withdraw, {}, **HTMX).status_code == 403
    client.force_login(dave)
    assert client.post(withdraw, {}, **HTMX).status_code == 404
    assert client.get(withdraw).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(withdraw, {"verdict_version": 1}, **HTMX).status_code == 403
    assert Verdict.objects.count() == 1


# ----- changing evidence ----------------------------------------------------------


@pytest.mark.django_db
def test_the_evidence_list_offers_its_author_to_edit_and_remove(
    client, alice, bob, carol, project, claim, link
):
    update = url("evidence_update", project, claim, link.pk)
    delete = url("evidence_delete", project, claim, link.pk)
    client.force_login(alice)
    html = review(client, project, claim)
    assert f'action="{update}"' in html
    assert f'<form class="inline evidence-remove" method="get" action="{delete}"' in html
    assert f'hx-post="{delete}"' in html and "hx-confirm=" in html
    assert f'name="link{link.pk}-version" value="1"' in html
    excerpt = reverse("evidence_excerpt", args=[project.slug, link.pk])
    assert f'href="{excerpt}">Select the excerpt</a>' in html
    # Bob reviews too, but it is not his link; Carol edits anyone's.
    client.force_login(bob)
    html = review(client, project, claim)
    assert update not in html and delete not in html and "Select the excerpt" not in html
    client.force_login(carol)
    html = review(client, project, claim)
    assert update in html and delete in html


@pytest.mark.django_db
def test_edit_stance_and_note_with_htmx(client, alice, project, claim, link):
    client.force_login(alice)
    prefix = f"link{link.pk}"
    response = client.post(
        url("evidence_update", project, claim, link.pk),
        {
            f"{prefix}-stance": "disputes",
            f"{prefix}-note": "Page 4, not 3.",
            f"{prefix}-version": 1,
        },
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<section id="evidence-{claim.pk}"')
    assert "Evidence saved." in html and "Page 4, not 3." in html
    assert f'<li id="evlink-{link.pk}" class="stance-disputes">' in html
    assert f'id="claim-{claim.pk}"' in html  # the row, out of band
    link.refresh_from_db()
    assert (link.stance, link.note, link.version) == ("disputes", "Page 4, not 3.", 2)


@pytest.mark.django_db
def test_edit_without_javascript_and_refused_input(client, alice, project, claim, link):
    client.force_login(alice)
    prefix = f"link{link.pk}"
    update = url("evidence_update", project, claim, link.pk)
    response = client.post(
        update, {f"{prefix}-stance": "context", f"{prefix}-note": "", f"{prefix}-version": 1}
    )
    assert response.status_code == 302
    assert f"?claim={claim.pk}#" in response["Location"]
    link.refresh_from_db()
    assert (link.stance, link.note) == ("context", "")
    # No stance: refused, the note kept, the form open.
    response = client.post(
        update, {f"{prefix}-stance": "maybe", f"{prefix}-note": "Kept.", f"{prefix}-version": 2}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Kept." in html and '<details class="evidence-edit" open>' in html
    link.refresh_from_db()
    assert (link.stance, link.version) == ("context", 2)


@pytest.mark.django_db
def test_a_stale_edit_shows_theirs_and_keeps_mine(client, alice, carol, project, claim, link):
    evidence_link_update(link=link, user=carol, expected_version=1, note="Carol: see annex.")
    client.force_login(alice)
    prefix = f"link{link.pk}"
    mine = {
        f"{prefix}-stance": "disputes",
        f"{prefix}-note": "Alice's words",
        f"{prefix}-version": 1,
    }
    update = url("evidence_update", project, claim, link.pk)
    response = client.post(update, mine, **HTMX)
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed this in the meantime" in html
    assert "Carol: see annex." in html  # theirs, shown
    assert "Alice&#x27;s words" in html  # hers, kept
    assert f'name="{prefix}-version" value="2"' in html  # saving again replaces theirs
    assert '<details class="evidence-edit" open>' in html
    link.refresh_from_db()
    assert (link.note, link.version) == ("Carol: see annex.", 2)
    # Without JavaScript: the whole page, the same.
    response = client.post(update, mine)
    assert response.status_code == 409 and "Alice&#x27;s words" in response.content.decode()
    mine[f"{prefix}-version"] = 2
    assert client.post(update, mine, **HTMX).status_code == 200
    link.refresh_from_db()
    assert (link.stance, link.note, link.version) == ("disputes", "Alice's words", 3)


@pytest.mark.django_db
def test_remove_with_a_confirmation_step(client, alice, project, claim, link):
    client.force_login(alice)
    delete = url("evidence_delete", project, claim, link.pk)
    # Without JavaScript the button opens the confirmation (a GET changes nothing).
    page = client.get(delete)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Remove this evidence link?" in html and "Figures" in html
    assert f'<form method="post" action="{delete}"' in html
    assert EvidenceLink.objects.filter(pk=link.pk).exists()
    response = client.post(delete)
    assert response.status_code == 302 and f"?claim={claim.pk}#" in response["Location"]
    assert not EvidenceLink.objects.filter(pk=link.pk).exists()
    assert "Evidence link removed." in client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_remove_with_htmx_and_twice(client, alice, project, claim, link):
    client.force_login(alice)
    delete = url("evidence_delete", project, claim, link.pk)
    response = client.post(delete, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<section id="evidence-{claim.pk}"')
    assert "Evidence (0)" in html and "Evidence link removed." in html
    assert "0 evidence" in html  # the row's count, out of band
    assert not claim.evidence.exists()
    # Removed already (another tab): said so, no error.
    response = client.post(delete, **HTMX)
    assert response.status_code == 200
    assert "had been removed already" in response.content.decode()


@pytest.mark.django_db
def test_evidence_changes_are_refused_to_others(
    client, alice, bob, victor, dave, project, claim, link
):
    prefix = f"link{link.pk}"
    data = {f"{prefix}-stance": "disputes", f"{prefix}-note": "x", f"{prefix}-version": 1}
    update = url("evidence_update", project, claim, link.pk)
    delete = url("evidence_delete", project, claim, link.pk)
    for user, status in ((bob, 403), (victor, 403), (dave, 404)):
        client.force_login(user)
        assert client.post(update, data, **HTMX).status_code == status
        assert client.post(delete, **HTMX).status_code == status
        assert client.get(delete).status_code == status
    # A link reached through another claim's address is not found.
    client.force_login(alice)
    elsewhere = ClaimFactory(article=ArticleFactory(project=project))
    assert client.post(url("evidence_update", project, elsewhere, link.pk), data).status_code == 404
    assert client.get(url("evidence_delete", project, elsewhere, link.pk)).status_code == 404
    link.refresh_from_db()
    assert (link.stance, link.version) == ("supports", 1)


@pytest.mark.django_db
def test_removing_a_matched_claims_link_updates_the_matches(client, alice, project, claim):
    from annotations.models import ClaimMatch
    from annotations.services.matching import match_confirm

    theirs = ClaimFactory(article=ArticleFactory(project=project, title="Theirs"))
    match = ClaimMatch.objects.create(left=claim, right=theirs, score=0.8, stance="supports")
    match_confirm(match=match, user=alice)
    link = claim.evidence.get()
    assert link.excerpt == theirs.quote
    client.force_login(alice)
    shown = '<blockquote class="excerpt-quote"><span class="visually-hidden">Excerpt: </span>'
    assert f"{shown}{theirs.quote}" in review(client, project, claim)
    response = client.post(url("evidence_delete", project, claim, link.pk), **HTMX)
    html = response.content.decode()
    assert f'id="matches-{claim.pk}"' in html
    assert "the evidence link was removed since" in html


@pytest.mark.django_db
def test_detail_panel_queries_do_not_grow_with_the_evidence(client, alice, project, claim):
    client.force_login(alice)
    page = reverse("article_detail", args=[project.slug, claim.article_id])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page, {"claim": claim.pk}).status_code == 200
        return len(captured)

    evidence_link_create(claim=claim, user=alice, stance="supports", url="https://a.example/1")
    one = queries()
    for n in range(2, 8):
        evidence_link_create(
            claim=claim, user=alice, stance="context", url=f"https://a.example/{n}"
        )
    for other in ArticleFactory.create_batch(3, project=project):
        evidence_link_create(claim=claim, user=alice, stance="disputes", target_article=other)
    html = client.get(page, {"claim": claim.pk}).content.decode()
    assert html.count('class="evidence-edit"') == 10
    assert queries() == one
