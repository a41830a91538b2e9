import pytest

from annotations.models import ClaimOrigin, ClaimState
from annotations.services.claims import ClaimRejected, claim_create_manual
from tests.extraction.test_spans import HARD_TEXTS
from tests.factories import ArticleFactory


@pytest.mark.django_db
@pytest.mark.parametrize("text", HARD_TEXTS)
def test_manual_claim_keeps_exact_span(text, alice):
    article = ArticleFactory(canonical_text=text)
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
def test_manual_claim_with_wrong_quote_is_refused(alice):
    article = ArticleFactory(canonical_text="Troops 👍🏽 arrived in Kursk.")
    with pytest.raises(ClaimRejected, match="does not match"):
        # Offsets counted in UTF-16 units (as JavaScript does) are off by one here.
        claim_create_manual(article=article, start=7, end=15, quote="👍🏽 arr", user=alice)
    assert not article.claims.exists()


@pytest.mark.django_db
def test_same_span_twice_is_refused(alice):
    article = ArticleFactory(canonical_text="One claim here. Another one there.")
    claim_create_manual(article=article, start=0, end=15, quote="One claim here.", user=alice)
    with pytest.raises(ClaimRejected, match="already claim"):
        claim_create_manual(article=article, start=0, end=15, quote="One claim here.", user=alice)
