"""One export record per claim, read in constant memory.

Claims are read in keyset pages ordered by primary key (``id > last``), so
each page is one short query that never holds a cursor open, and memory stays
the size of one page whatever the export's size. A page's verdicts, evidence
and matches come in one query each, as plain tuples: building records from
``values_list`` rows instead of model instances is what makes the export fast.

Every format (JSONL, JSON, CSV, ClaimReview, Web Annotation) is written from
these records, so they all say the same thing about a claim.
"""

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet

from annotations.exports.sql import DateText, IsoTime, UuidText
from annotations.models import Claim, ClaimMatch, EvidenceLink, Verdict

CHUNK_SIZE = 2000

# An export's watermark is its start time minus this margin: a change whose
# transaction was still open when the export started carries an earlier
# ``updated_at`` than the export's start, and must still be in the next one.
WATERMARK_MARGIN = timedelta(seconds=60)

# What each query reads, in order: a field path, or an expression computed
# by the database (text the export writes as it is).
CLAIM_FIELDS = (
    "pk",
    UuidText("uuid"),
    "start",
    "end",
    "quote",
    "prefix",
    "suffix",
    "normalized_text",
    "claim_type",
    "claimant",
    "state",
    "origin",
    "score",
    "extractor_version",
    "reasons",
    "created_by__username",
    IsoTime("created_at"),
    IsoTime("updated_at"),
    "version",
    "final_verdict__slug",
    "final_verdict__name",
    "final_verdict__rating",
    "final_verdict_by__username",
    IsoTime("final_verdict_at"),
    "article_id",
    UuidText("article__uuid"),
    "article__title",
    "article__outlet",
    "article__author",
    "article__url",
    DateText("article__published_date"),
    "article__language",
    "article__project__slug",
)
VERDICT_FIELDS = (
    "claim_id",
    "reviewer__username",
    "label__slug",
    "label__name",
    "label__rating",
    "rationale",
    "version",
    IsoTime("created_at"),
    IsoTime("updated_at"),
)
EVIDENCE_FIELDS = (
    "claim_id",
    UuidText("uuid"),
    "stance",
    "source__url",
    "source__title",
    "source__publisher",
    UuidText("target_article__uuid"),
    "target_article__title",
    "target_article__url",
    UuidText("target_claim__uuid"),
    "target_claim__quote",
    "excerpt",
    "excerpt_start",
    "excerpt_end",
    "excerpt_prefix",
    "excerpt_suffix",
    "note",
    "created_by__username",
    IsoTime("created_at"),
    IsoTime("updated_at"),
)
MATCH_FIELDS = (
    "left_id",
    "right_id",
    UuidText("left__uuid"),
    UuidText("right__uuid"),
    "left__article__url",
    "right__article__url",
    "left__article__title",
    "right__article__title",
    DateText("left__article__published_date"),
    DateText("right__article__published_date"),
    "score",
    "state",
    "stance",
)


def _rows(queryset: QuerySet, fields) -> QuerySet:
    """``values_list`` of field paths and database expressions, in order."""
    names, annotations = [], {}
    for i, field in enumerate(fields):
        if isinstance(field, str):
            names.append(field)
        else:
            annotations[f"x{i}"] = field
            names.append(f"x{i}")
    return queryset.annotate(**annotations).values_list(*names)


def _of_claims(ids: list[int], *paths: str) -> Q:
    """Rows belonging to the claims ``ids`` (sorted) through ``paths``. A
    dense page is asked for as a range, cheaper to plan and to send than
    thousands of parameters; the caller drops rows of claims not in it."""
    if ids[-1] - ids[0] < 2 * len(ids):
        ranges = [Q(**{f"{p}__gte": ids[0], f"{p}__lte": ids[-1]}) for p in paths]
    else:
        ranges = [Q(**{f"{p}__in": ids}) for p in paths]
    condition = ranges[0]
    for other in ranges[1:]:
        condition |= other
    return condition


def ts(value: datetime | None) -> str | None:
    """UTC, ISO 8601, with ``Z`` (what the W3C model requires); the same
    form as ``IsoTime`` for times computed in Python."""
    if value is None:
        return None
    if value.utcoffset():
        value = value.astimezone(UTC)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text + "Z"


def day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class ExportScope:
    """What to export: a queryset of claims the caller may see (already
    filtered), and the changes since ``updated_after``."""

    claims: QuerySet
    updated_after: datetime | None = None
    chunk_size: int = CHUNK_SIZE
    # Called with the number of claims in each page once it is built.
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
    """Rows of ``CLAIM_FIELDS``, a page at a time, in primary key order."""
    qs = _rows(scope.queryset().order_by("pk"), CLAIM_FIELDS)
    last = 0
    while True:
        rows = list(qs.filter(pk__gt=last)[: scope.chunk_size])
        if not rows:
            return
        yield rows
        if len(rows) < scope.chunk_size:
            return
        last = rows[-1][0]


def claim_records(scope: ExportScope) -> Iterator[list[dict]]:
    """Export records, a page (a list of at most ``chunk_size``) at a time."""
    for rows in claim_pages(scope):
        records = build_records(rows)
        if scope.on_page is not None:
            scope.on_page(len(records))
        yield records


def build_records(rows: list[tuple]) -> list[dict]:
    ids = [row[0] for row in rows]
    verdicts = _verdicts(ids)
    evidence = _evidence(ids)
    matches = _matches(ids)
    return [_record(row, verdicts, evidence, matches) for row in rows]


def _record(row, verdicts, evidence, matches) -> dict:
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
        fv_slug,
        fv_name,
        fv_rating,
        fv_by,
        fv_at,
        article_id,
        article_uuid,
        title,
        outlet,
        author,
        url,
        published,
        language,
        project,
    ) = row
    final = None
    if fv_slug is not None:
        final = {
            "verdict": fv_slug,
            "name": fv_name,
            "rating": fv_rating,
            # Set by an editor, or followed from the reviewers' agreement.
            "decided_by": "editor" if fv_by else "agreement",
            "editor": fv_by,
            "at": fv_at,
        }
    if origin == "extracted":
        provenance = {
            "origin": origin,
            "extractor_version": extractor_version,
            "score": score,
            "reasons": reasons,
            "author": None,
        }
    else:
        provenance = {
            "origin": origin,
            "extractor_version": None,
            "score": None,
            "reasons": [],
            "author": created_by,
        }
    provenance["created_at"] = created_at
    provenance["updated_at"] = updated_at
    return {
        "uuid": uuid,
        "id": pk,
        "project": project,
        "quote": quote,
        "start": start,
        "end": end,
        "prefix": prefix,
        "suffix": suffix,
        "normalized_text": normalized_text,
        "claim_type": claim_type,
        "claimant": claimant,
        "state": state,
        "version": version,
        "article": {
            "uuid": article_uuid,
            "id": article_id,
            "title": title,
            "outlet": outlet,
            "author": author,
            "url": url,
            "published_date": published,
            "language": language,
        },
        "verdicts": verdicts.get(pk, []),
        "final_verdict": final,
        "evidence": evidence.get(pk, []),
        "matches": matches.get(pk, []),
        "provenance": provenance,
    }


def _verdicts(ids: list[int]) -> dict[int, list[dict]]:
    out = defaultdict(list)
    rows = Verdict.objects.filter(claim_id__in=ids).order_by("claim_id", "created_at", "pk")
    for (
        claim_id,
        reviewer,
        slug,
        name,
        rating,
        rationale,
        version,
        created,
        updated,
    ) in rows.values_list(*VERDICT_FIELDS):
        out[claim_id].append(
            {
                "reviewer": reviewer,
                "verdict": slug,
                "name": name,
                "rating": rating,
                "rationale": rationale,
                "version": version,
                "created_at": created,
                "updated_at": updated,
            }
        )
    return out


def _evidence(ids: list[int]) -> dict[int, list[dict]]:
    out = defaultdict(list)
    rows = EvidenceLink.objects.filter(_of_claims(ids, "claim_id"))
    for row in _rows(rows.order_by("claim_id", "created_at", "pk"), EVIDENCE_FIELDS):
        (
            claim_id,
            uuid,
            stance,
            source_url,
            source_title,
            publisher,
            article_uuid,
            article_title,
            article_url,
            claim_uuid,
            claim_quote,
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
        if source_url is not None:
            kind = "source"
            target = {"url": source_url, "title": source_title, "publisher": publisher}
        elif article_uuid is not None:
            kind = "article"
            target = {"uuid": article_uuid, "title": article_title, "url": article_url}
        else:
            kind, target = "claim", {"uuid": claim_uuid, "quote": claim_quote}
        out[claim_id].append(
            {
                "uuid": uuid,
                "stance": stance,
                "kind": kind,
                "target": target,
                "excerpt": excerpt,
                "excerpt_start": excerpt_start,
                "excerpt_end": excerpt_end,
                "excerpt_prefix": excerpt_prefix,
                "excerpt_suffix": excerpt_suffix,
                "note": note,
                "created_by": who,
                "created_at": created,
                "updated_at": updated,
            }
        )
    return out


def _matches(ids: list[int]) -> dict[int, list[dict]]:
    out = defaultdict(list)
    rows = ClaimMatch.objects.filter(_of_claims(ids, "left_id", "right_id")).order_by("pk")
    wanted = set(ids)
    for row in _rows(rows, MATCH_FIELDS):
        (left, right, l_uuid, r_uuid, l_url, r_url, l_title, r_title, l_pub, r_pub) = row[:10]
        score, state, stance = row[10:]
        sides = ((left, (r_uuid, r_url, r_title, r_pub)), (right, (l_uuid, l_url, l_title, l_pub)))
        for mine, other in sides:
            if mine in wanted:
                out[mine].append(
                    {
                        "claim": other[0],
                        "article_url": other[1],
                        "article_title": other[2],
                        "article_published_date": other[3],
                        "score": score,
                        "state": state,
                        "stance": stance,
                    }
                )
    return out


def claims_for_export(project=None, ids=None) -> QuerySet:
    """The base queryset: a project's claims, or a selection of claims."""
    qs = Claim.objects.all()
    if project is not None:
        qs = qs.filter(article__project=project)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs
