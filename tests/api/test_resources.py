"""The API's resources: scoping, roles, validation, optimistic concurrency."""

import pytest

from annotations.models import Article, Claim, ClaimMatch, EvidenceLink, Verdict
from tests import factories
from tests.api.conftest import login

pytestmark = pytest.mark.django_db

LISTS = ["projects", "articles", "claims", "verdicts", "evidence", "sources", "matches", "exports"]


def _match(reviewed_claim):
    article = factories.ArticleFactory(project=reviewed_claim.article.project)
    other = factories.ClaimFactory(article=article)
    left, right = sorted([reviewed_claim, other], key=lambda c: c.pk)
    return ClaimMatch.objects.create(left=left, right=right, score=0.8)


def _detail_urls(claim):
    verdict = Verdict.objects.filter(claim=claim).first()
    link = EvidenceLink.objects.filter(claim=claim, source__isnull=False).first()
    return {
        "project": f"/api/v1/projects/{claim.article.project.slug}/",
        "article": f"/api/v1/articles/{claim.article_id}/",
        "claim": f"/api/v1/claims/{claim.pk}/",
        "verdict": f"/api/v1/verdicts/{verdict.pk}/" if verdict else None,
        "evidence": f"/api/v1/evidence/{link.pk}/" if link else None,
        "source": f"/api/v1/sources/{link.source_id}/" if link else None,
    }


@pytest.mark.parametrize("name", LISTS)
def test_lists_need_authentication(api, name):
    response = api.get(f"/api/v1/{name}/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("name", LISTS)
def test_every_role_reads_its_project_and_the_outsider_sees_nothing(
    api, name, personas, reviewed_claim, outsider_claim
):
    match = _match(reviewed_claim)
    for username in ("alice", "carol", "victor"):
        response = login(api, personas[username]).get(f"/api/v1/{name}/")
        assert response.status_code == 200, (username, response.content)
        if name not in ("exports",):
            assert response.data["results"], (username, name)
    response = login(api, personas["dave"]).get(f"/api/v1/{name}/")
    assert response.status_code == 200
    rows = response.data["results"]
    if name == "projects":
        assert [row["slug"] for row in rows] == ["elsewhere"]
    elif name in ("articles", "claims"):
        assert rows and {row["project"] for row in rows} == {"elsewhere"}
    else:
        assert rows == []
    assert match.pk


def test_another_projects_objects_are_404_for_every_endpoint(api, dave, reviewed_claim):
    match = _match(reviewed_claim)
    urls = _detail_urls(reviewed_claim)
    urls["match"] = f"/api/v1/matches/{match.pk}/"
    login(api, dave)
    for name, url in urls.items():
        assert api.get(url).status_code == 404, name
    claim_url = urls["claim"]
    assert api.patch(claim_url, {"version": 1, "state": "dismissed"}).status_code == 404
    assert (
        api.post(claim_url + "final-verdict/", {"version": 1, "verdict": None}).status_code == 404
    )
    assert api.patch(urls["verdict"], {"version": 1, "verdict": "disputed"}).status_code == 404
    assert api.delete(urls["verdict"]).status_code == 404
    assert api.post(urls["match"] + "confirm/", {}).status_code == 404
    assert api.post(urls["match"] + "reject/", {}).status_code == 404
    assert api.patch(urls["evidence"], {"version": 1, "note": "x"}).status_code == 404
    assert api.delete(urls["evidence"]).status_code == 404
    slug = reviewed_claim.article.project.slug
    assert api.get(f"/api/v1/projects/{slug}/export/jsonl/").status_code == 404
    assert api.get(f"/api/v1/projects/{slug}/annotations/").status_code == 404
    # Referring to another project's objects in a body reads as "no such object".
    response = api.post("/api/v1/verdicts/", {"claim": reviewed_claim.pk, "verdict": "disputed"})
    assert response.status_code == 400 and "claim" in response.data
    response = api.post(
        "/api/v1/claims/",
        {"article": reviewed_claim.article_id, "start": 0, "end": 5, "quote": "About"},
    )
    assert response.status_code == 400 and "article" in response.data
    response = api.post("/api/v1/articles/", {"project": slug, "text": "Some text here."})
    assert response.status_code == 400 and "project" in response.data
    response = api.post("/api/v1/exports/", {"project": slug, "format": "jsonl"}, format="json")
    assert response.status_code == 400 and "project" in response.data


def test_viewer_cannot_write(api, victor, reviewed_claim):
    login(api, victor)
    claim = reviewed_claim
    response = api.patch(
        f"/api/v1/claims/{claim.pk}/", {"version": claim.version, "state": "dismissed"}
    )
    assert response.status_code == 403
    response = api.post("/api/v1/verdicts/", {"claim": claim.pk, "verdict": "disputed"})
    assert response.status_code == 403
    response = api.post(
        "/api/v1/evidence/", {"claim": claim.pk, "stance": "supports", "url": "https://a.example/x"}
    )
    assert response.status_code == 403
    response = api.post(
        "/api/v1/claims/", {"article": claim.article_id, "start": 42, "end": 73, "quote": "x"}
    )
    assert response.status_code in (400, 403)
    response = api.post(
        "/api/v1/articles/", {"project": "desk", "text": "A new article about something."}
    )
    assert response.status_code == 403
    match = _match(claim)
    assert api.post(f"/api/v1/matches/{match.pk}/confirm/", {}).status_code == 403
    assert api.post(f"/api/v1/matches/{match.pk}/reject/", {}).status_code == 403
    # ...but may export.
    assert api.get("/api/v1/projects/desk/export/jsonl/").status_code == 200


def test_a_reviewer_confirms_or_rejects_a_match(api, alice, reviewed_claim):
    match = _match(reviewed_claim)
    login(api, alice)
    url = f"/api/v1/matches/{match.pk}/"
    response = api.post(url + "confirm/", {"stance": "nonsense"})
    assert response.status_code == 400 and "stance" in response.data
    response = api.post(url + "confirm/", {"stance": "disputes"})
    assert response.status_code == 200, response.data
    assert response.data["state"] == "confirmed" and response.data["decided_by"] == "alice"
    links = EvidenceLink.objects.filter(target_claim__in=[match.left, match.right])
    assert sorted(links.values_list("stance", flat=True)) == ["disputes", "disputes"]
    assert api.post(url + "confirm/", {}).status_code == 200  # again: nothing new
    assert links.count() == 2
    response = api.post(url + "reject/")
    assert response.status_code == 400 and "confirmed" in response.data["detail"]

    other = _match(reviewed_claim)
    response = api.post(f"/api/v1/matches/{other.pk}/reject/")
    assert response.status_code == 200 and response.data["state"] == "rejected"
    pair = EvidenceLink.objects.filter(claim=other.left, target_claim=other.right).union(
        EvidenceLink.objects.filter(claim=other.right, target_claim=other.left)
    )
    assert not pair.exists()


def test_reviewer_writes_and_only_an_editor_sets_the_final_verdict(api, alice, carol, claim):
    login(api, alice)
    response = api.patch(f"/api/v1/claims/{claim.pk}/", {"version": 1, "state": "accepted"})
    assert response.status_code == 200, response.data
    assert response.data["state"] == "accepted" and response.data["version"] == 2
    response = api.post(
        f"/api/v1/claims/{claim.pk}/final-verdict/", {"version": 2, "verdict": "disputed"}
    )
    assert response.status_code == 403
    login(api, carol)
    response = api.post(
        f"/api/v1/claims/{claim.pk}/final-verdict/", {"version": 2, "verdict": "disputed"}
    )
    assert response.status_code == 200
    assert response.data["final_verdict"] == "disputed"
    assert response.data["final_verdict_by"] == "carol"
    response = api.post(
        f"/api/v1/claims/{claim.pk}/final-verdict/", {"version": 3, "verdict": "nonsense"}
    )
    assert response.status_code == 400 and "unknown verdict" in response.data["detail"]


def test_verdicts_create_change_and_withdraw(api, alice, bob, claim):
    login(api, alice)
    response = api.post("/api/v1/verdicts/", {"claim": claim.pk, "verdict": "supported"})
    assert response.status_code == 201, response.data
    verdict_id = response.data["id"]
    assert response.data["reviewer"] == "alice" and response.data["version"] == 1
    response = api.patch(
        f"/api/v1/verdicts/{verdict_id}/", {"version": 1, "verdict": "disputed", "rationale": "No."}
    )
    assert response.status_code == 200 and response.data["verdict"] == "disputed"
    login(api, bob)
    response = api.patch(f"/api/v1/verdicts/{verdict_id}/", {"version": 2, "verdict": "supported"})
    assert response.status_code == 403
    assert api.delete(f"/api/v1/verdicts/{verdict_id}/").status_code == 403
    login(api, alice)
    assert api.delete(f"/api/v1/verdicts/{verdict_id}/").status_code == 204
    assert not Verdict.objects.filter(pk=verdict_id).exists()


def test_evidence_create_update_delete(api, alice, claim, sent_tasks):
    login(api, alice)
    response = api.post(
        "/api/v1/evidence/",
        {
            "claim": claim.pk,
            "stance": "disputes",
            "url": "https://stats.example.org/r?utm_source=x",
        },
    )
    assert response.status_code == 201, response.data
    assert response.data["source"]["url"] == "https://stats.example.org/r"
    link_id = response.data["id"]
    response = api.patch(f"/api/v1/evidence/{link_id}/", {"version": 1, "note": "Official."})
    assert response.status_code == 200 and response.data["version"] == 2
    response = api.post("/api/v1/evidence/", {"claim": claim.pk, "stance": "disputes"})
    assert response.status_code == 400 and "non_field_errors" in response.data
    response = api.post(
        "/api/v1/evidence/",
        {"claim": claim.pk, "stance": "maybe", "url": "https://stats.example.org/r"},
    )
    assert response.status_code == 400 and "stance" in response.data
    assert api.delete(f"/api/v1/evidence/{link_id}/").status_code == 204


@pytest.mark.parametrize(
    ("start", "end", "quote", "field", "words"),
    [
        (10, 5, "x", "end", "must be after start"),
        (0, 10_000, "x", "end", "beyond the end of the text"),
        (0, 5, "Abaut", "quote", "does not match"),
        (-1, 5, "About", "start", ""),
        ("a", 5, "About", "start", ""),
    ],
)
def test_invalid_offsets_are_400_with_the_field(
    api, alice, article, start, end, quote, field, words
):
    login(api, alice)
    response = api.post(
        "/api/v1/claims/",
        {"article": article.pk, "start": start, "end": end, "quote": quote},
        format="json",
    )
    assert response.status_code == 400
    assert field in response.data, response.data
    assert words in str(response.data[field])


def test_manual_claim_in_code_points(api, alice, project):
    article = factories.ArticleFactory(
        project=project, canonical_text="Émoji 👍 then 8,000 troops."
    )
    login(api, alice)
    start = article.canonical_text.index("8,000")
    response = api.post(
        "/api/v1/claims/",
        {"article": article.pk, "start": start, "end": start + 12, "quote": "8,000 troops"},
        format="json",
    )
    assert response.status_code == 201, response.data
    assert response.data["origin"] == "manual" and response.data["created_by"] == "alice"
    again = api.post(
        "/api/v1/claims/",
        {"article": article.pk, "start": start, "end": start + 12, "quote": "8,000 troops"},
        format="json",
    )
    assert again.status_code == 400 and "already" in again.data["detail"]


def test_stale_claim_write_is_409_with_the_current_state(api, alice, bob, claim):
    login(api, bob)
    assert (
        api.patch(f"/api/v1/claims/{claim.pk}/", {"version": 1, "state": "dismissed"}).status_code
        == 200
    )
    login(api, alice)
    response = api.patch(f"/api/v1/claims/{claim.pk}/", {"version": 1, "claimant": "The mayor"})
    assert response.status_code == 409
    assert response.data["current_version"] == 2
    assert response.data["current"]["state"] == "dismissed"
    assert "bob" in response.data["detail"]
    claim.refresh_from_db()
    assert claim.claimant == "" and claim.state == "dismissed"


def test_stale_verdict_and_evidence_writes_are_409(api, alice, reviewed_claim):
    login(api, alice)
    verdict = Verdict.objects.get(claim=reviewed_claim, reviewer=alice)
    response = api.patch(
        f"/api/v1/verdicts/{verdict.pk}/", {"version": verdict.version + 5, "verdict": "disputed"}
    )
    assert response.status_code == 409 and response.data["current_kind"] == "verdict"
    assert response.data["current"]["verdict"] == "supported"
    response = api.post(
        "/api/v1/verdicts/", {"claim": reviewed_claim.pk, "verdict": "disputed", "version": 0}
    )
    assert response.status_code == 409
    link = EvidenceLink.objects.filter(claim=reviewed_claim).first()
    response = api.patch(f"/api/v1/evidence/{link.pk}/", {"version": 7, "note": "x"})
    assert response.status_code == 409 and response.data["current"]["version"] == link.version
    response = api.post(
        f"/api/v1/claims/{reviewed_claim.pk}/final-verdict/", {"version": 1, "verdict": None}
    )
    assert response.status_code in (403, 409)


def test_missing_version_is_a_field_error(api, alice, claim):
    login(api, alice)
    response = api.patch(f"/api/v1/claims/{claim.pk}/", {"state": "accepted"})
    assert response.status_code == 400 and "version" in response.data


def test_article_import_through_the_service(
    api, alice, project, sent_tasks, django_capture_on_commit_callbacks
):
    login(api, alice)
    body = {"project": "desk", "title": "Harbour fire", "text": "Fire  crews  arrived at 2 a.m."}
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/articles/", body, format="json")
    assert response.status_code == 201, response.data
    article = Article.objects.get(pk=response.data["id"])
    assert article.import_source == "api" and article.imported_by == alice
    assert response.data["canonical_text"] == article.canonical_text
    assert sent_tasks, "extraction is queued"
    again = api.post("/api/v1/articles/", body, format="json")
    assert again.status_code == 400 and again.data["existing"] == article.pk
    empty = api.post("/api/v1/articles/", {"project": "desk", "text": "   "}, format="json")
    assert empty.status_code == 400 and "text" in empty.data
    binary = api.post("/api/v1/articles/", {"project": "desk", "text": "a\x00b"}, format="json")
    assert binary.status_code == 400


def test_unknown_ids_and_garbage_are_404_or_400_never_500(api, alice, claim):
    login(api, alice)
    assert api.get("/api/v1/claims/999999999999999999999/").status_code == 404
    assert api.get("/api/v1/claims/abc/").status_code == 404
    assert api.get("/api/v1/claims/?article=1e400").status_code == 400
    assert api.get("/api/v1/claims/?score_min=2").status_code == 400
    assert api.get("/api/v1/claims/?updated_after=yesterday").status_code == 400
    assert api.get("/api/v1/claims/?cursor=garbage").status_code == 404
    assert api.get("/api/v1/claims/?q=%00").status_code == 400
    assert Claim.objects.count() == 1


def test_rerun_extraction_through_the_api(api, alice, victor, dave, article, sent_tasks):
    from annotations.models import ExtractionRun

    url = f"/api/v1/articles/{article.pk}/extract/"
    assert login(api, dave).post(url).status_code == 404
    assert login(api, victor).post(url).status_code == 403
    response = login(api, alice).post(url)
    assert response.status_code == 202
    run = ExtractionRun.objects.get(article=article)
    assert response.json()["id"] == run.pk
    assert response.json()["state"] == "queued"
    # Asking again while it waits reuses the run.
    assert login(api, alice).post(url).json()["id"] == run.pk


def test_a_verdict_is_not_replaced_by_a_post_that_did_not_see_it(api, alice, reviewed_claim):
    login(api, alice)
    verdict = Verdict.objects.get(claim=reviewed_claim, reviewer=alice)
    response = api.post("/api/v1/verdicts/", {"claim": reviewed_claim.pk, "verdict": "disputed"})
    assert response.status_code == 409, response.data
    assert response.data["current"]["id"] == verdict.pk
    assert response.data["current_version"] == verdict.version
    verdict.refresh_from_db()
    assert verdict.label.slug == "supported"
    response = api.post(
        "/api/v1/verdicts/",
        {"claim": reviewed_claim.pk, "verdict": "disputed", "version": verdict.version},
    )
    assert response.status_code == 201 and response.data["verdict"] == "disputed"


def test_deletes_with_a_stale_version_are_409_and_remove_nothing(api, alice, reviewed_claim):
    login(api, alice)
    verdict = Verdict.objects.get(claim=reviewed_claim, reviewer=alice)
    link = EvidenceLink.objects.filter(claim=reviewed_claim).first()
    for url, current in (
        (f"/api/v1/verdicts/{verdict.pk}/", verdict),
        (f"/api/v1/evidence/{link.pk}/", link),
    ):
        response = api.delete(f"{url}?version={current.version + 1}")
        assert response.status_code == 409, response.data
        assert response.data["current_version"] == current.version
        assert api.delete(f"{url}?version=x").status_code == 400
        assert type(current).objects.filter(pk=current.pk).exists()
        assert api.delete(f"{url}?version={current.version}").status_code == 204
        assert not type(current).objects.filter(pk=current.pk).exists()


def test_invalid_evidence_excerpts_are_400_with_the_field(api, alice, claim, project):
    """An excerpt quoted from another article, with offsets into its text."""
    cited = factories.ArticleFactory(project=project, canonical_text="The council said 1,200.")
    login(api, alice)
    body = {"claim": claim.pk, "stance": "disputes", "target_article": cited.pk}
    for excerpt, start, end, field in (
        ("1,200", 17, None, "excerpt_end"),
        ("1,200", 17, 99, "excerpt"),
        ("1,300", 17, 22, "excerpt"),
        ("1,200", 22, 17, "excerpt_end"),
    ):
        offsets = {"excerpt_start": start} | ({"excerpt_end": end} if end is not None else {})
        response = api.post("/api/v1/evidence/", body | {"excerpt": excerpt} | offsets)
        assert response.status_code == 400, (excerpt, start, end, response.data)
        assert list(response.data) == [field], response.data
    response = api.post(
        "/api/v1/evidence/", body | {"excerpt": "1,200", "excerpt_start": 17, "excerpt_end": 22}
    )
    assert response.status_code == 201, response.data
    assert response.data["excerpt_prefix"].endswith("said ")


def test_deleted_claims_are_listed_for_their_project_only(
    api, alice, dave, claim, outsider_claim, django_assert_num_queries
):
    from datetime import timedelta

    from django.utils import timezone

    from annotations.models import DeletedClaim
    from annotations.services.claims import claims_delete

    before = timezone.now() - timedelta(seconds=1)
    uuids = {claim.uuid, outsider_claim.uuid}
    assert claims_delete(claims=Claim.objects.filter(uuid__in=uuids)) == 2
    assert not Claim.objects.filter(uuid__in=uuids).exists()
    assert DeletedClaim.objects.count() == 2
    login(api, alice)
    with django_assert_num_queries(3):  # session, user, the page (project joined)
        response = api.get("/api/v1/deleted-claims/")
    rows = response.data["results"]
    assert [(r["uuid"], r["project"]) for r in rows] == [(str(claim.uuid), "desk")]
    later = (timezone.now() + timedelta(seconds=1)).isoformat()
    assert api.get("/api/v1/deleted-claims/", {"deleted_after": before.isoformat()}).data["results"]
    assert not api.get("/api/v1/deleted-claims/", {"deleted_after": later}).data["results"]
    assert not api.get("/api/v1/deleted-claims/?project=elsewhere").data["results"]
    assert api.get("/api/v1/deleted-claims/?deleted_after=yesterday").status_code == 400
    login(api, dave)
    rows = api.get("/api/v1/deleted-claims/").data["results"]
    assert [r["uuid"] for r in rows] == [str(outsider_claim.uuid)]


# Who may change what someone else wrote (alice's evidence, alice's verdict,
# the claim's final verdict): each role of the project, and an outsider.
ROLE_EXPECTATIONS = [
    # username, role, evidence of alice, verdict of alice, final verdict
    ("victor", "viewer", 403, 403, 403),
    ("bob", "reviewer", 403, 403, 403),
    ("carol", "editor", 200, 403, 200),
    ("ada", "admin", 200, 403, 200),
    ("dave", None, 404, 404, 404),
]


@pytest.mark.parametrize("username, role, evidence, verdict, final", ROLE_EXPECTATIONS)
def test_each_role_on_what_someone_else_wrote(
    api, personas, project, reviewed_claim, username, role, evidence, verdict, final
):
    user = personas.get(username) or factories.member(project, username, role)
    link = EvidenceLink.objects.filter(claim=reviewed_claim, created_by__username="alice").first()
    theirs = Verdict.objects.get(claim=reviewed_claim, reviewer__username="alice")
    login(api, user)
    url = f"/api/v1/evidence/{link.pk}/"
    response = api.patch(url, {"version": link.version, "note": "Checked again."})
    assert response.status_code == evidence, response.data
    # The version read before the change: stale for those who could change it.
    response = api.delete(f"{url}?version={link.version}")
    assert response.status_code == (409 if evidence == 200 else evidence), response.data
    response = api.patch(
        f"/api/v1/verdicts/{theirs.pk}/", {"version": theirs.version, "verdict": "disputed"}
    )
    assert response.status_code == verdict
    assert api.delete(f"/api/v1/verdicts/{theirs.pk}/").status_code == verdict
    assert Verdict.objects.filter(pk=theirs.pk).exists()
    response = api.post(
        f"/api/v1/claims/{reviewed_claim.pk}/final-verdict/",
        {"version": reviewed_claim.version, "verdict": "disputed"},
    )
    assert response.status_code == final, response.data
    if evidence == 200:
        response = api.delete(f"{url}?version={link.version + 1}")
        assert response.status_code == 204
