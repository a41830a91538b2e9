"""The review page runs a fixed number of queries whatever the article holds:
pinned here for an article of 300 claims and 50 evidence links, and for one
of 3 claims. ``build_review_article`` is also what benchmarks/bench_review.py
renders."""

import random

import pytest
from django.urls import reverse

from annotations.models import (
    Article,
    Claim,
    ClaimMatch,
    ClaimOrigin,
    EvidenceLink,
    Source,
    Stance,
    Verdict,
    VerdictLabel,
)
from tests.factories import ArticleFactory

SENTENCE = "Officials said {n} soldiers crossed the border near Kraków on Monday 🚩. "
STATES = ["candidate", "accepted", "dismissed", "candidate", "accepted", "orphaned"]


def build_review_article(project, reviewers, *, claims=300, links=50, seed=7) -> Article:
    """An article with ``claims`` claims in every state (some overlapping),
    verdicts by ``reviewers``, and ``links`` evidence links of each kind."""
    rng = random.Random(seed)
    text = "".join(SENTENCE.format(n=1000 + i) for i in range(claims))
    article = ArticleFactory(project=project, canonical_text=text, title="Big article")
    sentence_starts, offset = [], 0
    for i in range(claims):
        sentence_starts.append(offset)
        offset += len(SENTENCE.format(n=1000 + i))
    rows = []
    for i, start in enumerate(sentence_starts):
        length = len(SENTENCE.format(n=1000 + i)) - 1
        if i % 10 == 9:  # every tenth claim overlaps the one before it
            start, length = start - 20, 40
        rows.append(
            Claim(
                article=article,
                start=start,
                end=start + length,
                quote=text[start : start + length],
                origin=ClaimOrigin.EXTRACTED,
                score=round(rng.random(), 3),
                reasons=["a number", "a named source"],
                claim_type="quantity",
                claimant="Officials",
                state=STATES[i % len(STATES)],
            )
        )
    created = Claim.objects.bulk_create(rows)
    labels = list(VerdictLabel.objects.filter(project=project))
    Verdict.objects.bulk_create(
        Verdict(claim=claim, reviewer=reviewer, label=rng.choice(labels), rationale="Checked.")
        for claim in created[::3]
        for reviewer in reviewers
    )
    others = ArticleFactory.create_batch(5, project=project)
    sources = Source.objects.bulk_create(
        Source(project=project, url=f"https://example.org/{seed}/report/{i}", title=f"Report {i}")
        for i in range(links // 2)
    )
    evidence = []
    for i in range(links):
        claim = created[i * 3 % len(created)]
        link = EvidenceLink(claim=claim, stance=rng.choice(Stance.values), note="See page 3.")
        if i < len(sources):
            link.source = sources[i]
        elif i % 2:
            link.target_article = others[i % len(others)]
        else:
            link.target_claim = created[(i * 3 + 1) % len(created)]
        evidence.append(link)
    EvidenceLink.objects.bulk_create(evidence)
    # Matches of the first claims with claims of the other articles, in every state.
    theirs = Claim.objects.bulk_create(
        Claim(
            article=other,
            start=0,
            end=10,
            quote=other.canonical_text[:10],
            origin=ClaimOrigin.EXTRACTED,
            score=0.5,
            state="candidate",
        )
        for other in others
    )
    states = list(ClaimMatch.State)
    ClaimMatch.objects.bulk_create(
        ClaimMatch(
            left_id=min(mine.pk, their.pk),
            right_id=max(mine.pk, their.pk),
            score=0.5,
            number_conflict=bool(j % 2),
            state=states[(i + j) % len(states)],
        )
        for i, mine in enumerate(created[: min(links, len(created))])
        for j, their in enumerate(theirs)
    )
    return article


# session, user, membership + project, article, verdict labels, claims (as
# plain values, with their evidence counted), who judged them how, last
# extraction run.
PAGE_QUERIES = 8
# ... and for the selected claim: itself in full, its verdicts (with reviewer
# and label), its evidence with targets, its matches with the other claims.
DETAIL_QUERIES = 4
# The detail panel alone (j/k): session, user, membership + project, the claim
# in full and its verdicts, verdict labels, its number, evidence, matches.
CLAIM_DETAIL_QUERIES = 9
# Accept or dismiss: session, user, membership + project, the claim; the
# service (the role, a savepoint, the locked claim, update, history,
# release); then verdict labels, the claim in full and its verdicts, the
# spans of the text and the counts. Its evidence and matches are not shown,
# so not loaded.
DECIDE_QUERIES = 14
# The extraction status, polled: session, user, membership + project,
# article, last run.
STATUS_QUERIES = 5


@pytest.fixture
def articles(alice, bob, project):
    """A small and a big article: every count below holds for both."""
    small = build_review_article(project, [alice, bob], claims=3, links=2, seed=1)
    big = build_review_article(project, [alice, bob], claims=300, links=50)
    assert big.claims.count() == 300
    assert EvidenceLink.objects.filter(claim__article=big).count() == 50
    return small, big


@pytest.mark.django_db
def test_review_page_query_count_is_fixed(
    client, alice, project, articles, django_assert_num_queries
):
    client.force_login(alice)
    for article in articles:
        url = reverse("article_detail", args=[project.slug, article.pk])
        with django_assert_num_queries(PAGE_QUERIES):
            response = client.get(url)
        assert response.status_code == 200
        selected = article.claims.filter(evidence__isnull=False).first()
        with django_assert_num_queries(PAGE_QUERIES + DETAIL_QUERIES):
            response = client.get(url, {"claim": selected.pk})
        assert response.context["selected"] == selected
    html = response.content.decode()
    assert html.count('class="claim-row') == 300
    assert html.count('<a class="badge ') == 300


@pytest.mark.django_db
def test_partials_query_count_is_fixed(client, alice, project, articles, django_assert_num_queries):
    client.force_login(alice)
    htmx = {"HTTP_HX_REQUEST": "true"}
    for article in articles:
        claim = article.claims.filter(state="candidate").first()
        with django_assert_num_queries(CLAIM_DETAIL_QUERIES):
            response = client.get(reverse("claim_detail", args=[project.slug, claim.pk]), **htmx)
        assert response.status_code == 200
        with django_assert_num_queries(DECIDE_QUERIES):
            response = client.post(
                reverse("claim_decide", args=[project.slug, claim.pk]),
                {"action": "accept", "version": claim.version},
                **htmx,
            )
        assert response.status_code == 200
        assert 'id="article-text"' in response.content.decode()
        with django_assert_num_queries(STATUS_QUERIES):
            client.get(reverse("article_status", args=[project.slug, article.pk]), **htmx)
