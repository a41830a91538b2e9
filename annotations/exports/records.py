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
    AS_IS,
    LINKED_BY,
    SOURCE,
    TARGET_ARTICLE,
    TARGET_CLAIM,
    Page,
    Reader,
    Related,
    pages,
)
from annotations.exports.schema import (
    FinalVerdict,
    Provenance,
    Record,
    RecordArticle,
    RecordEvidence,
    RecordMatch,
    RecordVerdict,
)
from annotations.models import Article, Claim, ClaimMatch, EvidenceLink, Verdict

CHUNK_SIZE = 3000

# An export's watermark is its start time minus this margin: a change whose
# transaction was still open when the export started carries an earlier
# ``updated_at`` than the export's start, and must still be in the next one.
WATERMARK_MARGIN = timedelta(seconds=60)


def ts(value: datetime | None) -> str | None:
    """UTC, ISO 8601, with ``Z`` (what the W3C model requires), as the
    records write the times read from the database (``sql.UtcTime``)."""
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
    """A claim changed when anything its record shows did: the claim (a
    withdrawn verdict, removed evidence or a removed match bumps the claim
    itself), its article, one of its verdicts, its evidence or what that
    cites, one of its matches or the other claim's article. Renamed users,
    verdict labels and projects are not seen: re-export in full after those."""
    after = {"updated_at__gt": moment}
    cited = Q(updated_at__gt=moment) | Q(
        Q(source__updated_at__gt=moment)
        | Q(target_article__updated_at__gt=moment)
        | Q(target_claim__updated_at__gt=moment)
    )
    matches = ClaimMatch.objects.filter(
        Q(left=OuterRef("pk"), right__article__updated_at__gt=moment)
        | Q(right=OuterRef("pk"), left__article__updated_at__gt=moment)
        | Q(Q(left=OuterRef("pk")) | Q(right=OuterRef("pk")), **after)
    )
    # The article as a subquery, not a join condition: joined, the planner
    # sorts every claim of the project for each page (quadratic with an old
    # watermark); as a subquery it walks the primary key like a full export.
    article = Article.objects.filter(pk=OuterRef("article_id"), **after)
    return (
        Q(**after)
        | Q(Exists(article))
        | Q(Exists(Verdict.objects.filter(claim=OuterRef("pk"), **after)))
        | Q(Exists(EvidenceLink.objects.filter(cited, claim=OuterRef("pk"))))
        | Q(Exists(matches))
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


# The structs are built with their fields in order, not by keyword (three
# times as fast): where a row's columns are in a struct's order, they are
# passed as they are (a test holds the two orders together). The times read
# as ``sql.UtcTime`` are made ISO 8601 inline: a call for each of the seven
# times a claim has would cost more than the rest of the work on them.


def _record(row: tuple, page: Page, article: tuple[str, RecordArticle]) -> Record:
    pk, uuid = row[0], row[1]
    (
        origin,
        score,
        extractor_version,
        reasons,
        created_by,
        created_at,
        updated_at,
        final_verdict,
        final_verdict_by,
        final_verdict_at,
        _,
    ) = row[AS_IS.stop :]
    users = page.users
    labels = page.labels
    created_at = created_at.replace(" ", "T") + "Z"
    updated_at = updated_at.replace(" ", "T") + "Z"
    label = labels.get(final_verdict)
    final = None
    if label is not None:  # slug, name, rating
        final = FinalVerdict(
            *label,
            "editor" if final_verdict_by else "agreement",
            users.get(final_verdict_by),
            final_verdict_at and final_verdict_at.replace(" ", "T") + "Z",
        )
    if origin == "extracted":
        reasons = _json(reasons)
        provenance = Provenance(
            origin, extractor_version, score, reasons, None, created_at, updated_at
        )
    else:
        author = users.get(created_by)
        provenance = Provenance(origin, None, None, [], author, created_at, updated_at)
    verdicts = page.verdicts.get(pk)
    if verdicts:
        verdicts = [
            RecordVerdict(
                users.get(reviewer),
                *labels[label_id],
                rationale,
                version,
                created.replace(" ", "T") + "Z",
                updated.replace(" ", "T") + "Z",
            )
            for _, reviewer, label_id, rationale, version, created, updated in verdicts
            if label_id in labels
        ]
    evidence = page.evidence.get(pk)
    if evidence:
        evidence = [x for e in evidence if (x := _evidence(e, page)) is not None]
    matches = page.matches.get(pk)
    return Record(
        uuid,
        pk,
        article[0],
        *row[AS_IS],
        article[1],
        verdicts or [],
        final,
        evidence or [],
        [RecordMatch(*m) for m in matches] if matches else [],
        provenance,
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


def _evidence(row: tuple, page: Page) -> RecordEvidence | None:
    """An evidence row's record; None if what it points to was not found."""
    if row[SOURCE] is not None:
        kind, target = "source", page.sources.get(row[SOURCE])
    elif row[TARGET_ARTICLE] is not None:
        kind, target = "article", page.targets.get(row[TARGET_ARTICLE])
    else:
        kind, target = "claim", page.cited.get(row[TARGET_CLAIM])
    if target is None:
        return None
    # uuid, stance, kind, target, excerpt to note, created_by, times
    return RecordEvidence(
        row[1],
        row[2],
        kind,
        target,
        *row[TARGET_CLAIM + 1 : LINKED_BY],
        page.users.get(row[LINKED_BY]),
        row[LINKED_BY + 1].replace(" ", "T") + "Z",
        row[LINKED_BY + 2].replace(" ", "T") + "Z",
    )


def claims_for_export(project=None, ids=None) -> QuerySet:
    """The base queryset: a project's claims, or a selection of claims."""
    qs = Claim.objects.all()
    if project is not None:
        qs = qs.filter(article__project=project)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs
