"""Matches: the same claim found in the project's other articles.

``claims_match`` runs after an article's extraction (a task, or inline for commands). It
finds the project's articles that report the same story (candidate retrieval: PostgreSQL
full-text search over claim quotes with a GIN index, or shared rare words on SQLite),
compares the article with each of them sentence by sentence
(``annotations.extraction.matching``), and stores what it finds as *suggested* matches.

A match pairs two claims, at least one of which existed already. A sentence of either
article that is not a claim yet but makes the same claim as a claim of the other becomes
a candidate there (Kyiv Independent's "America is watching, Britain is watching..." scores
low on check-worthiness on its own, yet another outlet's candidate says the same): the
reason says why it was proposed. Dismissed claims are never matched, and a sentence a
reviewer dismissed is not proposed again.

A match a reviewer confirmed or rejected is never touched; suggestions are refreshed,
and removed when a new run no longer finds them. Running twice changes nothing.
"""

import logging
import math
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from annotations.extraction import matching
from annotations.extraction.analysis import claim_type, find_claimant, reasons
from annotations.extraction.pipeline import is_eligible
from annotations.extraction.sentences import split_sentences
from annotations.models import (
    Article,
    Claim,
    ClaimMatch,
    ClaimOrigin,
    ClaimState,
    EvidenceLink,
    Role,
    Stance,
)
from annotations.services.claims import claims_touch, require_role
from annotations.services.evidence import EvidenceRejected, evidence_link_create

logger = logging.getLogger(__name__)

MATCHABLE_STATES = (ClaimState.CANDIDATE, ClaimState.ACCEPTED)
# The articles compared sentence by sentence with a new one: the ones with the most
# claims like its own. A story covered by more outlets than this still links up, through
# the articles that are compared.
MAX_NEIGHBOURS = 15
# Claims retrieved per sentence of the new article, and sentences used as queries.
PER_QUERY = 5
MAX_QUERIES = 120


class MatchDecisionRejected(Exception):
    """A confirm or reject that cannot be done; ``str()`` is for the user."""


@dataclass(frozen=True, slots=True)
class Unit:
    """A span of an article that can be matched: an active claim, or a sentence that
    is not a claim (yet)."""

    start: int
    end: int
    text: str
    claim_id: int | None


@dataclass(frozen=True, slots=True)
class MatchOutcome:
    compared_articles: int
    created: int
    updated: int
    removed: int
    claims_created: int  # sentences that became candidates because they match


def claims_match(*, article_id: int) -> MatchOutcome | None:
    """Propose matches between ``article_id``'s claims and the project's other articles.
    Returns what changed, or None if the article is gone."""
    article = (
        Article.objects.filter(pk=article_id)
        .only("pk", "project_id", "canonical_text", "outlet", "title")
        .first()
    )
    if article is None:
        return None
    own_claims = list(
        Claim.objects.filter(article=article).values("pk", "start", "end", "quote", "state")
    )
    own_units = _units(article.canonical_text, own_claims)
    queries = [u.text for u in own_units if u.claim_id] + [
        u.text for u in own_units if not u.claim_id
    ]
    neighbour_ids = _neighbour_articles(article, queries[:MAX_QUERIES])
    neighbours = {
        a["pk"]: a
        for a in Article.objects.filter(pk__in=neighbour_ids).values(
            "pk", "canonical_text", "outlet", "title"
        )
    }
    their_claims = defaultdict(list)
    for claim in Claim.objects.filter(article_id__in=neighbours).values(
        "pk", "article_id", "start", "end", "quote", "state"
    ):
        their_claims[claim["article_id"]].append(claim)

    # The slow part, outside any transaction: compare sentence by sentence.
    found = []  # (own unit, other article id, other unit, Match)
    own_features = [matching.features(u.text) for u in own_units]
    for other_id, other in neighbours.items():
        other_units = _units(other["canonical_text"], their_claims[other_id])
        pairs = matching.match_features(
            own_features, [matching.features(u.text) for u in other_units]
        )
        for pair in pairs:
            mine, theirs = own_units[pair.left], other_units[pair.right]
            if mine.claim_id or theirs.claim_id:  # two plain sentences are not a match
                found.append((mine, other_id, theirs, pair.match))

    with transaction.atomic():
        spans, claims_created = _claims_for_sentences(article, neighbours, found)
        counts = _store(article.pk, own_claims, neighbours, found, spans)
    outcome = MatchOutcome(
        compared_articles=len(neighbours), claims_created=claims_created, **counts
    )
    logger.info("matched article %s: %s", article.pk, outcome)
    return outcome


def match_confirm(*, match: ClaimMatch, user, stance: str | None = None) -> ClaimMatch:
    """The reviewer agrees the two claims are the same: each becomes evidence for the
    other, with the match's stance (supports, or disputes for differing figures) unless
    the reviewer gives another. A link that exists already is kept as it is."""
    if stance is not None and stance not in Stance.values:
        raise MatchDecisionRejected(f"stance must be one of {', '.join(Stance.values)}")
    with transaction.atomic():
        current = _locked(match)
        require_role(current.left.article.project, user, Role.REVIEWER)
        stance = stance or current.stance
        note = f"Same claim, matched across articles (score {current.score:.2f})."
        for claim, target in ((current.left, current.right), (current.right, current.left)):
            if EvidenceLink.objects.filter(claim=claim, target_claim=target).exists():
                continue
            try:
                evidence_link_create(
                    claim=claim,
                    user=user,
                    stance=stance,
                    target_claim=target,
                    note=note,
                    excerpt=target.quote,
                    excerpt_start=target.start,
                    excerpt_end=target.end,
                )
            except EvidenceRejected:
                # Added by someone else meanwhile: theirs stands.
                if not EvidenceLink.objects.filter(claim=claim, target_claim=target).exists():
                    raise
        _decide(current, ClaimMatch.State.CONFIRMED, user, stance=stance)
    return current


def match_reject(*, match: ClaimMatch, user) -> ClaimMatch:
    """The reviewer says the two claims are not the same. The matcher never proposes
    the pair again. A confirmed match has become evidence: remove that instead."""
    with transaction.atomic():
        current = _locked(match)
        require_role(current.left.article.project, user, Role.REVIEWER)
        if current.state == ClaimMatch.State.CONFIRMED:
            raise MatchDecisionRejected(
                "this match is confirmed and linked as evidence; remove the evidence links"
            )
        _decide(current, ClaimMatch.State.REJECTED, user)
    return current


def _locked(match: ClaimMatch) -> ClaimMatch:
    return (
        ClaimMatch.objects.select_for_update(of=("self",))
        .select_related("left__article__project", "right__article")
        .get(pk=match.pk)
    )


def _decide(match: ClaimMatch, state: str, user, **changes) -> None:
    if match.state == state and all(getattr(match, k) == v for k, v in changes.items()):
        return  # a second click, or a retried request: nothing new
    match.state = state
    match.decided_by = user
    match.decided_at = timezone.now()
    for name, value in changes.items():
        setattr(match, name, value)
    match.save()


def _units(text: str, claims: list[dict]) -> list[Unit]:
    """An article's active claims, and its sentences that no claim covers.

    A sentence overlapping any claim, dismissed ones included, is left out: a reviewer
    who dismissed it does not want it back as a candidate.
    """
    units = [
        Unit(c["start"], c["end"], c["quote"], c["pk"])
        for c in claims
        if c["state"] in MATCHABLE_STATES
    ]
    taken = sorted((c["start"], c["end"]) for c in claims)
    for sentence in split_sentences(text):
        if not is_eligible(sentence.text):
            continue
        if any(s < sentence.end and sentence.start < e for s, e in taken):
            continue
        units.append(Unit(sentence.start, sentence.end, sentence.text, None))
    return units


def _neighbour_articles(article: Article, queries: list[str]) -> list[int]:
    """The project's other articles with the most claims like ``queries``, best first."""
    if not queries:
        return []
    if connection.vendor == "postgresql":
        return _neighbours_postgresql(article, queries)
    return _neighbours_by_rare_words(article, queries)


def _neighbours_postgresql(article: Article, queries: list[str]) -> list[int]:
    """Full-text search on the GIN index of migration 0003, in two statements.

    A query made of all a sentence's words would read the index entries of its common
    words ("said", "president"), which at a million claims list most of the table. So
    PostgreSQL first turns the sentences into lexemes and says how common each is (from
    the statistics ANALYZE keeps on the index); the search then asks for the claims that
    share at least two of each sentence's rarest lexemes, which touches few rows.
    """
    with connection.cursor() as cursor:
        cursor.execute(_LEXEMES_SQL, [FTS_INDEX, queries])
        lexemes = defaultdict(list)
        for index, lexeme, frequency in cursor.fetchall():
            lexemes[index].append((frequency or 0.0, lexeme))
        tsqueries = [q for q in map(_rare_pairs_query, lexemes.values()) if q]
        if not tsqueries:
            return []
        cursor.execute(
            _SEARCH_SQL, [tsqueries, article.pk, article.project_id, PER_QUERY, MAX_NEIGHBOURS]
        )
        return [row[0] for row in cursor.fetchall()]


FTS_INDEX = "annotations_claim_quote_fts"
# A lexeme in more than this share of all claims is too common to look a claim up by.
COMMON_LEXEME = 0.01
RARE_LEXEMES = 6
_LEXEMES_SQL = """
    WITH stats AS (
        SELECT s.elem, s.freq
        FROM pg_stats p,
             unnest(p.most_common_elems::text::text[], p.most_common_elem_freqs) AS s(elem, freq)
        WHERE p.schemaname = current_schema() AND p.tablename = %s
    )
    SELECT q.idx, l.lexeme, stats.freq
    FROM unnest(%s::text[]) WITH ORDINALITY AS q(text, idx)
    CROSS JOIN LATERAL unnest(to_tsvector('english'::regconfig, q.text)) AS l
    LEFT JOIN stats ON stats.elem = l.lexeme
"""
_SEARCH_SQL = """
    SELECT hit.article_id
    FROM unnest(%s::text[]) AS q(query)
    CROSS JOIN LATERAL (
        SELECT c.article_id
        FROM annotations_claim c
        JOIN annotations_article a ON a.id = c.article_id
        WHERE to_tsvector('english'::regconfig, c.quote) @@ q.query::tsquery
          AND c.article_id <> %s
          AND a.project_id = %s
          AND c.state IN ('candidate', 'accepted')
        LIMIT %s
    ) hit
    GROUP BY hit.article_id
    ORDER BY count(*) DESC, hit.article_id
    LIMIT %s
"""


def _rare_pairs_query(lexemes: list[tuple[float, str]]) -> str:
    """A tsquery matching the claims that share two of the rarest lexemes."""
    rare = sorted({(f, lex) for f, lex in lexemes if f < COMMON_LEXEME})[:RARE_LEXEMES]
    quoted = ["'" + lex.replace("'", "''") + "'" for _, lex in rare]
    if len(quoted) < 2:
        return ""
    return " | ".join(f"({a} & {b})" for i, a in enumerate(quoted) for b in quoted[i + 1 :])


def _neighbours_by_rare_words(article: Article, queries: list[str]) -> list[int]:
    """SQLite, or any database without trigram search: read the project's other claims
    once and score them by the rare words they share with the queries (inverse document
    frequency over the project's claims). Linear in the project's claims, which is
    what an embedded database holds."""
    rows = list(
        Claim.objects.filter(article__project_id=article.project_id, state__in=MATCHABLE_STATES)
        .exclude(article_id=article.pk)
        .values_list("article_id", "quote")
    )
    if not rows:
        return []
    tokens = [frozenset(matching.content_tokens(quote)) for _, quote in rows]
    df = Counter(t for ts in tokens for t in ts)
    index = defaultdict(list)
    for i, ts in enumerate(tokens):
        for t in ts:
            index[t].append(i)
    idf = {t: math.log((len(rows) + 1) / (n + 0.5)) for t, n in df.items()}
    totals: Counter = Counter()
    for query in queries:
        query_tokens = set(matching.content_tokens(query)) & idf.keys()
        if not query_tokens:
            continue
        hits: Counter = Counter()
        for t in query_tokens:
            for i in index[t]:
                hits[i] += idf[t]
        norm = sum(idf[t] for t in query_tokens)
        for i, weight in hits.most_common(PER_QUERY):
            if weight / norm >= 0.2:  # the same bar as the trigram path, roughly
                totals[rows[i][0]] += weight / norm
    return [pk for pk, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))][:MAX_NEIGHBOURS]


def _claims_for_sentences(article: Article, neighbours: dict, found: list):
    """Make a candidate of every matched sentence that is not a claim yet. Returns
    {(article id, start, end): claim id} and how many were created."""
    wanted = {}
    for mine, other_id, theirs, _ in found:
        if mine.claim_id is None:
            wanted[(article.pk, mine.start, mine.end)] = other_id
        if theirs.claim_id is None:
            wanted[(other_id, theirs.start, theirs.end)] = article.pk
    if not wanted:
        return {}, 0
    texts = {article.pk: article.canonical_text}
    texts.update({pk: a["canonical_text"] for pk, a in neighbours.items()})
    names = {pk: a["outlet"] or a["title"] or f"article {pk}" for pk, a in neighbours.items()}
    names[article.pk] = article.outlet or article.title or f"article {article.pk}"
    from annotations.extraction.scoring import default_model

    model = default_model()
    keys = sorted(wanted)
    scores = model.score([texts[a][s:e] for a, s, e in keys])
    sentences_of = {pk: [s.text for s in split_sentences(texts[pk])] for pk, _, _ in keys}
    new = []
    for (article_id, start, end), score in zip(keys, scores, strict=True):
        text = texts[article_id]
        quote = text[start:end]
        counterpart_article = wanted[(article_id, start, end)]
        where = names[counterpart_article]
        sentences = sentences_of[article_id]
        index = sentences.index(quote) if quote in sentences else -1
        new.append(
            Claim(
                article_id=article_id,
                start=start,
                end=end,
                quote=quote,
                prefix=text[max(0, start - 32) : start],
                suffix=text[end : end + 32],
                origin=ClaimOrigin.EXTRACTED,
                score=min(max(float(score), 0.0), 1.0),
                extractor_version=f"{model.version}+matching",
                reasons=[f"makes the same claim as {where}", *reasons(quote)],
                claim_type=claim_type(quote),
                claimant=find_claimant(sentences, index)[:300] if index >= 0 else "",
                state=ClaimState.CANDIDATE,
            )
        )
    created = len(new)
    try:
        with transaction.atomic():
            bulk_create_with_history(new, Claim, batch_size=500)
    except IntegrityError:
        # Another run (matching the other article) created some of them meanwhile.
        created = 0
        for claim in new:
            try:
                with transaction.atomic():
                    claim.pk = None
                    claim.save()
                    created += 1
            except IntegrityError:
                continue
    spans = Q()
    for article_id, start, end in keys:
        spans |= Q(article_id=article_id, start=start, end=end)
    # Only matchable claims: a span a reviewer dismissed meanwhile is not matched.
    found_claims = Claim.objects.filter(spans, state__in=MATCHABLE_STATES)
    return {
        (c.article_id, c.start, c.end): c.pk
        for c in found_claims.only("pk", "article_id", "start", "end")
    }, created


def _store(article_id: int, own_claims: list[dict], neighbours: dict, found, spans) -> dict:
    """Upsert the suggestions; confirmed and rejected matches are left as they are."""
    proposals = {}  # (left, right) -> Match
    for mine, other_id, theirs, match in found:
        a = mine.claim_id or spans.get((article_id, mine.start, mine.end))
        b = theirs.claim_id or spans.get((other_id, theirs.start, theirs.end))
        if a is None or b is None or a == b:
            continue  # a span a reviewer dismissed meanwhile
        key = (min(a, b), max(a, b))
        if key not in proposals or match.score > proposals[key].score:
            proposals[key] = match

    known = {c["pk"] for c in own_claims}
    own_ids = known | {pk for (a, _, _), pk in spans.items() if a == article_id}
    active_own = {c["pk"] for c in own_claims if c["state"] in MATCHABLE_STATES}
    active_own |= own_ids - known
    existing = {
        (m.left_id, m.right_id): m
        for m in ClaimMatch.objects.select_for_update().filter(
            Q(left_id__in=own_ids) | Q(right_id__in=own_ids)
        )
    }
    article_of = dict(
        Claim.objects.filter(pk__in={pk for pair in existing for pk in pair} - own_ids).values_list(
            "pk", "article_id"
        )
    )
    new, changed, stale = [], [], []
    for key, match in proposals.items():
        current = existing.get(key)
        if current is None:
            new.append(
                ClaimMatch(
                    left_id=key[0],
                    right_id=key[1],
                    score=match.score,
                    stance=match.stance,
                    number_conflict=match.number_conflict,
                )
            )
        elif current.state == ClaimMatch.State.SUGGESTED and (
            (current.score, current.stance, current.number_conflict)
            != (match.score, match.stance, match.number_conflict)
        ):
            current.score, current.stance = match.score, match.stance
            current.number_conflict = match.number_conflict
            changed.append(current)
    for key, current in existing.items():
        if current.state != ClaimMatch.State.SUGGESTED or key in proposals:
            continue
        own, other = key if key[0] in own_ids else (key[1], key[0])
        # Stale: this article's claim is no longer matchable, or the other article was
        # compared this time and the pair no longer holds. A pair with an article not
        # compared this time is left for that article's own run to judge.
        if own not in active_own or article_of.get(other, article_id) in neighbours:
            stale.append(current.pk)
    if new:
        # ignore_conflicts: the other article's run may store the same pair meanwhile.
        ClaimMatch.objects.bulk_create(new, ignore_conflicts=True)
    if changed:
        now = timezone.now()
        for current in changed:
            current.updated_at = now  # bulk_update leaves auto_now alone
        ClaimMatch.objects.bulk_update(
            changed, ["score", "stance", "number_conflict", "updated_at"]
        )
    if stale:
        gone = ClaimMatch.objects.filter(pk__in=stale, state=ClaimMatch.State.SUGGESTED)
        # A removed match leaves nothing with a time to show: its claims change.
        sides = list(gone.values_list("left_id", "right_id"))
        gone.delete()
        claims_touch(claim_ids=[pk for pair in sides for pk in pair])
    return {"created": len(new), "updated": len(changed), "removed": len(stale)}
