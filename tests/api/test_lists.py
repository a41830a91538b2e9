"""Filters, ordering, cursor pagination and pinned query counts of the lists."""

from datetime import timedelta

import pytest
from django.utils import timezone

from annotations.models import Claim, ClaimMatch, Verdict
from annotations.services.claims import verdict_set
from annotations.services.evidence import evidence_link_create
from tests import factories
from tests.api.conftest import login

pytestmark = pytest.mark.django_db


def _claims(project, n, alice=None):
    made = []
    for i in range(n):
        article = factories.ArticleFactory(project=project)
        claim = factories.ClaimFactory(
            article=article, claim_type="quantity" if i % 2 else "other", score=0.5 + i / 100
        )
        if alice is not None:
            verdict_set(claim=claim, reviewer=alice, label="supported" if i % 2 else "disputed")
            evidence_link_create(
                claim=claim, user=alice, stance="supports", url=f"https://s.example.org/{i}"
            )
        made.append(claim)
    if len(made) > 1:
        ClaimMatch.objects.create(left=made[0], right=made[1], score=0.7)
    return made


def _ids(response):
    return [row["id"] for row in response.data["results"]]


def test_claim_filters(api, alice, project):
    claims = _claims(project, 6, alice)
    login(api, alice)
    get = lambda q: _ids(api.get(f"/api/v1/claims/?{q}"))  # noqa: E731
    assert len(get("project=desk")) == 6
    assert get("project=elsewhere") == []
    assert get(f"article={claims[0].article_id}") == [claims[0].pk]
    assert len(get("verdict=supported")) == 3
    assert len(get("final_verdict=disputed")) == 3
    assert get("final_verdict=none") == []
    assert len(get("claim_type=quantity")) == 3
    assert len(get("state=accepted")) == 6 and get("state=candidate") == []
    assert len(get("origin=extracted")) == 6 and get("origin=manual") == []
    assert len(get("score_min=0.52&score_max=0.54")) == 3
    Claim.objects.filter(pk=claims[0].pk).update(claimant="Mayor Elena Ruiz")
    assert get("claimant=ruiz") == [claims[0].pk]
    assert get("q=elena ruiz") == [claims[0].pk]
    # A web search's syntax: a "phrase" as it is, -word for claims without it.
    assert get('q="mayor elena"') == [claims[0].pk]
    assert get('q="elena mayor"') == []
    assert len(get("q=-ruiz")) == 5 and claims[0].pk not in get("q=-ruiz")
    assert get('q=-"elena ruiz" ruiz') == []
    assert len(get('q=- "')) == 6  # nothing to search for
    later = (timezone.now() + timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    assert get(f"updated_after={later}") == []
    Verdict.objects.filter(claim=claims[2]).update(updated_at=timezone.now() + timedelta(hours=1))
    assert get(f"updated_after={later}") == [claims[2].pk]
    assert api.get("/api/v1/claims/?state=bogus").status_code == 400


def test_other_filters(api, alice, project):
    claims = _claims(project, 3, alice)
    login(api, alice)
    assert len(_ids(api.get(f"/api/v1/verdicts/?claim={claims[0].pk}"))) == 1
    assert len(_ids(api.get("/api/v1/verdicts/?verdict=supported&reviewer=alice"))) == 1
    assert len(_ids(api.get("/api/v1/evidence/?stance=supports"))) == 3
    assert _ids(api.get("/api/v1/evidence/?stance=disputes")) == []
    assert len(_ids(api.get("/api/v1/sources/?q=s.example.org/1"))) == 1
    assert len(_ids(api.get("/api/v1/sources/?fetch_state=pending"))) == 3
    assert len(_ids(api.get(f"/api/v1/matches/?claim={claims[1].pk}"))) == 1
    assert len(_ids(api.get("/api/v1/articles/?project=desk&q=Article"))) == 3
    assert _ids(api.get("/api/v1/articles/?extraction_state=done")) == []


def test_cursor_pagination_walks_every_claim_once_in_order(api, alice, project):
    claims = _claims(project, 7)
    login(api, alice)
    seen, url = [], "/api/v1/claims/?page_size=3&ordering=updated_at"
    while url:
        response = api.get(url)
        assert response.status_code == 200
        assert "count" not in response.data  # cursor pagination: no COUNT(*)
        seen += _ids(response)
        url = response.data["next"]
    assert seen == sorted(
        (c.pk for c in claims), key=lambda pk: Claim.objects.get(pk=pk).updated_at
    )
    assert len(set(seen)) == 7
    assert api.get("/api/v1/claims/?ordering=-id").data["results"][0]["id"] == claims[-1].pk


LIST_QUERIES = {
    # session + user, then one query for the page (plus one prefetch for projects)
    "projects": 4,
    "articles": 3,
    "claims": 3,
    "verdicts": 3,
    "evidence": 3,
    "sources": 3,
    "matches": 3,
    "exports": 3,
}


@pytest.mark.parametrize(("name", "expected"), LIST_QUERIES.items())
def test_list_query_count_does_not_grow_with_rows(
    api, alice, project, name, expected, django_assert_num_queries
):
    from annotations.services.exports import export_job_create

    login(api, alice)
    for rows in (2, 8):
        _claims(project, rows, alice)
        export_job_create(project=project, user=alice, format="jsonl")
        with django_assert_num_queries(expected):
            response = api.get(f"/api/v1/{name}/?page_size=100")
        assert response.status_code == 200
        assert response.data["results"]


def test_token_auth_list_query_count(api, alice, project, django_assert_num_queries):
    from annotations.services.tokens import token_create

    _claims(project, 4, alice)
    _, secret = token_create(user=alice, name="script")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    api.get("/api/v1/claims/")  # records last use
    with django_assert_num_queries(2):  # the token with its user, the page
        assert api.get("/api/v1/claims/").status_code == 200


def _detail_urls(project, claim) -> dict[str, str]:
    verdict = Verdict.objects.filter(claim=claim).first()
    link = claim.evidence.first()
    match = ClaimMatch.objects.filter(left=claim).first()
    return {
        "project": f"/api/v1/projects/{project.slug}/",
        "article": f"/api/v1/articles/{claim.article_id}/",
        "claim": f"/api/v1/claims/{claim.pk}/",
        "verdict": f"/api/v1/verdicts/{verdict.pk}/",
        "evidence": f"/api/v1/evidence/{link.pk}/",
        "source": f"/api/v1/sources/{link.source_id}/",
        "match": f"/api/v1/matches/{match.pk}/",
    }


def test_detail_query_counts_are_pinned_and_do_not_grow(
    api, alice, bob, carol, project, django_assert_num_queries
):
    """One object's page costs the same with more verdicts, evidence and
    matches on it (counts include the session and the user)."""
    first, second, *_ = _claims(project, 3, alice)
    login(api, alice)
    urls = _detail_urls(project, first)
    for name, url in urls.items():
        with django_assert_num_queries(EXPECTED_DETAIL[name]):
            assert api.get(url).status_code == 200
    for reviewer in (bob, carol):
        verdict_set(claim=first, reviewer=reviewer, label="disputed")
    evidence_link_create(claim=first, user=bob, stance="disputes", target_claim=second)
    evidence_link_create(claim=first, user=carol, stance="supports", url="https://b.example/1")
    ClaimMatch.objects.create(left=first, right=_claims(project, 1)[0], score=0.6)
    for name, url in urls.items():
        with django_assert_num_queries(EXPECTED_DETAIL[name]):
            assert api.get(url).status_code == 200


# session + user, then the object with what it shows joined (a project also
# prefetches its verdict labels).
EXPECTED_DETAIL = {
    "project": 4,
    "article": 3,
    "claim": 3,
    "verdict": 3,
    "evidence": 3,
    "source": 3,
    "match": 3,
}


def test_search_terms_read_as_a_web_search():
    from annotations.api.filters import MAX_TERMS, search_terms

    assert search_terms('"America is watching" -Germany 8,000') == [
        (False, "America is watching"),
        (True, "Germany"),
        (False, "8,000"),
    ]
    assert search_terms('-"not this" "unclosed phrase') == [
        (True, "not this"),
        (False, "unclosed phrase"),
    ]
    assert search_terms(' - " -- ') == []
    assert len(search_terms(" ".join(f"w{i}" for i in range(50)))) == MAX_TERMS
