"""Records read in pages: the same as the ORM's rows make them, whichever way
the pages are read (here, or ahead by a thread of their own on PostgreSQL;
a range of ids or a list of them)."""

import time
from datetime import UTC, datetime, timedelta

import msgspec
import orjson
import pytest
from django.db import connection
from django.db.models import JSONField, Q, Value
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from annotations import exports
from annotations.exports import pages, records
from annotations.exports.records import ExportScope, claim_records, claims_for_export
from annotations.exports.schema import (
    ArticleTarget,
    ClaimTarget,
    FinalVerdict,
    Record,
    RecordEvidence,
    RecordMatch,
    RecordVerdict,
    SourceTarget,
)
from annotations.models import (
    Article,
    Claim,
    ClaimMatch,
    ClaimOrigin,
    EvidenceLink,
    Role,
    Source,
    Verdict,
    VerdictLabel,
)
from annotations.services.claims import claim_set_final_verdict, verdict_set
from annotations.services.evidence import evidence_link_create
from tests import factories

ODD = 'He said "no", \\ then\nleft\ttoday\r \x01\x1f \u2028 café 🙂 عربي </script>'
POSTGRESQL = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pages are read ahead on PostgreSQL only"
)
PUBLISHER = exports.Publisher(base_url="https://f.example", name="Desk")


def _records(scope: ExportScope) -> list[dict]:
    """The records, as plain dicts and lists (what their JSON says)."""
    return [msgspec.to_builtins(record) for page in claim_records(scope) for record in page]


def _orm_records(scope: ExportScope) -> list[dict]:
    """The records as the models say them, claim by claim: what the export
    must write, however it reads its rows."""
    claims = (
        scope.queryset()
        .order_by("pk")
        .select_related("article__project", "created_by", "final_verdict", "final_verdict_by")
    )
    return [_model_record(claim) for claim in claims]


def _model_record(claim: Claim) -> dict:
    article = claim.article
    final = None
    if claim.final_verdict is not None:
        final = {
            "verdict": claim.final_verdict.slug,
            "name": claim.final_verdict.name,
            "rating": claim.final_verdict.rating,
            "decided_by": "editor" if claim.final_verdict_by else "agreement",
            "editor": _username(claim.final_verdict_by),
            "at": _time(claim.final_verdict_at),
        }
    extracted = claim.origin == "extracted"
    matches = []
    for match in ClaimMatch.objects.filter(Q(left=claim) | Q(right=claim)).order_by("pk"):
        other = match.right if match.left_id == claim.pk else match.left
        matches.append(
            {
                "claim": str(other.uuid),
                "article_url": other.article.url,
                "article_title": other.article.title,
                "article_published_date": _day(other.article.published_date),
                "score": match.score,
                "state": match.state,
                "stance": match.stance,
            }
        )
    return {
        "uuid": str(claim.uuid),
        "id": claim.pk,
        "project": article.project.slug,
        "quote": claim.quote,
        "start": claim.start,
        "end": claim.end,
        "prefix": claim.prefix,
        "suffix": claim.suffix,
        "normalized_text": claim.normalized_text,
        "claim_type": claim.claim_type,
        "claimant": claim.claimant,
        "state": claim.state,
        "version": claim.version,
        "article": {
            "uuid": str(article.uuid),
            "id": article.pk,
            "title": article.title,
            "outlet": article.outlet,
            "author": article.author,
            "url": article.url,
            "published_date": _day(article.published_date),
            "language": article.language,
        },
        "verdicts": [
            {
                "reviewer": v.reviewer.username,
                "verdict": v.label.slug,
                "name": v.label.name,
                "rating": v.label.rating,
                "rationale": v.rationale,
                "version": v.version,
                "created_at": _time(v.created_at),
                "updated_at": _time(v.updated_at),
            }
            for v in claim.verdicts.select_related("reviewer", "label").order_by("created_at", "pk")
        ],
        "final_verdict": final,
        "evidence": [
            _model_evidence(link)
            for link in claim.evidence.select_related(
                "source", "target_article", "target_claim", "created_by"
            ).order_by("created_at", "pk")
        ],
        "matches": matches,
        "provenance": {
            "origin": claim.origin,
            "extractor_version": claim.extractor_version if extracted else None,
            "score": claim.score if extracted else None,
            "reasons": claim.reasons if extracted else [],
            "author": None if extracted else _username(claim.created_by),
            "created_at": _time(claim.created_at),
            "updated_at": _time(claim.updated_at),
        },
    }


def _model_evidence(link: EvidenceLink) -> dict:
    if link.source is not None:
        kind = "source"
        target = {"url": link.source.url, "title": link.source.title}
        target["publisher"] = link.source.publisher
    elif link.target_article is not None:
        kind = "article"
        target = {"uuid": str(link.target_article.uuid), "title": link.target_article.title}
        target["url"] = link.target_article.url
    else:
        kind = "claim"
        target = {"uuid": str(link.target_claim.uuid), "quote": link.target_claim.quote}
    return {
        "uuid": str(link.uuid),
        "stance": link.stance,
        "kind": kind,
        "target": target,
        "excerpt": link.excerpt,
        "excerpt_start": link.excerpt_start,
        "excerpt_end": link.excerpt_end,
        "excerpt_prefix": link.excerpt_prefix,
        "excerpt_suffix": link.excerpt_suffix,
        "note": link.note,
        "created_by": _username(link.created_by),
        "created_at": _time(link.created_at),
        "updated_at": _time(link.updated_at),
    }


def _username(user) -> str | None:
    return user.username if user is not None else None


def _day(value) -> str | None:
    return value.isoformat() if value is not None else None


def _time(value) -> str | None:
    """As the database writes it: PostgreSQL without the trailing zeros of
    the fraction of a second; SQLite as Django stored it (microseconds, or
    none when there are none)."""
    if value is None:
        return None
    if connection.vendor == "postgresql":
        text = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
        return text.rstrip("0").rstrip(".") + "Z"
    return records.ts(value)


def _jsonl(scope: ExportScope) -> bytes:
    return b"".join(exports.export_chunks("jsonl", scope, PUBLISHER))


@pytest.fixture
def varied(project, alice, bob, carol):
    """Claims with every shape a record takes: no verdicts or several,
    evidence of each kind, matches on either side, null dates and scores,
    odd text, and reasons of every JSON type."""
    editor = factories.member(project, 'ed"i\\tor ü', Role.EDITOR)
    VerdictLabel.objects.create(project=project, slug="odd", name=ODD, rating=3, position=5)
    plain = factories.ArticleFactory(project=project, title=ODD, author=ODD, language="fr")
    dated = factories.ArticleFactory(project=project, url="https://news.example.com/a?b=1&c=\\")
    dated.published_date = timezone.now().date()
    dated.save()
    claims = [
        factories.ClaimFactory(article=factories.ArticleFactory(project=project)) for _ in range(6)
    ]
    first, second, third, fourth, fifth, sixth = claims
    Claim.objects.filter(pk=first.pk).update(
        article=plain,
        score=1.0,
        claimant=ODD,
        normalized_text=ODD,
        extractor_version="v1 🙂",
        reasons=["number (8,000)", 'say "hi", \\ back', "tab\tnew\nline", ODD],
    )
    Claim.objects.filter(pk=second.pk).update(
        origin=ClaimOrigin.MANUAL, score=None, created_by=alice, reasons=["ignored"]
    )
    Claim.objects.filter(pk=third.pk).update(
        article=dated, score=5e-05, reasons=[1, 2.50, {"b": None, "a": [True, "x"]}]
    )
    Claim.objects.filter(pk=fourth.pk).update(score=0.0, reasons=[])
    Claim.objects.filter(pk=fifth.pk).update(score=0.0001, reasons="not a list")
    Claim.objects.filter(pk=sixth.pk).update(score=1 / 3, reasons=Value(None, JSONField()))

    # Several verdicts, the first of them written last.
    verdict_set(claim=second, reviewer=alice, label="supported", rationale=ODD)
    verdict_set(claim=second, reviewer=bob, label="disputed")
    Verdict.objects.filter(claim=second, reviewer=bob).update(
        created_at=timezone.now() - timedelta(days=1)
    )
    verdict_set(claim=second, reviewer=editor, label="odd")
    second.refresh_from_db()
    claim_set_final_verdict(
        claim=second, editor=editor, label="odd", expected_version=second.version
    )
    verdict_set(claim=third, reviewer=alice, label="supported")  # final by agreement

    # Evidence of each kind, with and without an excerpt.
    evidence_link_create(claim=third, user=alice, stance="supports", url="https://x.example/1")
    Source.objects.filter(project=project).update(title=ODD, publisher=ODD)
    evidence_link_create(claim=third, user=bob, stance="context", target_article=plain, note=ODD)
    evidence_link_create(claim=third, user=alice, stance="disputes", target_claim=first)
    EvidenceLink.objects.filter(claim=third, target_article=plain).update(
        created_at=timezone.now() - timedelta(days=2), created_by=None
    )
    evidence_link_create(
        claim=first,
        user=alice,
        stance="supports",
        target_article=dated,
        excerpt="Article",
        excerpt_start=0,
        excerpt_end=7,
    )

    # Matches on both sides.
    for left, right, score in (
        (first, fourth, 0.0),
        (fourth, fifth, 0.75),
        (second, fourth, 1e-05),
        (first, fifth, 1.0),
        (third, sixth, 1 / 3),
    ):
        ClaimMatch.objects.create(left=left, right=right, score=score, state="confirmed")
    factories.ClaimFactory(article=factories.ArticleFactory(project=factories.ProjectFactory()))
    return claims


def test_rows_are_in_the_order_of_the_structs():
    """Records are built from rows by position: the columns passed as they
    are must be in the order of the structs' fields."""

    def names(fields) -> tuple:
        """Field names, as the structs name them."""
        out = []
        for field in fields:
            name = field if isinstance(field, str) else field.source_expressions[0].name
            name = name.removeprefix("right__").removeprefix("article__")
            out.append({"slug": "verdict"}.get(name, name))
        return tuple(out)

    assert names(pages.CLAIM_FIELDS[pages.AS_IS]) == Record.__struct_fields__[3:13]
    evidence = pages.EVIDENCE_FIELDS
    excerpt_to_note = evidence[pages.TARGET_CLAIM + 1 : pages.LINKED_BY]
    assert names(excerpt_to_note) == RecordEvidence.__struct_fields__[4:10]
    assert names(evidence[pages.LINKED_BY + 1 :]) == RecordEvidence.__struct_fields__[-2:]
    labels = names(pages.LOOKUPS["labels"][1][1:])
    assert labels == FinalVerdict.__struct_fields__[:3] == RecordVerdict.__struct_fields__[1:4]
    assert names(pages.LOOKUPS["sources"][1][1:]) == SourceTarget.__struct_fields__
    assert names(pages.LOOKUPS["targets"][1][1:]) == ArticleTarget.__struct_fields__
    assert names(pages.LOOKUPS["cited"][1][1:]) == ClaimTarget.__struct_fields__
    # A match is given as the other claim's uuid, article url, title and
    # published date, then the match's own fields (``pages._matches``).
    match = pages.MATCH_FIELDS
    other = ("uuid", "url", "title", "published_date")
    assert names(match[3::2][:4]) == other
    assert RecordMatch.__struct_fields__[1:4] == tuple(f"article_{n}" for n in other[1:])
    assert names(match[10:]) == RecordMatch.__struct_fields__[4:]


@pytest.mark.parametrize("chunk_size", [2, 3, 2000])
def test_records_are_those_of_the_orms_rows(varied, project, chunk_size):
    scope = ExportScope(claims=claims_for_export(project=project), chunk_size=chunk_size)
    expected = _orm_records(scope)
    assert len(expected) == 6
    assert _records(scope) == expected
    lines = _jsonl(scope).decode().split("\n")
    assert lines == [orjson.dumps(r).decode() for r in expected] + [""]


def test_times_are_iso_8601_in_utc(project):
    claim = factories.ClaimFactory(article=factories.ArticleFactory(project=project))
    on_the_second = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    Claim.objects.filter(pk=claim.pk).update(
        created_at=on_the_second, updated_at=on_the_second.replace(microsecond=120000)
    )
    (record,) = _records(ExportScope(claims=claims_for_export(project=project)))
    provenance = record["provenance"]
    assert provenance["created_at"] == "2026-01-02T03:04:05Z"
    # PostgreSQL leaves out the fraction's trailing zeros; SQLite has what
    # Django stored.
    fraction = ".12" if connection.vendor == "postgresql" else ".120000"
    assert provenance["updated_at"] == f"2026-01-02T03:04:05{fraction}Z"


def test_records_say_what_was_decided(varied, project):
    first, second, third, fourth, fifth, sixth = varied
    by_id = {r["id"]: r for r in _records(ExportScope(claims=claims_for_export(project=project)))}
    assert [v["reviewer"] for v in by_id[second.pk]["verdicts"]] == ["bob", "alice", 'ed"i\\tor ü']
    assert by_id[second.pk]["final_verdict"]["decided_by"] == "editor"
    provenance = by_id[second.pk]["provenance"]
    assert (provenance["origin"], provenance["reasons"], provenance["author"]) == (
        "manual",
        [],
        "alice",
    )
    assert by_id[third.pk]["final_verdict"]["decided_by"] == "agreement"
    assert [e["kind"] for e in by_id[third.pk]["evidence"]] == ["article", "source", "claim"]
    assert by_id[third.pk]["evidence"][0]["created_by"] is None
    assert by_id[third.pk]["provenance"]["reasons"] == [1, 2.5, {"b": None, "a": [True, "x"]}]
    assert by_id[first.pk]["article"]["published_date"] is None
    assert by_id[first.pk]["article"]["title"] == ODD
    assert by_id[first.pk]["evidence"][0]["excerpt_start"] == 0
    assert [m["claim"] for m in by_id[fourth.pk]["matches"]] == [
        str(c.uuid) for c in (first, fifth, second)
    ]
    assert by_id[fifth.pk]["provenance"]["reasons"] == "not a list"
    assert by_id[sixth.pk]["provenance"]["reasons"] is None


def test_what_pages_share_is_read_once(project, alice, bob):
    """Users, labels and sources that recur from page to page are read
    once; the articles of each page are read with it."""
    for i in range(6):
        claim = factories.ClaimFactory(article=factories.ArticleFactory(project=project))
        verdict_set(claim=claim, reviewer=(alice, bob)[i % 2], label="supported")
        evidence_link_create(claim=claim, user=alice, stance="supports", url="https://x.example/1")
    scope = ExportScope(claims=claims_for_export(project=project), chunk_size=2)
    with CaptureQueriesContext(connection) as captured:
        got = _records(scope)
    assert got == _orm_records(scope)

    def reads(table):
        return sum(f'FROM "{table}"' in q["sql"] for q in captured.captured_queries)

    assert reads("auth_user") == reads("annotations_verdictlabel") == 1
    assert reads("annotations_source") == 1
    assert reads("annotations_article") == 3


def test_keeps_a_bounded_number_of_rows_between_pages(project, alice):
    lookup = pages.Lookup(Source, ("pk", "url"), keep=2)
    first, second, third, fourth = (
        Source.objects.create(project=project, url=f"https://x.example/{i}").pk for i in range(4)
    )
    with connection.cursor() as cursor:
        assert lookup.take(cursor, {first, second, None}) == {
            first: "https://x.example/0",
            second: "https://x.example/1",
        }
        held = lookup.take(cursor, {first})
        assert len(held) == 2
        # Over the bound: only what the page wants is kept, in a new dict
        # (a page read before may still be using the old one).
        assert lookup.take(cursor, {second, third, fourth}).keys() == {second, third, fourth}
        assert held.keys() == {first, second}


def test_what_went_between_a_pages_queries_is_left_out(varied, project, monkeypatch):
    """A claim whose article, a verdict whose label or evidence whose source
    is not found by the lookups (deleted after the page's rows were read) is
    left out, not a failed export."""
    first, second, third, *_ = varied
    take = pages.Lookup.take

    def deleted(self, cursor, ids):
        if self.model is Source:
            return {}
        gone = {Article: first.article_id, VerdictLabel: second.final_verdict_id}.get(self.model)
        return {k: v for k, v in take(self, cursor, ids).items() if k != gone}

    first.refresh_from_db()
    second.refresh_from_db()
    monkeypatch.setattr(pages.Lookup, "take", deleted)
    by_id = {r["id"]: r for r in _records(ExportScope(claims=claims_for_export(project=project)))}
    assert first.pk not in by_id
    assert by_id[second.pk]["final_verdict"] is None
    assert [v["verdict"] for v in by_id[second.pk]["verdicts"]] == ["disputed", "supported"]
    # Its source gone, and the article it cited (the first claim's).
    assert [e["kind"] for e in by_id[third.pk]["evidence"]] == ["claim"]


def test_sparse_and_filtered_pages(varied, project):
    """A page whose ids are far apart is read by a list of ids, not a range."""
    first, second, *_, sixth = varied
    far = factories.ClaimFactory(article=factories.ArticleFactory(project=project))
    Claim.objects.filter(pk=far.pk).update(id=sixth.pk + 10_000)
    since = timezone.now() - timedelta(minutes=1)
    Claim.objects.exclude(pk=second.pk).update(updated_at=since - timedelta(hours=1))
    everything = {
        r["uuid"]: r for r in _records(ExportScope(claims=claims_for_export(project=project)))
    }
    for scope in (
        ExportScope(claims=claims_for_export(project=project, ids=[first.pk, sixth.pk + 10_000])),
        ExportScope(claims=claims_for_export(project=project, ids=[first.pk, sixth.pk])),
        ExportScope(claims=claims_for_export(project=project), updated_after=since),
        ExportScope(claims=claims_for_export(project=project).filter(claimant__icontains="%")),
        ExportScope(claims=claims_for_export(project=project).filter(state="accepted")),
    ):
        got = _records(scope)
        assert got == _orm_records(scope)
        assert all(record == everything[record["uuid"]] for record in got)


@POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_pages_read_ahead_are_the_pages_read_here(project, alice, monkeypatch):
    """Outside a transaction, a thread reads the pages on a connection of its
    own; it closes it when the export ends or is left half-way."""
    assert not connection.in_atomic_block
    for i in range(7):
        claim = factories.ClaimFactory(article=factories.ArticleFactory(project=project))
        if i % 2:
            verdict_set(claim=claim, reviewer=alice, label="supported", rationale=ODD)
    sizes = []
    scope = ExportScope(
        claims=claims_for_export(project=project), chunk_size=2, on_page=sizes.append
    )
    opened = _connections()
    started = []
    read_ahead = pages.read_ahead
    monkeypatch.setattr(pages, "read_ahead", lambda *a: started.append(1) or read_ahead(*a))
    read = _jsonl(scope)
    assert started and sizes == [2, 2, 2, 1]
    assert _connections(opened) == opened

    unfinished = exports.export_chunks("jsonl", scope, PUBLISHER)
    next(unfinished)
    assert _connections(opened + 2) == opened + 2
    unfinished.close()
    assert _connections(opened) == opened

    monkeypatch.setattr(pages, "read_ahead", lambda *a: None)
    assert _jsonl(scope) == read
    assert read.decode().split("\n")[:-1] == [orjson.dumps(r).decode() for r in _orm_records(scope)]


@POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_pages_read_together_are_the_pages_read_query_by_query(varied, project):
    """A thread reading ahead sends a page's queries together (pipeline
    mode), for a range of ids and for a list of them."""
    reader = pages.Reader(claims_for_export(project=project), 100)
    with connection.cursor() as cursor:
        rows = reader.claims.rows(cursor, after=0)
        for claims in (rows, [rows[0], rows[-1]]):
            expected = list(records._records(pages.Related().page(cursor, claims)))
            link = pages._connect()
            try:
                with link.cursor() as link_cursor:
                    page = pages.Related().page(link_cursor, claims, link=link)
            finally:
                link.close()
            assert list(records._records(page)) == expected
            assert len(expected) == len(claims)


@POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_pages_without_connections_to_read_ahead(project, monkeypatch):
    for _ in range(5):
        factories.ClaimFactory(article=factories.ArticleFactory(project=project))
    scope = ExportScope(claims=claims_for_export(project=project), chunk_size=2)
    opened = _connections()
    connect, calls = pages._connect, []

    def one_then_refused():
        calls.append(1)
        if len(calls) > 1:
            raise connection.Database.OperationalError("too many clients")
        return connect()

    monkeypatch.setattr(pages, "_connect", one_then_refused)
    assert len(_records(scope)) == 5
    assert len(calls) == 2 and _connections(opened) == opened


def _connections(expected: int | None = None) -> int:
    """Connections to the test database (waiting a little for ``expected``:
    a server process ends shortly after its client has gone)."""
    for _ in range(50):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            )
            count = cursor.fetchone()[0]
        if expected is None or count == expected:
            return count
        time.sleep(0.05)
    return count
