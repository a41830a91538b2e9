"""Database constraints: what must always hold holds even if a service is
bypassed."""

import pytest
from django.db import IntegrityError, transaction

from annotations.models import Claim, EvidenceLink, Source, Verdict
from tests.factories import ArticleFactory, ClaimFactory, UserFactory


def _violates(**kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(**kwargs)


@pytest.mark.django_db
def test_claim_span_constraints():
    article = ArticleFactory()
    base = {"article": article, "origin": "manual", "state": "accepted"}
    _violates(**base, start=5, end=5, quote="")
    _violates(**base, start=6, end=5, quote="x")
    # The quote must be exactly as long as the span.
    _violates(**base, start=0, end=10, quote="too short")
    _violates(**base, start=0, end=3, quote="abc", claim_type="gossip")
    _violates(**base | {"state": "maybe"}, start=0, end=3, quote="abc")
    # An extracted claim carries its score.
    _violates(**base | {"origin": "extracted"}, start=0, end=3, quote="abc")
    _violates(**base | {"origin": "extracted"}, start=0, end=3, quote="abc", score=1.5)


@pytest.mark.django_db
def test_quote_length_counts_code_points_not_bytes():
    text = "Hé said 👍🏽 then left."
    article = ArticleFactory(canonical_text=text)
    start = text.index("👍")
    claim = Claim.objects.create(
        article=article,
        start=start,
        end=start + 2,
        quote=text[start : start + 2],
        origin="manual",
        state="accepted",
    )
    assert claim.end - claim.start == 2


@pytest.mark.django_db
def test_one_claim_per_span():
    claim = ClaimFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimFactory(article=claim.article)


@pytest.mark.django_db
def test_one_verdict_per_reviewer_and_claim():
    claim = ClaimFactory()
    alice = UserFactory(username="alice")
    label = claim.article.project.verdict_labels.get(slug="supported")
    Verdict.objects.create(claim=claim, reviewer=alice, label=label)
    with pytest.raises(IntegrityError), transaction.atomic():
        Verdict.objects.create(claim=claim, reviewer=alice, label=label)


@pytest.mark.django_db
def test_evidence_has_exactly_one_target():
    claim = ClaimFactory()
    other = ArticleFactory(project=claim.article.project)
    source = Source.objects.create(project=other.project, url="https://example.org/a")
    with pytest.raises(IntegrityError), transaction.atomic():
        EvidenceLink.objects.create(claim=claim, stance="supports")
    with pytest.raises(IntegrityError), transaction.atomic():
        EvidenceLink.objects.create(
            claim=claim, stance="supports", source=source, target_article=other
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        EvidenceLink.objects.create(claim=claim, stance="supports", target_claim=claim)
    EvidenceLink.objects.create(claim=claim, stance="supports", source=source)
    with pytest.raises(IntegrityError), transaction.atomic():
        EvidenceLink.objects.create(claim=claim, stance="disputes", source=source)


@pytest.mark.django_db
def test_same_text_or_url_once_per_project():
    article = ArticleFactory(url="https://example.org/story")
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleFactory(project=article.project, canonical_text=article.canonical_text)
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleFactory(project=article.project, url=article.url)
    # Another project may hold the same article.
    ArticleFactory(canonical_text=article.canonical_text, url=article.url)


@pytest.mark.django_db
def test_claim_history_is_kept():
    claim = ClaimFactory()
    claim.state = "accepted"
    claim.save()
    states = [h.state for h in claim.history.order_by("history_date")]
    assert states == ["candidate", "accepted"]
