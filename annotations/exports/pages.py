"""The rows of an export's claims, read a page at a time.

Claims are read in keyset pages ordered by primary key (``id > last``), so
each page is one short query that never holds a cursor open, and memory
holds three pages at most whatever the export's size. A page's verdicts,
evidence and matches come in one query each, as plain tuples: building
records from rows instead of model instances is what makes an export fast.
What the rows point to (articles, users, labels, sources) is read by id, once
a page, and only what earlier pages did not read already.
The ORM writes the queries once per export (it takes longer to write them
than the database to run them); they run on a plain cursor.

On PostgreSQL, outside a transaction, threads with connections of their own
read the next pages while the caller builds the records of the last
(``read_ahead``): the database's work and Python's overlap.
"""

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from functools import cached_property

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from annotations.exports.schema import ArticleTarget, ClaimTarget, SourceTarget
from annotations.exports.sql import DateText, UtcTime, UuidText
from annotations.models import (
    Article,
    Claim,
    ClaimMatch,
    EvidenceLink,
    Source,
    Verdict,
    VerdictLabel,
)

# What each query reads, in order: a field path, or an expression computed
# by the database (text the export writes as it is, or nearly: ``UtcTime``).
# Users, verdict labels, sources and articles are read apart, by id
# (``Lookup``): joined here, each row would carry them again, and the
# database would scan every source of the project for each page.
CLAIM_FIELDS = (
    "pk",
    UuidText("uuid"),
    # From quote to version: the columns a record takes as they are, in its
    # fields' order (``AS_IS``).
    "quote",
    "start",
    "end",
    "prefix",
    "suffix",
    "normalized_text",
    "claim_type",
    "claimant",
    "state",
    "version",
    "origin",
    "score",
    "extractor_version",
    "reasons",
    "created_by_id",
    UtcTime("created_at"),
    UtcTime("updated_at"),
    "final_verdict_id",
    "final_verdict_by_id",
    UtcTime("final_verdict_at"),
    "article_id",
)
VERDICT_FIELDS = (
    "claim_id",
    "reviewer_id",
    "label_id",
    "rationale",
    "version",
    UtcTime("created_at"),
    UtcTime("updated_at"),
)
EVIDENCE_FIELDS = (
    "claim_id",
    UuidText("uuid"),
    "stance",
    "source_id",
    "target_article_id",
    "target_claim_id",
    "excerpt",
    "excerpt_start",
    "excerpt_end",
    "excerpt_prefix",
    "excerpt_suffix",
    "note",
    "created_by_id",
    UtcTime("created_at"),
    UtcTime("updated_at"),
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
# Where the ids of what is read by id are in the rows.
ARTICLE, CREATED_BY, FINAL_VERDICT, FINAL_VERDICT_BY = map(
    CLAIM_FIELDS.index, ("article_id", "created_by_id", "final_verdict_id", "final_verdict_by_id")
)
AS_IS = slice(CLAIM_FIELDS.index("quote"), CLAIM_FIELDS.index("version") + 1)
REVIEWER, LABEL = map(VERDICT_FIELDS.index, ("reviewer_id", "label_id"))
SOURCE, TARGET_ARTICLE, TARGET_CLAIM, LINKED_BY = map(
    EVIDENCE_FIELDS.index, ("source_id", "target_article_id", "target_claim_id", "created_by_id")
)
# The rows read by id: the model, what is read of it (its id first), how
# many a lookup keeps between pages, and (for what evidence points to) the
# struct the rest of a row makes, made once and shared by the records that
# point to it. Users, labels and sources recur from page to page; the
# articles of claims and of evidence seldom do.
LOOKUPS = {
    "articles": (
        Article,
        (
            "pk",
            UuidText("uuid"),
            "title",
            "outlet",
            "author",
            "url",
            DateText("published_date"),
            "language",
            "project__slug",
        ),
        0,
    ),
    "users": (settings.AUTH_USER_MODEL, ("pk", "username"), 10_000),
    "labels": (VerdictLabel, ("pk", "slug", "name", "rating"), 10_000),
    "sources": (Source, ("pk", "url", "title", "publisher"), 10_000, SourceTarget),
    "targets": (Article, ("pk", UuidText("uuid"), "title", "url"), 0, ArticleTarget),
    "cited": (Claim, ("pk", UuidText("uuid"), "quote"), 0, ClaimTarget),
}


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


# Values the queries are compiled with where each page puts its own; no real
# parameter takes them.
AFTER, LOW, HIGH = -(2**62) - 1, -(2**62) - 2, -(2**62) - 3
IDS = f"{{{-(2**62) - 4}}}"


@dataclass(frozen=True)
class _Query:
    """A query compiled once, run with the parameters compiled as ``AFTER``,
    ``LOW``, ``HIGH`` or ``IDS`` set each time."""

    sql: str
    params: tuple
    slots: tuple[tuple[int, str], ...]

    @classmethod
    def of(cls, queryset: QuerySet, *expected: str) -> "_Query":
        sql, params = queryset.query.sql_with_params()
        names = {AFTER: "after", LOW: "low", HIGH: "high", IDS: "ids"}
        slots = [
            (i, names[p]) for i, p in enumerate(params) if type(p) in (int, str) and p in names
        ]
        if {name for _, name in slots} != set(expected):
            raise ValueError(f"expected parameters {expected}, compiled {slots}")
        return cls(sql, tuple(params), tuple(slots))

    def params_with(self, values: dict) -> list:
        params = list(self.params)
        for i, name in self.slots:
            params[i] = values[name]
        return params

    def rows(self, cursor, **values) -> list[tuple]:
        cursor.execute(self.sql, self.params_with(values))
        return cursor.fetchall()


def _together(link, runs: list[tuple["_Query", dict]]) -> list[list[tuple]]:
    """The rows of several queries (each with its values), sent together on
    ``link``, a psycopg connection, in pipeline mode: one round trip, so a
    thread reading ahead waits once for them, and takes the interpreter's
    lock back once, not once a query."""
    with link.pipeline():
        cursors = []
        for query, values in runs:
            cursor = link.cursor()
            cursor.execute(query.sql, query.params_with(values))
            cursors.append(cursor)
    return [cursor.fetchall() for cursor in cursors]


class Reader:
    """The queries of an export: a page of claims after an id, and their
    verdicts, evidence and matches."""

    def __init__(self, claims: QuerySet, size: int):
        self.size = size
        claims = claims.filter(pk__gt=AFTER).order_by("pk")
        self.claims = _Query.of(_rows(claims, CLAIM_FIELDS)[: self.size], "after")

    @cached_property
    def related(self) -> "Related":
        return Related()

    def page(self, cursor, after: int) -> "Page":
        return self.related.page(cursor, self.claims.rows(cursor, after=after))


class Related:
    """The queries of the verdicts, evidence and matches of a page of claims:
    of a range of ids for a dense page (cheaper to plan and to send than
    thousands of parameters; rows of claims not in the page go unused), or
    of a list of ids; and the lookups of what their rows point to. All are
    written here, in the thread Django's connection belongs to: a thread
    reading ahead only runs them (and is then the only one to use the
    lookups)."""

    def __init__(self):
        in_range = _querysets(claim_id__gte=LOW, claim_id__lte=HIGH)
        self.ranges = [_Query.of(qs, "low", "high") for qs in in_range]
        self.lists = None
        if connection.vendor == "postgresql":
            self.lists = [_Query.of(qs, "ids") for qs in _querysets(claim_id__in=_ARRAY)]
        self.lookups = {name: Lookup(*spec) for name, spec in LOOKUPS.items()}

    def page(self, cursor, claims: list[tuple], link=None) -> "Page":
        """The page of ``claims``, read on ``cursor``; or, given ``link`` (a
        psycopg connection of a thread reading ahead), with the queries that
        do not wait on each other sent together."""
        if not claims:
            return Page(claims, _ByClaim([]), _ByClaim([]), {}, **{n: {} for n in LOOKUPS})
        ids = [row[0] for row in claims]
        articles = self.lookups["articles"]
        if ids[-1] - ids[0] < 2 * len(ids):
            runs = [(q, {"low": ids[0], "high": ids[-1]}) for q in self.ranges]
        elif self.lists is not None:
            runs = [(q, {"ids": _array(ids)}) for q in self.lists]
        else:
            runs = None
            verdicts, evidence, matches = (list(q) for q in _querysets(claim_id__in=ids))
        wanted_articles = {row[ARTICLE] for row in claims}
        if runs is not None and link is not None:
            missing = articles.missing(wanted_articles)
            if missing:
                runs.append((articles.query, {"ids": _array(missing)}))
            verdicts, evidence, matches, *found = _together(link, runs)
            articles.add(found[0] if found else ())
        elif runs is not None:
            verdicts, evidence, matches = (q.rows(cursor, **values) for q, values in runs)
        wanted = {
            "articles": wanted_articles,
            "users": {row[CREATED_BY] for row in claims}
            | {row[FINAL_VERDICT_BY] for row in claims}
            | {row[REVIEWER] for row in verdicts}
            | {row[LINKED_BY] for row in evidence},
            "labels": {row[FINAL_VERDICT] for row in claims} | {row[LABEL] for row in verdicts},
            "sources": {row[SOURCE] for row in evidence},
            "targets": {row[TARGET_ARTICLE] for row in evidence},
            "cited": {row[TARGET_CLAIM] for row in evidence},
        }
        return Page(
            claims,
            _ByClaim(verdicts),
            _ByClaim(evidence),
            _matches(matches, ids),
            **{name: self.lookups[name].take(cursor, wanted[name]) for name in LOOKUPS},
        )


# A PostgreSQL array of ids is one parameter, however many ids.
_ARRAY = RawSQL("SELECT unnest(%s::bigint[])", (IDS,))


def _array(ids) -> str:
    return "{" + ",".join(map(str, ids)) + "}"


class Lookup:
    """Rows of a model by id (a tuple of the rest of ``fields``, or the one
    value if there is one, or what ``make`` makes of the rest), read for the
    ids a page wants and not yet held.
    It keeps the rows of earlier pages, up to ``keep`` of them (then only
    those the page wants), so what recurs from page to page is read once, in
    bounded memory."""

    def __init__(self, model, fields: tuple, keep: int, make: Callable | None = None):
        self.model = apps.get_model(model) if isinstance(model, str) else model
        self.fields = fields
        self.keep = keep
        self.make = make
        self.rows: dict = {}
        self.query = None
        if connection.vendor == "postgresql":
            self.query = _Query.of(self._queryset(pk__in=_ARRAY), "ids")

    def _queryset(self, **of_ids) -> QuerySet:
        return _rows(self.model._base_manager.filter(**of_ids).order_by(), self.fields)

    def missing(self, ids: set) -> set:
        """Those of ``ids`` not held (``None`` among them is ignored); if
        reading them would hold more than ``keep``, only the rows of ``ids``
        are kept, in a new dict: one a page holds is only added to, never
        changed, as the next page is read."""
        ids.discard(None)
        missing = ids - self.rows.keys()
        if missing and len(self.rows) + len(missing) > self.keep:
            self.rows = {i: self.rows[i] for i in ids - missing}
        return missing

    def add(self, found) -> dict:
        if self.make is not None:
            self.rows.update((row[0], self.make(*row[1:])) for row in found)
        elif len(self.fields) == 2:  # the value itself, not a tuple of one
            self.rows.update(found)
        else:
            self.rows.update((row[0], row[1:]) for row in found)
        return self.rows

    def take(self, cursor, ids: set) -> dict:
        """The rows of ``ids``, by id, reading those not held."""
        missing = self.missing(ids)
        if not missing:
            return self.rows
        if self.query is not None:
            return self.add(self.query.rows(cursor, ids=_array(missing)))
        return self.add(self._queryset(pk__in=missing))


def _querysets(**of_claims) -> tuple[QuerySet, QuerySet, QuerySet]:
    """The rows of the verdicts, evidence and matches of the claims selected
    by ``of_claims`` (lookups of ``claim_id``)."""
    verdicts = Verdict.objects.filter(**of_claims).order_by("claim_id", "created_at", "pk")
    evidence = EvidenceLink.objects.filter(**of_claims).order_by("claim_id", "created_at", "pk")
    sides = [
        {key.replace("claim_id", side): value for key, value in of_claims.items()}
        for side in ("left_id", "right_id")
    ]
    matches = ClaimMatch.objects.filter(Q(**sides[0]) | Q(**sides[1])).order_by("pk")
    return (
        _rows(verdicts, VERDICT_FIELDS),
        _rows(evidence, EVIDENCE_FIELDS),
        _rows(matches, MATCH_FIELDS),
    )


class _ByClaim:
    """Rows in order of claim (their first column), found by claim. Each
    claim's rows are a slice of them, taken when wanted: a list for each
    claim of a page would outlive several passes of the garbage collector."""

    def __init__(self, rows: list[tuple]):
        self.rows = rows
        claims = [row[0] for row in rows]
        # Where each claim's rows start and end, in dicts built from zips
        # (no loop of Python statements): going backwards, the first of a
        # claim's rows is the last written.
        self.starts = dict(zip(reversed(claims), range(len(claims) - 1, -1, -1), strict=True))
        self.ends = dict(zip(claims, range(1, len(claims) + 1), strict=True))

    def get(self, claim_id: int) -> list[tuple] | None:
        start = self.starts.get(claim_id)
        return None if start is None else self.rows[start : self.ends[claim_id]]


def _matches(rows: list[tuple], ids: list[int]) -> dict[int, list[tuple]]:
    """A match is on the page of either of its claims, as the other claim's
    (uuid, article url, title, published date) and the match's score, state
    and stance."""
    wanted = set(ids)
    out = {}
    for left, right, l_uuid, r_uuid, l_url, r_url, l_title, r_title, l_pub, r_pub, *match in rows:
        if left in wanted:
            out.setdefault(left, []).append((r_uuid, r_url, r_title, r_pub, *match))
        if right in wanted:
            out.setdefault(right, []).append((l_uuid, l_url, l_title, l_pub, *match))
    return out


@dataclass(frozen=True)
class Page:
    """A page of claim rows, their verdicts, evidence and matches, and the
    rows these point to, by id (the rest of the fields in ``LOOKUPS``)."""

    claims: list[tuple]
    verdicts: _ByClaim
    evidence: _ByClaim
    matches: dict[int, list[tuple]]
    articles: dict[int, tuple]  # of the claims
    users: dict[int, str]  # usernames
    labels: dict[int, tuple]
    sources: dict[int, SourceTarget]
    targets: dict[int, ArticleTarget]  # articles cited by the evidence
    cited: dict[int, ClaimTarget]  # claims cited by the evidence


def pages(reader: Reader) -> Iterator[Page]:
    """The pages of an export. The first is read here; if there are more,
    threads read them ahead when they can."""
    with connection.cursor() as cursor:
        first = reader.page(cursor, 0)
    if len(first.claims) < reader.size:
        if first.claims:
            yield first
        return
    after = first.claims[-1][0]
    rest = read_ahead(reader, after) or _read(reader, connection, after)
    try:
        yield first
        yield from rest
    finally:
        rest.close()


def _read(reader: Reader, link, after: int) -> Iterator[Page]:
    """Keyset pages after ``after``, one after the other, on ``link``."""
    for claims in _claims(reader, link, after):
        with link.cursor() as cursor:
            yield reader.related.page(cursor, claims)


def _claims(reader: Reader, link, after: int) -> Iterator[list[tuple]]:
    """The claims of the keyset pages after ``after``, on ``link``."""
    while True:
        with link.cursor() as cursor:
            claims = reader.claims.rows(cursor, after=after)
        if claims:
            yield claims
        if len(claims) < reader.size:
            return
        after = claims[-1][0]


def read_ahead(reader: Reader, after: int) -> "_Ahead | None":
    """The pages after ``after``, read by two threads with connections of
    their own: one reads the claims of each page, the other their verdicts,
    evidence and matches, each a page ahead of the next, so the database
    works on two pages while this thread builds the records of a third.

    None where other connections cannot help: not PostgreSQL, inside a
    transaction (whose rows other connections cannot see), or none to be
    had."""
    in_transaction = connection.in_atomic_block or not connection.get_autocommit()
    if connection.vendor != "postgresql" or in_transaction:
        return None
    links = []
    try:
        for _ in range(2):
            links.append(_connect())
    except connection.Database.OperationalError:  # too many connections, say
        for link in links:
            link.close()
        return None
    claims = _Ahead(links[0], lambda link: _claims(reader, link, after))

    # Pipeline mode needs libpq 14 or later (psycopg[binary] brings its own).
    together = connection.Database.Pipeline.is_supported()

    def related(link):
        for rows in claims:
            with link.cursor() as cursor:
                yield reader.related.page(cursor, rows, link=link if together else None)

    return _Ahead(links[1], related, then=claims)


class _Ahead:
    """The items of ``produce(link)``, made by a thread on ``link`` (a
    connection of its own) one item ahead: it makes the next while the last
    is used, and waits for it to be taken before making another, so two at
    most are held. Closing it closes ``then`` too."""

    def __init__(self, link, produce: Callable, then: "_Ahead | None" = None):
        self._link = link
        self._then = then
        self._items = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._make, args=(produce,), name="export-read-ahead", daemon=True
        )
        self._thread.start()

    def _make(self, produce: Callable) -> None:
        try:
            for item in produce(self._link):
                self._items.put((item,))
                self._items.join()
                if self._stop.is_set():
                    return
        except Exception as exc:
            self._items.put(exc)
        else:
            self._items.put(None)

    def __iter__(self):
        return self

    def __next__(self):
        item = self._items.get()
        self._items.task_done()
        if isinstance(item, tuple):
            return item[0]
        self.close()
        if item is None:
            raise StopIteration
        raise item

    def close(self) -> None:
        self._stop.set()
        while self._thread.is_alive():
            with suppress(queue.Empty):
                self._items.get_nowait()  # lets an item waiting to be taken go
                self._items.task_done()
            self._thread.join(timeout=0.01)
        self._link.close()
        if self._then is not None:
            self._then.close()


def _connect():
    """A connection for the reading thread, set up as Django's (whose
    connections belong to the thread that opened them)."""
    link = connection.Database.connect(**connection.get_connection_params(), autocommit=True)
    link.execute(
        "SELECT set_config('TimeZone', %s, false), set_config('jit', 'off', false)",
        [connection.timezone_name],
    )
    return link
