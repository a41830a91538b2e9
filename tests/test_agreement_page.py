"""The reviewer agreement page: figures, the disagreements an editor settles,
scoping and a query count that does not grow with the project."""

import pytest
from django.urls import reverse

from annotations.services.claims import claim_set_final_verdict, verdict_set
from tests.factories import ArticleFactory, ClaimFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def judged(project, alice, bob):
    claims = [ClaimFactory(article=ArticleFactory(project=project)) for _ in range(4)]
    verdict_set(claim=claims[0], reviewer=alice, label="supported")
    verdict_set(claim=claims[0], reviewer=bob, label="supported")
    verdict_set(claim=claims[1], reviewer=alice, label="supported", rationale="The release says so")
    verdict_set(claim=claims[1], reviewer=bob, label="disputed", rationale="The mayor denies it")
    verdict_set(claim=claims[2], reviewer=alice, label="disputed")
    verdict_set(claim=claims[2], reviewer=bob, label="disputed")
    verdict_set(claim=claims[3], reviewer=alice, label="supported")  # alone
    return claims


def page(client, project, **params):
    return client.get(reverse("project_agreement", args=[project.slug]), params)


def test_agreement_figures_and_the_disagreements(client, alice, carol, project, judged):
    client.force_login(alice)
    response = page(client, project)
    assert response.status_code == 200
    result = response.context["result"]
    assert (result.claims, result.verdicts, result.unanimous) == (3, 6, 2)
    # 1 - D_o/D_e = 1 - (2/6) / (18/30), by hand from the coincidence matrix.
    assert result.alpha == pytest.approx(4 / 9)
    html = response.content.decode()
    assert "Krippendorff's α = <strong>0.444</strong>, unreliable" in html
    assert "alice and bob" in html and "2 (67%)" in html
    assert [c.pk for c in response.context["page"].object_list] == [judged[1].pk]
    assert "The mayor denies it" in html and "No final verdict yet." in html
    review = reverse("article_detail", args=[project.slug, judged[1].article_id])
    assert f"{review}?claim={judged[1].pk}#claim-detail" in html

    judged[1].refresh_from_db()
    claim_set_final_verdict(
        claim=judged[1], editor=carol, label="disputed", expected_version=judged[1].version
    )
    assert list(page(client, project).context["page"].object_list) == []
    settled = page(client, project, show="all")
    assert [c.pk for c in settled.context["page"].object_list] == [judged[1].pk]
    assert "Final verdict: <strong>Disputed</strong>" in settled.content.decode()
    dashboard = client.get(reverse("project_detail", args=[project.slug])).content.decode()
    assert reverse("project_agreement", args=[project.slug]) in dashboard


def test_empty_project_and_outsiders(client, alice, dave, project):
    client.force_login(alice)
    response = page(client, project)
    assert response.status_code == 200
    assert "No claim has verdicts from two reviewers yet" in response.content.decode()
    client.force_login(dave)
    assert page(client, project).status_code == 404


def test_query_count_does_not_grow(client, alice, bob, project, judged, django_assert_num_queries):
    client.force_login(alice)
    with django_assert_num_queries(8):
        page(client, project)
    for _ in range(10):
        claim = ClaimFactory(article=ArticleFactory(project=project))
        verdict_set(claim=claim, reviewer=alice, label="supported")
        verdict_set(claim=claim, reviewer=bob, label="disputed")
    with django_assert_num_queries(8):
        page(client, project)


def test_agreement_through_the_api(client, alice, dave, project, judged):
    client.force_login(alice)
    body = client.get(f"/api/v1/projects/{project.slug}/agreement/").json()
    assert (body["claims"], body["verdicts"], body["disagreements"]) == (3, 6, 1)
    assert body["alpha"] == pytest.approx(4 / 9) and body["reading"] == "unreliable"
    # kappa: observed 2/3, by chance 2/9 + 2/9 = 4/9: (2/3 - 4/9) / (5/9) = 0.4.
    assert body["pairs"] == [
        {"first": "alice", "second": "bob", "claims": 3, "agreed": 2, "kappa": pytest.approx(0.4)}
    ]
    listed = client.get("/api/v1/claims/", {"project": project.slug, "disagreement": "true"})
    assert [c["id"] for c in listed.json()["results"]] == [judged[1].pk]
    others = client.get("/api/v1/claims/", {"project": project.slug, "disagreement": "false"})
    assert judged[1].pk not in [c["id"] for c in others.json()["results"]]
    assert len(others.json()["results"]) == 3
    client.force_login(dave)
    assert client.get(f"/api/v1/projects/{project.slug}/agreement/").status_code == 404
