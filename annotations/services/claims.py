"""Claims a reviewer adds or changes."""

from django.db import IntegrityError, transaction

from annotations.extraction.spans import SpanError, make_span
from annotations.models import Article, Claim, ClaimOrigin, ClaimState, ClaimType


class ClaimRejected(Exception):
    """A claim that cannot be saved; ``str()`` is for the user."""


def claim_create_manual(
    *,
    article: Article,
    start: int,
    end: int,
    quote: str,
    user,
    claim_type: str = ClaimType.OTHER,
    claimant: str = "",
    normalized_text: str = "",
) -> Claim:
    """A span the reviewer selected. ``article.canonical_text[start:end]`` must
    equal ``quote`` exactly (offsets in code points)."""
    try:
        span = make_span(article.canonical_text, start, end, quote)
    except SpanError as exc:
        raise ClaimRejected(str(exc)) from None
    existing = Claim.objects.filter(article=article, start=span.start, end=span.end).first()
    if existing:
        raise ClaimRejected(
            f"this span is already claim {existing.pk} ({existing.get_state_display()})"
        )
    claim = Claim(
        article=article,
        start=span.start,
        end=span.end,
        quote=span.quote,
        prefix=span.prefix,
        suffix=span.suffix,
        origin=ClaimOrigin.MANUAL,
        claim_type=claim_type,
        claimant=claimant,
        normalized_text=normalized_text,
        state=ClaimState.ACCEPTED,
        created_by=user,
    )
    claim.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            claim.save()
    except IntegrityError:
        raise ClaimRejected("this span was just added by someone else") from None
    return claim
