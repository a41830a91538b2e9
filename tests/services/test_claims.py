import pytest
from django.core.exceptions import PermissionDenied

from annotations.models import ClaimOrigin, ClaimState
from annotations.services.claims import (
    ClaimRejected,
    StaleWrite,
    claim_accept,
    claim_create_manual,
    claim_dismiss,
    claim_set_final_verdict,
    claim_update,
    verdict_delete,
    verdict_set,
)
from tests.extraction.test_spans import HARD_TEXTS
from tests.factories import ArticleFactory


@pytest.mark.django_db
@pytest.mark.parametrize("text", HARD_TEXTS)
def test_manual_claim_keeps_exact_span(text, project, alice):
    article = ArticleFactory(project=project, canonical_text=text)
    start, end = 2, len(text) - 1
    claim = claim_create_manual(
        article=article, start=start, end=end, quote=text[start:end], user=alice
    )
    claim.refresh_from_db()
    assert article.canonical_text[claim.start : claim.end] == claim.quote
    assert claim.origin == ClaimOrigin.MANUAL
    assert claim.state == ClaimState.ACCEPTED
    assert claim.created_by == alice


@pytest.mark.django_db
def test_manual_claim_with_wrong_quote_is_refused(project, alice):
    article = ArticleFactory(project=project, canonical_text="Troops 👍🏽 arrived in Kursk.")
    with pytest.raises(ClaimRejected, match="does not match"):
        # Offsets counted in UTF-16 units (as JavaScript does) are off by one here.
        claim_create_manual(article=article, start=7, end=15, quote="👍🏽 arr", user=alice)
    assert not article.claims.exists()


@pytest.mark.django_db
def test_same_span_twice_is_refused(project, alice):
    article = ArticleFactory(project=project, canonical_text="One claim here. Another one there.")
    claim_create_manual(article=article, start=0, end=15, quote="One claim here.", user=alice)
    with pytest.raises(ClaimRejected, match="already claim"):
        claim_create_manual(article=article, start=0, end=15, quote="One claim here.", user=alice)


@pytest.fixture
def claim(project):
    from tests.factories import ClaimFactory

    return ClaimFactory(article=ArticleFactory(project=project))


@pytest.mark.django_db
def test_accept_and_dismiss_bump_the_version_and_keep_history(claim, alice):
    accepted = claim_accept(claim=claim, user=alice, expected_version=1)
    assert (accepted.state, accepted.version) == ("accepted", 2)
    dismissed = claim_dismiss(claim=claim, user=alice, expected_version=2)
    assert (dismissed.state, dismissed.version) == ("dismissed", 3)
    history = list(claim.history.order_by("history_date").values_list("state", "history_user"))
    assert history[-2:] == [("accepted", alice.pk), ("dismissed", alice.pk)]


@pytest.mark.django_db
def test_second_of_two_concurrent_edits_is_refused(claim, alice, bob):
    claim_update(claim=claim, user=alice, expected_version=1, claimant="Zelensky")
    with pytest.raises(StaleWrite) as exc:
        claim_update(claim=claim, user=bob, expected_version=1, claimant="Putin")
    assert exc.value.current.claimant == "Zelensky"
    assert "alice changed this" in str(exc.value)
    claim.refresh_from_db()
    assert (claim.claimant, claim.version) == ("Zelensky", 2)


@pytest.mark.django_db
def test_viewers_and_outsiders_cannot_change_claims(claim, victor, dave):
    for user in (victor, dave):
        with pytest.raises(PermissionDenied):
            claim_accept(claim=claim, user=user, expected_version=1)


@pytest.mark.django_db
def test_unknown_fields_and_states_are_refused(claim, alice):
    with pytest.raises(ClaimRejected, match="cannot be changed"):
        claim_update(claim=claim, user=alice, expected_version=1, quote="other")
    with pytest.raises(ClaimRejected, match="cannot be set"):
        claim_update(claim=claim, user=alice, expected_version=1, state="orphaned")


@pytest.mark.django_db
def test_verdicts_one_per_reviewer_and_final_follows_agreement(claim, alice, bob):
    verdict_set(claim=claim, reviewer=alice, label="supported", rationale="Two outlets agree.")
    claim.refresh_from_db()
    assert claim.state == "accepted"  # judging a candidate accepts it
    assert claim.final_verdict.slug == "supported"
    verdict_set(claim=claim, reviewer=bob, label="disputed", rationale="The ministry denies it.")
    claim.refresh_from_db()
    assert claim.final_verdict is None  # they disagree
    verdict_set(claim=claim, reviewer=bob, label="supported", expected_version=1)
    claim.refresh_from_db()
    assert claim.final_verdict.slug == "supported"
    assert claim.verdicts.count() == 2
    assert claim.verdicts.get(reviewer=bob).version == 2


@pytest.mark.django_db
def test_stale_verdict_edit_is_refused(claim, alice):
    verdict_set(claim=claim, reviewer=alice, label="supported", rationale="first")
    verdict_set(
        claim=claim, reviewer=alice, label="disputed", rationale="second", expected_version=1
    )
    with pytest.raises(StaleWrite):
        verdict_set(
            claim=claim, reviewer=alice, label="supported", rationale="third", expected_version=1
        )
    assert claim.verdicts.get().rationale == "second"


@pytest.mark.django_db
def test_unknown_verdict_names_the_known_ones(claim, alice):
    with pytest.raises(ClaimRejected, match="supported"):
        verdict_set(claim=claim, reviewer=alice, label="pants-on-fire")


@pytest.mark.django_db
def test_editor_final_verdict_wins_and_can_be_handed_back(claim, alice, carol):
    verdict_set(claim=claim, reviewer=alice, label="supported")
    claim.refresh_from_db()
    with pytest.raises(PermissionDenied):
        claim_set_final_verdict(
            claim=claim, editor=alice, label="disputed", expected_version=claim.version
        )
    decided = claim_set_final_verdict(
        claim=claim, editor=carol, label="disputed", expected_version=claim.version
    )
    assert (decided.final_verdict.slug, decided.final_verdict_by) == ("disputed", carol)
    verdict_set(claim=claim, reviewer=alice, label="supported", rationale="still")
    claim.refresh_from_db()
    assert claim.final_verdict.slug == "disputed"
    handed_back = claim_set_final_verdict(
        claim=claim, editor=carol, label=None, expected_version=claim.version
    )
    assert handed_back.final_verdict.slug == "supported"


@pytest.mark.django_db
def test_withdrawn_verdict_lets_the_final_verdict_follow_the_others(claim, alice, bob):
    verdict_set(claim=claim, reviewer=alice, label="supported")
    verdict_set(claim=claim, reviewer=bob, label="disputed")
    claim.refresh_from_db()
    assert claim.final_verdict is None  # they disagree
    version = claim.version
    verdict_delete(verdict=claim.verdicts.get(reviewer=bob), reviewer=bob, expected_version=1)
    claim.refresh_from_db()
    assert claim.final_verdict.slug == "supported"  # alice's, alone
    assert claim.version == version + 1
    verdict_delete(verdict=claim.verdicts.get(reviewer=alice), reviewer=alice)
    claim.refresh_from_db()
    assert claim.final_verdict is None and not claim.verdicts.exists()
    assert claim.history.first().history_user == alice


@pytest.mark.django_db
def test_withdrawing_is_for_the_verdicts_reviewer_and_its_version(claim, alice, bob, carol):
    verdict = verdict_set(claim=claim, reviewer=alice, label="supported")
    for other in (bob, carol):
        with pytest.raises(PermissionDenied):
            verdict_delete(verdict=verdict, reviewer=other)
    verdict_set(claim=claim, reviewer=alice, label="disputed", expected_version=1)
    with pytest.raises(StaleWrite) as raised:  # changed since (another tab)
        verdict_delete(verdict=verdict, reviewer=alice, expected_version=1)
    assert raised.value.current.label.slug == "disputed"
    assert claim.verdicts.count() == 1
    verdict_delete(verdict=verdict, reviewer=alice, expected_version=2)
    verdict_delete(verdict=verdict, reviewer=alice, expected_version=2)  # gone: nothing to do
    assert not claim.verdicts.exists()


@pytest.mark.django_db
def test_an_editors_final_verdict_stays_when_a_verdict_is_withdrawn(claim, alice, carol):
    verdict = verdict_set(claim=claim, reviewer=alice, label="supported")
    claim.refresh_from_db()
    claim_set_final_verdict(
        claim=claim, editor=carol, label="disputed", expected_version=claim.version
    )
    verdict_delete(verdict=verdict, reviewer=alice)
    claim.refresh_from_db()
    assert (claim.final_verdict.slug, claim.final_verdict_by) == ("disputed", carol)
