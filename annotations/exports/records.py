"""One export record per claim, read in constant memory (``pages``).

A page's records are built one at a time as they are taken: a format encodes
each before taking the next, so a record is still in the processor's cache
when it is encoded and gone right after (building a page of records first
and encoding them after is several times slower, mostly in the garbage
collector, which such a page keeps busy).

Every format (JSONL, JSON, CSV, ClaimReview, Web Annotation) is written from
these records (``schema.Record``), so they all say the same thing about a
claim.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from annotations.exports.pages import (
    ARTICLE,
    LABEL,
    SOURCE,
    TARGET_ARTICLE,
    TARGET_CLAIM,
    Page,
    Reader,
    Related,
    pages,
)
from annotations.exports.schema import (
    ArticleTarget,
    ClaimTarget,
    FinalVerdict,
    Provenance,
    Record,
    RecordArticle,
    RecordEvidence,
    RecordMatch,
    RecordVerdict,
    SourceTarget,
)
from annotations.models import Claim, EvidenceLink, Verdict

CHUNK_SIZE = 3000

# An export's watermark is its start time minus this margin: a change whose
# transaction was still open when the export started carries an earlier
# ``updated_at`` than the export's start, and must still be in the next one.
WATERMARK_MARGIN = timedelta(seconds=60)


def ts(value: datetime | None) -> str | None:
    """UTC, ISO 8601, with ``Z`` (what the W3C model requires); the same
    form as ``IsoTime`` for times computed in Python."""
    if value is None:
        return None
    if value.utcoffset():
        value = value.astimezone(UTC)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text + "Z"


@dataclass(frozen=True)
class ExportScope:
    """What to export: a queryset of claims the caller may see (already
    filtered), and the changes since ``updated_after``."""

    claims: QuerySet
    updated_after: datetime | None = None
    chunk_size: int = CHUNK_SIZE
    # Called with the number of claims in each page once it is read.
    on_page: Callable[[int], None] | None = None

    def queryset(self) -> QuerySet:
        qs = self.claims
        if self.updated_after is not None:
            qs = qs.filter(changed_since(self.updated_after))
        return qs

    def count(self) -> int:
        return self.queryset().count()


def changed_since(moment: datetime) -> Q:
    """A claim changed when it, one of its verdicts or one of its evidence
    links did (a withdrawn verdict bumps the claim itself)."""
    return (
        Q(updated_at__gt=moment)
        | Q(Exists(Verdict.objects.filter(claim=OuterRef("pk"), updated_at__gt=moment)))
        | Q(Exists(EvidenceLink.objects.filter(claim=OuterRef("pk"), updated_at__gt=moment)))
    )


def watermark(started: datetime) -> datetime:
    return started - WATERMARK_MARGIN


def claim_pages(scope: ExportScope) -> Iterator[list[tuple]]:
    """Rows of ``pages.CLAIM_FIELDS``, a page at a time, in primary key order."""
    reader = Reader(scope.queryset(), scope.chunk_size)
    after = 0
    while True:
        with connection.cursor() as cursor:
            rows = reader.claims.rows(cursor, after=after)
        if not rows:
            return
        yield rows
        if len(rows) < scope.chunk_size:
            return
        after = rows[-1][0]


def claim_records(scope: ExportScope) -> Iterator[Iterator[Record]]:
    """Export records, a page (at most ``chunk_size``) at a time, each page
    built record by record as it is taken."""
    for page in pages(Reader(scope.queryset(), scope.chunk_size)):
        if scope.on_page is not None:
            scope.on_page(len(page.claims))
        yield _records(page)


def build_records(rows: list[tuple]) -> list[Record]:
    """The records of claim rows from ``claim_pages``."""
    with connection.cursor() as cursor:
        return list(_records(Related().page(cursor, rows)))


def _records(page: Page) -> Iterator[Record]:
    """The records of a page. What was deleted between the page's queries
    (a claim whose article is gone, a verdict whose label is gone, evidence
    whose source is gone) is left out, as it would be had it gone before."""
    articles = {}  # the article of each claim, made once a page
    for row in page.claims:
        pk = row[ARTICLE]
        article = articles.get(pk)
        if article is None:
            found = page.articles.get(pk)
            if found is None:
                continue
            article = articles[pk] = _article(pk, found)
        yield _record(row, page, article)


def _article(pk: int, row: tuple) -> tuple[str, RecordArticle]:
    """The project's slug, and the article as the records show it (shared
    by the records of its claims in a page)."""
    uuid, title, outlet, author, url, published, language, project = row
    return project, RecordArticle(
        uuid=uuid,
        id=pk,
        title=title,
        outlet=outlet,
        author=author,
        url=url,
        published_date=published,
        language=language,
    )


def _record(row: tuple, page: Page, article: tuple[str, RecordArticle]) -> Record:
    (
        pk,
        uuid,
        start,
        end,
        quote,
        prefix,
        suffix,
        normalized_text,
        claim_type,
        claimant,
        state,
        origin,
        score,
        extractor_version,
        reasons,
        created_by,
        created_at,
        updated_at,
        version,
        final_verdict,
        final_verdict_by,
        final_verdict_at,
        _,
    ) = row
    users = page.users
    final = None
    if final_verdict in page.labels:
        slug, name, rating = page.labels[final_verdict]
        final = FinalVerdict(
            verdict=slug,
            name=name,
            rating=rating,
            decided_by="editor" if final_verdict_by else "agreement",
            editor=users.get(final_verdict_by),
            at=final_verdict_at,
        )
    if origin == "extracted":
        provenance = Provenance(
            origin=origin,
            extractor_version=extractor_version,
            score=score,
            reasons=_json(reasons),
            author=None,
            created_at=created_at,
            updated_at=updated_at,
        )
    else:
        provenance = Provenance(
            origin=origin,
            extractor_version=None,
            score=None,
            reasons=[],
            author=users.get(created_by),
            created_at=created_at,
            updated_at=updated_at,
        )
    verdicts = page.verdicts.get(pk)
    evidence = page.evidence.get(pk)
    matches = page.matches.get(pk)
    return Record(
        uuid=uuid,
        id=pk,
        project=article[0],
        quote=quote,
        start=start,
        end=end,
        prefix=prefix,
        suffix=suffix,
        normalized_text=normalized_text,
        claim_type=claim_type,
        claimant=claimant,
        state=state,
        version=version,
        article=article[1],
        verdicts=[_verdict(v, page) for v in verdicts if v[LABEL] in page.labels]
        if verdicts
        else [],
        final_verdict=final,
        evidence=[_evidence(e, page) for e in evidence if _linked(e, page)] if evidence else [],
        matches=[_match(m) for m in matches] if matches else [],
        provenance=provenance,
    )


def _json(text):
    """A JSON field's value, read as the ORM would (its text, if not JSON)."""
    if not isinstance(text, str):
        return text
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        try:
            return json.loads(text)  # NaN, or an integer beyond 64 bits
        except json.JSONDecodeError:
            return text


def _verdict(row: tuple, page: Page) -> RecordVerdict:
    _, reviewer, label, rationale, version, created, updated = row
    slug, name, rating = page.labels[label]
    return RecordVerdict(
        reviewer=page.users.get(reviewer),
        verdict=slug,
        name=name,
        rating=rating,
        rationale=rationale,
        version=version,
        created_at=created,
        updated_at=updated,
    )


def _linked(row: tuple, page: Page) -> bool:
    """Whether what an evidence row points to was found."""
    if row[SOURCE] is not None:
        return row[SOURCE] in page.sources
    if row[TARGET_ARTICLE] is not None:
        return row[TARGET_ARTICLE] in page.targets
    return row[TARGET_CLAIM] in page.cited


def _evidence(row: tuple, page: Page) -> RecordEvidence:
    (
        _,
        uuid,
        stance,
        source,
        article,
        claim,
        excerpt,
        excerpt_start,
        excerpt_end,
        excerpt_prefix,
        excerpt_suffix,
        note,
        who,
        created,
        updated,
    ) = row
    if source is not None:
        kind, target = "source", SourceTarget(*page.sources[source])
    elif article is not None:
        kind, target = "article", ArticleTarget(*page.targets[article])
    else:
        kind, target = "claim", ClaimTarget(*page.cited[claim])
    return RecordEvidence(
        uuid=uuid,
        stance=stance,
        kind=kind,
        target=target,
        excerpt=excerpt,
        excerpt_start=excerpt_start,
        excerpt_end=excerpt_end,
        excerpt_prefix=excerpt_prefix,
        excerpt_suffix=excerpt_suffix,
        note=note,
        created_by=page.users.get(who),
        created_at=created,
        updated_at=updated,
    )


def _match(row: tuple) -> RecordMatch:
    return RecordMatch(*row)


def claims_for_export(project=None, ids=None) -> QuerySet:
    """The base queryset: a project's claims, or a selection of claims."""
    qs = Claim.objects.all()
    if project is not None:
        qs = qs.filter(article__project=project)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs
