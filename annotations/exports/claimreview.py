"""schema.org ClaimReview (JSON-LD), as Google's Fact Check tools read it.

One ClaimReview per claim that has a final verdict. The project's verdict
labels each carry a rating from 1 (worst) to 5 (best): ``ratingValue`` is
that integer, ``alternateName`` the label's name. ``url`` is the claim on the
article's review page of this app; ``itemReviewed`` is a ``Claim`` whose
``author`` is the claimant, ``appearance`` the article (and the articles of
its confirmed matches) and ``firstAppearance`` the earliest of them.
"""

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field

import orjson
from django.urls import NoReverseMatch, reverse

from annotations.exports import formats
from annotations.exports.records import ExportScope, claim_records
from annotations.exports.schema import Record

BEST_RATING = 5
WORST_RATING = 1
# Google asks for a claimReviewed under 75 characters.
CLAIM_REVIEWED_MAX = 74

_encode = orjson.dumps


@dataclass(frozen=True)
class Publisher:
    """Who publishes the fact checks, and where this app is served."""

    base_url: str  # e.g. "https://factcheck.example.org" (no trailing slash)
    name: str
    # Paths reversed once per export, by URL name and project, split where
    # the id goes: reversing one for every record costs more than the record.
    _paths: dict = field(default_factory=dict, compare=False, repr=False)

    def claim_url(self, record: Record) -> str:
        path = self._path("claim_detail", record.project)
        if path is None:
            return f"{self.article_url(record)}#claim-{record.uuid}"
        return f"{self.base_url}{path[0]}{record.id}{path[1]}"

    def article_url(self, record: Record) -> str:
        path = self._path("article_detail", record.project)
        if path is None:
            raise NoReverseMatch(f"no article URL for project {record.project!r}")
        return f"{self.base_url}{path[0]}{record.article.id}{path[1]}"

    def _path(self, name: str, slug: str) -> tuple[str, str] | None:
        key = (name, slug)
        if key not in self._paths:
            try:
                path = reverse(name, kwargs={"slug": slug, "pk": _ANY_ID})
            except NoReverseMatch:
                path = None
            self._paths[key] = path.rpartition(str(_ANY_ID))[::2] if path else None
        return self._paths[key]


_ANY_ID = 918273645


def claimreview(scope: ExportScope, publisher: Publisher) -> Iterator[bytes]:
    """A JSON array of ClaimReview objects, each with its own ``@context``."""
    reviewed = claim_records(reviewed_only(scope))
    return formats.array(
        _encode(claim_review(record, publisher)) for page in reviewed for record in page
    )


def reviewed_only(scope: ExportScope) -> ExportScope:
    return dataclasses.replace(scope, claims=scope.claims.filter(final_verdict__isnull=False))


def claim_review(record: Record, publisher: Publisher) -> dict:
    final = record.final_verdict
    review = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": publisher.claim_url(record),
        "claimReviewed": short_claim(record.normalized_text or record.quote),
        "author": {"@type": "Organization", "name": publisher.name, "url": publisher.base_url},
        "datePublished": final.at or record.provenance.updated_at,
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": int(final.rating),
            "bestRating": BEST_RATING,
            "worstRating": WORST_RATING,
            "alternateName": final.name,
            "name": final.name,
        },
        "itemReviewed": _claim(record, publisher),
    }
    return review


def _claim(record: Record, publisher: Publisher) -> dict:
    article = record.article
    appearances = [
        _creative_work(
            article.url or publisher.article_url(record),
            article.title,
            article.published_date,
        )
    ]
    for match in record.matches:
        if match.state == "confirmed" and match.article_url:
            appearances.append(
                _creative_work(match.article_url, match.article_title, match.article_published_date)
            )
    dated = [a for a in appearances if "datePublished" in a]
    first = min(dated, key=lambda a: a["datePublished"]) if dated else appearances[0]
    item = {
        "@type": "Claim",
        # The claim in full: claimReviewed is cut to Google's 75 characters.
        "text": record.quote,
        "author": _claimant(record),
        "appearance": appearances,
        "firstAppearance": first,
    }
    if article.published_date:
        item["datePublished"] = article.published_date
    return item


def _claimant(record: Record) -> dict:
    if record.claimant:
        return {"@type": "Person", "name": record.claimant}
    # No named claimant: the claim is the outlet's own.
    article = record.article
    if article.author:
        return {"@type": "Person", "name": article.author}
    return {"@type": "Organization", "name": article.outlet or "Unknown"}


def _creative_work(url: str, title: str, published: str | None) -> dict:
    work = {"@type": "NewsArticle", "url": url}
    if title:
        work["headline"] = title
    if published:
        work["datePublished"] = published
    return work


def short_claim(text: str) -> str:
    """The claim in under 75 characters, cut at a word if it must be cut."""
    text = " ".join(text.split())
    if len(text) <= CLAIM_REVIEWED_MAX:
        return text
    cut = text[: CLAIM_REVIEWED_MAX - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"
