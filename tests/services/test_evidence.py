import pytest
from django.core.exceptions import PermissionDenied

from annotations.models import Article, Source
from annotations.services.claims import StaleWrite
from annotations.services.evidence import (
    EvidenceRejected,
    canonical_url,
    evidence_link_create,
    evidence_link_update,
    source_fetch,
)
from tests.factories import ArticleFactory, ClaimFactory


@pytest.fixture
def claim(project):
    return ClaimFactory(article=ArticleFactory(project=project))


def test_canonical_url_drops_tracking_and_fragments():
    assert (
        canonical_url("HTTPS://Example.ORG/a?utm_source=x&id=3&fbclid=y#top")
        == "https://example.org/a?id=3"
    )
    with pytest.raises(EvidenceRejected):
        canonical_url("javascript:alert(1)")


@pytest.mark.django_db
def test_one_source_per_url_shared_by_claims(
    project, claim, alice, sent_tasks, django_capture_on_commit_callbacks
):
    other = ClaimFactory(article=ArticleFactory(project=project))
    with django_capture_on_commit_callbacks(execute=True):
        first = evidence_link_create(
            claim=claim, user=alice, stance="supports", url="https://a.example/r?utm_medium=x"
        )
        second = evidence_link_create(
            claim=other, user=alice, stance="disputes", url="https://a.example/r"
        )
    assert first.source == second.source
    assert Source.objects.count() == 1
    assert len(sent_tasks) == 1  # fetched once


@pytest.mark.django_db
def test_links_to_articles_and_claims_with_excerpts(project, claim, alice):
    target = ArticleFactory(project=project)
    text = target.canonical_text
    start = text.index("8,000")
    link = evidence_link_create(
        claim=claim,
        user=alice,
        stance="supports",
        target_article=target,
        excerpt=text[start : start + 12],
        excerpt_start=start,
        excerpt_end=start + 12,
        note="Same figure.",
    )
    assert link.excerpt == "8,000 troops"
    assert link.excerpt_prefix == text[max(0, start - 32) : start]
    with pytest.raises(EvidenceRejected, match="does not match"):
        evidence_link_create(
            claim=claim,
            user=alice,
            stance="supports",
            target_claim=ClaimFactory(article=target),
            excerpt="10,000 troops",
            excerpt_start=start,
            excerpt_end=start + 13,
        )
    with pytest.raises(EvidenceRejected, match="already links"):
        evidence_link_create(claim=claim, user=alice, stance="disputes", target_article=target)


@pytest.mark.django_db
def test_bad_targets_are_refused(project, claim, alice, dave):
    foreign = ArticleFactory()
    with pytest.raises(EvidenceRejected, match="not in this project"):
        evidence_link_create(claim=claim, user=alice, stance="supports", target_article=foreign)
    with pytest.raises(EvidenceRejected, match="its own article"):
        evidence_link_create(
            claim=claim, user=alice, stance="supports", target_article=claim.article
        )
    with pytest.raises(EvidenceRejected, match="itself"):
        evidence_link_create(claim=claim, user=alice, stance="supports", target_claim=claim)
    with pytest.raises(EvidenceRejected, match="exactly one"):
        evidence_link_create(claim=claim, user=alice, stance="supports")
    with pytest.raises(EvidenceRejected, match="stance"):
        evidence_link_create(claim=claim, user=alice, stance="maybe", url="https://a.example")
    with pytest.raises(PermissionDenied):
        evidence_link_create(claim=claim, user=dave, stance="supports", url="https://a.example")


@pytest.mark.django_db
def test_stale_evidence_edit_is_refused(project, claim, alice, carol):
    link = evidence_link_create(claim=claim, user=alice, stance="supports", url="https://a.example")
    evidence_link_update(link=link, user=alice, expected_version=1, note="checked")
    with pytest.raises(StaleWrite):
        evidence_link_update(link=link, user=carol, expected_version=1, stance="disputes")
    link.refresh_from_db()
    assert (link.stance, link.note, link.version) == ("supports", "checked", 2)


@pytest.mark.django_db
def test_unreachable_source_keeps_the_link_and_the_reason(project, claim, alice, settings):
    settings.FACTCHECK_TRUSTED_FETCH_HOSTS = []
    link = evidence_link_create(
        claim=claim, user=alice, stance="supports", url="http://10.1.2.3/report"
    )
    source = source_fetch(source_id=link.source_id)
    assert source.fetch_state == "failed"
    assert "not a public address" in source.fetch_error
    assert claim.evidence.get() == link


@pytest.mark.django_db
def test_evidence_changes_mark_the_claim_updated(project, claim, alice):
    from annotations.models import Claim
    from annotations.services.evidence import evidence_link_delete

    def updated():
        return Claim.objects.get(pk=claim.pk).updated_at

    before = updated()
    link = evidence_link_create(claim=claim, user=alice, stance="supports", url="https://a.example")
    after_create = updated()
    assert after_create > before
    evidence_link_delete(link=link, user=alice)
    assert updated() > after_create


@pytest.mark.django_db
def test_url_source_is_snapshotted_and_an_excerpt_points_into_it(
    project, claim, alice, settings, local_site
):
    settings.FACTCHECK_TRUSTED_FETCH_HOSTS = [local_site]
    link = evidence_link_create(
        claim=claim, user=alice, stance="supports", url=f"http://{local_site}/story"
    )
    source = source_fetch(source_id=link.source_id)
    assert source.fetch_state == "fetched"
    assert source.final_url == f"http://{local_site}/story"
    assert "20,000 cars a day" in source.text
    assert source.content_hash == Article.hash_text(source.text)
    assert source.retrieved_at is not None
    start = source.text.index("20,000 cars")
    link = evidence_link_update(
        link=link,
        user=alice,
        expected_version=1,
        excerpt="20,000 cars",
        excerpt_start=start,
        excerpt_end=start + 11,
    )
    assert source.text[link.excerpt_start : link.excerpt_end] == link.excerpt == "20,000 cars"


@pytest.mark.django_db
def test_only_its_author_or_an_editor_changes_a_link(project, claim, alice, bob, carol, victor):
    from annotations.services.evidence import evidence_link_delete

    link = evidence_link_create(claim=claim, user=alice, stance="supports", url="https://a.example")
    for other in (bob, victor):
        with pytest.raises(PermissionDenied):
            evidence_link_update(link=link, user=other, expected_version=1, note="mine now")
        with pytest.raises(PermissionDenied):
            evidence_link_delete(link=link, user=other)
    link.refresh_from_db()
    assert (link.note, link.version) == ("", 1)
    link = evidence_link_update(link=link, user=alice, expected_version=1, stance="context")
    link = evidence_link_update(link=link, user=carol, expected_version=2, note="Checked.")
    assert (link.stance, link.note, link.version) == ("context", "Checked.", 3)
    evidence_link_delete(link=link, user=carol)
    assert not claim.evidence.exists()


@pytest.mark.django_db
def test_a_link_to_a_claim_quotes_the_claim_unless_told_otherwise(project, claim, alice):
    target = ClaimFactory(article=ArticleFactory(project=project))
    link = evidence_link_create(claim=claim, user=alice, stance="supports", target_claim=target)
    assert (link.excerpt, link.excerpt_start, link.excerpt_end) == (
        target.quote,
        target.start,
        target.end,
    )
    assert link.excerpt_suffix == target.article.canonical_text[target.end : target.end + 32]
    # Given an excerpt, that one.
    other = ClaimFactory(article=ArticleFactory(project=project))
    text = other.article.canonical_text
    start = text.index("The minister")
    link = evidence_link_create(
        claim=claim,
        user=alice,
        stance="context",
        target_claim=other,
        excerpt="The minister",
        excerpt_start=start,
        excerpt_end=start + 12,
    )
    assert (link.excerpt, link.excerpt_start) == ("The minister", start)
    # A claim whose words are no longer at its offsets: its words, without offsets.
    words = "Words that moved away."
    moved = ClaimFactory(article=ArticleFactory(project=project), end=len(words), quote=words)
    link = evidence_link_create(claim=claim, user=alice, stance="context", target_claim=moved)
    assert (link.excerpt, link.excerpt_start, link.excerpt_end) == (words, None, None)
