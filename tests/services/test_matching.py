"""Matching claims across a project's articles: what is proposed on the real corpus and
the demo, how a reviewer confirms or rejects, and what a re-run may and may not touch."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from annotations import tasks
from annotations.models import Claim, ClaimMatch, EvidenceLink
from annotations.services.articles import article_import_bulk, article_import_file
from annotations.services.claims import claim_update
from annotations.services.extraction import claims_extract, extraction_enqueue
from annotations.services.extraction import extraction_run_inline as extract_inline
from annotations.services.matching import (
    MatchDecisionRejected,
    claims_match,
    match_confirm,
    match_reject,
)
from tests.factories import ArticleFactory, ClaimFactory

DEMO = Path(__file__).resolve().parents[2] / "annotations" / "demo" / "articles.jsonl"

# Pairs a fact-checker would call the same claim, one quote fragment from each article.
CORPUS_REQUIRED = [
    ("8,000 North Korean troops are amassed", "some 8,000 North Korean soldiers"),
    ("America is watching, Britain is watching, and Germany", "America is watching, Britain"),
    ("if Ukraine had permission to use Western long-range", "without permission from allies"),
]
# Further pairs that are acceptable suggestions (the same claim, or one very close to it).
CORPUS_ACCEPTABLE = [
    *CORPUS_REQUIRED,
    ("With permission to launch Western long-range", "without permission from allies"),
    ("if Ukraine had permission to use Western long-range", "leaders have repeatedly said"),
    ("merely watching", "urged its allies to stop"),
    ("merely watching", "America is watching, Britain"),
    ("first thousands of North Korean soldiers", "some 8,000 North Korean soldiers"),
    ("every site on Russian territory", "raised the prospect of a preemptive"),
    ("if Ukraine had permission to use Western long-range", "raised the prospect"),
]


@pytest.fixture(autouse=True)
def _match_task_recorded(_no_broker, monkeypatch):
    """The shared conftest records extract_claims and fetch_source; record matching too."""
    if _no_broker is not None:
        monkeypatch.setattr(
            tasks.match_claims, "delay", lambda *a, **k: _no_broker.append(("match", a, k))
        )


def _import_corpus(project, corpus_files, reverse=False):
    articles = []
    for path in sorted(corpus_files, reverse=reverse):
        article = article_import_file(project=project, filename=path.name, data=path.read_bytes())
        extract_inline(article=article)
        articles.append(article)
    return articles


def _pairs(project):
    matches = ClaimMatch.objects.filter(left__article__project=project).select_related(
        "left", "right"
    )
    return list(matches)


def _find(matches, a, b):
    for m in matches:
        if (a in m.left.quote and b in m.right.quote) or (b in m.left.quote and a in m.right.quote):
            return m
    return None


@pytest.mark.django_db
@pytest.mark.parametrize("reverse", [False, True], ids=["kyiv-first", "hindu-first"])
def test_corpus_shared_claims_are_suggested_whatever_the_import_order(
    project, corpus_files, reverse
):
    _import_corpus(project, corpus_files, reverse=reverse)
    matches = _pairs(project)
    for a, b in CORPUS_REQUIRED:
        match = _find(matches, a, b)
        assert match is not None, f"no match proposed for {a!r} ~ {b!r}"
        assert (match.state, match.stance, match.number_conflict) == (
            "suggested",
            "supports",
            False,
        )
        assert match.left.article_id != match.right.article_id
    unexpected = [
        (m.left.quote[:60], m.right.quote[:60])
        for m in matches
        if not any(_find([m], a, b) for a, b in CORPUS_ACCEPTABLE)
    ]
    assert unexpected == [], "proposed pairs nobody would call the same claim"


@pytest.mark.django_db
def test_a_matching_sentence_that_is_not_a_claim_becomes_a_candidate(project, corpus_files):
    """Kyiv's "America is watching..." scores too low to be a candidate on its own."""
    kyiv, _ = _import_corpus(project, corpus_files)
    claim = Claim.objects.get(article=kyiv, quote__contains="America is watching")
    assert claim.state == "candidate"
    assert claim.origin == "extracted"
    assert claim.reasons[0] == "makes the same claim as The Hindu"
    assert kyiv.canonical_text[claim.start : claim.end] == claim.quote
    assert claim.history.count() == 1


@pytest.mark.django_db
def test_demo_contradictory_number_is_flagged_as_disputed(project):
    result = article_import_bulk(project=project, filename=DEMO.name, data=DEMO.read_bytes())
    for outcome in result.imported:
        extract_inline(article=outcome.article)
    matches = _pairs(project)
    disputes = [m for m in matches if m.number_conflict]
    assert len(disputes) >= 2
    for match in disputes:
        quotes = match.left.quote + " " + match.right.quote
        assert "4,000" in quotes and "1,200" in quotes
        assert match.stance == "disputes"
    agreeing = _find(matches, "stored about 40 tonnes", "held about 40 tonnes")
    assert agreeing.stance == "supports" and not agreeing.number_conflict
    # The demo's figures agree everywhere else: no other dispute.
    assert all(m.stance == "supports" for m in matches if not m.number_conflict)
    titles = [json.loads(line)["title"] for line in DEMO.read_text().splitlines()]
    assert len(result.imported) == len(titles)


@pytest.fixture
def two_articles(project):
    """Two reports of one fact, and a third article about something else."""
    one = ArticleFactory(
        project=project,
        canonical_text="Officials said 8,000 North Korean troops arrived in the Kursk region "
        "on Monday. The weather was mild.",
    )
    two = ArticleFactory(
        project=project,
        canonical_text="Some 8,000 North Korean troops arrived in the Kursk region on Monday, "
        "officials said. Markets were calm.",
    )
    ArticleFactory(
        project=project,
        canonical_text="The central bank raised interest rates by half a point on Wednesday.",
    )
    return ClaimFactory(article=one), ClaimFactory(article=two)


@pytest.mark.django_db
def test_claims_match_proposes_and_is_idempotent(two_articles):
    left, right = two_articles
    outcome = claims_match(article_id=right.article_id)
    assert (outcome.created, outcome.claims_created) == (1, 0)
    match = ClaimMatch.objects.get()
    assert (match.left, match.right) == (left, right)  # stored once, left < right
    assert match.state == "suggested" and 0 < match.score <= 1
    again = claims_match(article_id=right.article_id)
    assert (again.created, again.updated, again.removed) == (0, 0, 0)
    from_the_other_side = claims_match(article_id=left.article_id)
    assert (from_the_other_side.created, from_the_other_side.updated) == (0, 0)
    assert list(ClaimMatch.objects.values_list("pk", "score")) == [(match.pk, match.score)]


@pytest.mark.django_db
def test_a_gone_article_is_skipped():
    assert claims_match(article_id=987654) is None
    tasks.match_claims(987654)  # the task tolerates it too


@pytest.mark.django_db
def test_dismissed_claims_are_not_matched_and_their_suggestions_go(two_articles, alice):
    right = two_articles[1]
    claims_match(article_id=right.article_id)
    claim_update(claim=right, user=alice, expected_version=right.version, state="dismissed")
    left = two_articles[0]
    Claim.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    before = timezone.now()
    outcome = claims_match(article_id=right.article_id)
    assert outcome.removed == 1
    assert not ClaimMatch.objects.exists()
    # Both claims' records lost the match: the next incremental export has them.
    assert set(Claim.objects.filter(updated_at__gte=before).values_list("pk", flat=True)) == {
        left.pk,
        right.pk,
    }
    # Nor is the dismissed sentence proposed again as a new candidate.
    assert Claim.objects.filter(article=right.article).count() == 1


@pytest.mark.django_db
def test_decided_matches_are_never_touched(two_articles, alice):
    left, right = two_articles
    claims_match(article_id=right.article_id)
    rejected = match_reject(match=ClaimMatch.objects.get(), user=alice)
    ClaimMatch.objects.filter(pk=rejected.pk).update(score=0.01)
    claims_match(article_id=right.article_id)
    claims_match(article_id=left.article_id)
    rejected.refresh_from_db()
    assert (rejected.state, rejected.score, rejected.decided_by) == ("rejected", 0.01, alice)
    assert ClaimMatch.objects.count() == 1


@pytest.mark.django_db
def test_confirming_links_both_claims_as_evidence(two_articles, alice):
    left, right = two_articles
    claims_match(article_id=right.article_id)
    match = match_confirm(match=ClaimMatch.objects.get(), user=alice)
    assert (match.state, match.decided_by) == ("confirmed", alice)
    assert match.decided_at is not None
    links = EvidenceLink.objects.order_by("claim_id")
    assert [(link.claim, link.target_claim, link.stance) for link in links] == [
        (left, right, "supports"),
        (right, left, "supports"),
    ]
    for link in links:
        assert link.excerpt == link.target_claim.quote
        assert link.excerpt_start == link.target_claim.start
        assert link.created_by == alice
    # A second click changes nothing.
    match_confirm(match=match, user=alice)
    assert EvidenceLink.objects.count() == 2


@pytest.mark.django_db
def test_confirming_keeps_a_link_that_exists_and_follows_the_reviewer_stance(two_articles, alice):
    left, right = two_articles
    claims_match(article_id=right.article_id)
    existing = EvidenceLink.objects.create(
        claim=left, target_claim=right, stance="context", created_by=alice
    )
    match_confirm(match=ClaimMatch.objects.get(), user=alice, stance="disputes")
    existing.refresh_from_db()
    assert existing.stance == "context"  # the reviewer's own link stands
    added = EvidenceLink.objects.get(claim=right)
    assert added.stance == "disputes"
    assert ClaimMatch.objects.get().stance == "disputes"


@pytest.mark.django_db
def test_a_disputed_match_links_as_disputes(project, alice):
    one = ArticleFactory(
        project=project,
        canonical_text="Authorities evacuated 1,200 residents from the harbour district. "
        "About 120 firefighters fought the Kessel warehouse blaze for nine hours.",
    )
    two = ArticleFactory(
        project=project,
        canonical_text="Around 4,000 residents of the harbour district were evacuated. "
        "The Kessel warehouse blaze took some 120 firefighters nine hours.",
    )
    for article in (one, two):
        for sentence in article.canonical_text.split(". "):
            start = article.canonical_text.index(sentence)
            end = start + len(sentence.rstrip(".")) + 1
            ClaimFactory(article=article, start=start, end=end)
    claims_match(article_id=two.pk)
    dispute = ClaimMatch.objects.get(number_conflict=True)
    assert dispute.stance == "disputes"
    match_confirm(match=dispute, user=alice)
    assert set(EvidenceLink.objects.values_list("stance", flat=True)) == {"disputes"}


@pytest.mark.django_db
def test_only_reviewers_decide(two_articles, victor, dave):
    claims_match(article_id=two_articles[1].article_id)
    match = ClaimMatch.objects.get()
    for user in (victor, dave):
        with pytest.raises(PermissionDenied):
            match_confirm(match=match, user=user)
        with pytest.raises(PermissionDenied):
            match_reject(match=match, user=user)
    match.refresh_from_db()
    assert match.state == "suggested"
    assert not EvidenceLink.objects.exists()


@pytest.mark.django_db
def test_a_confirmed_match_cannot_be_rejected_and_stances_are_checked(two_articles, alice):
    claims_match(article_id=two_articles[1].article_id)
    match = ClaimMatch.objects.get()
    with pytest.raises(MatchDecisionRejected):
        match_confirm(match=match, user=alice, stance="maybe")
    match_confirm(match=match, user=alice)
    with pytest.raises(MatchDecisionRejected):
        match_reject(match=match, user=alice)


@pytest.mark.django_db
def test_extraction_queues_matching_after_commit(
    two_articles, sent_tasks, django_capture_on_commit_callbacks
):
    article = two_articles[1].article
    run = extraction_enqueue(article=article)
    with django_capture_on_commit_callbacks(execute=True):
        claims_extract(article_id=article.pk, run_id=run.pk)
    assert ("match", (article.pk,), {}) in sent_tasks


@pytest.mark.django_db
def test_the_task_matches(two_articles):
    tasks.match_claims(two_articles[1].article_id)
    assert ClaimMatch.objects.count() == 1


def _unrelated_articles(project, first, count):
    for n in range(first, first + count):
        article = ArticleFactory(
            project=project,
            canonical_text=f"Report {n} says the regional council approved budget line {n} "
            f"for road repairs in district {n}. Nothing else happened.",
        )
        ClaimFactory(article=article)


@pytest.mark.django_db
def test_claims_match_runs_a_fixed_number_of_queries(two_articles, project):
    """The count does not grow with the number of claims in the project."""

    def queries_of_a_run(first, extra):
        _unrelated_articles(project, first, extra)
        ClaimMatch.objects.all().delete()
        with CaptureQueriesContext(connection) as ctx:
            claims_match(article_id=two_articles[1].article_id)
        assert ClaimMatch.objects.count() == 1
        return len(ctx.captured_queries)

    few = queries_of_a_run(0, 3)
    many = queries_of_a_run(3, 60)
    assert few == many
    assert few <= 10
