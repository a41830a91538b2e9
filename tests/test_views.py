import pytest
from django.urls import reverse

from annotations.models import Article, ExtractionRun
from tests.factories import ArticleFactory, ClaimFactory


@pytest.fixture
def articles(project):
    return [
        ArticleFactory(project=project, outlet="Kyiv Post" if i % 2 else "AP", title=f"Story {i}")
        for i in range(30)
    ]


@pytest.mark.django_db
def test_every_page_needs_a_login(client, project):
    article = ArticleFactory(project=project)
    for url in (
        reverse("project_list"),
        reverse("project_detail", args=[project.slug]),
        reverse("article_import", args=[project.slug]),
        reverse("article_detail", args=[project.slug, article.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_project_list_shows_only_my_projects(client, alice, dave, project):
    client.force_login(alice)
    response = client.get(reverse("project_list"))
    assert list(response.context["projects"]) == [project]
    assert b"Elsewhere" not in response.content


@pytest.mark.django_db
def test_outsider_gets_404_everywhere(client, dave, project):
    article = ArticleFactory(project=project)
    client.force_login(dave)
    for url in (
        reverse("project_detail", args=[project.slug]),
        reverse("project_progress", args=[project.slug]),
        reverse("article_import", args=[project.slug]),
        reverse("article_detail", args=[project.slug, article.pk]),
    ):
        assert client.get(url).status_code == 404
    assert (
        client.post(reverse("article_extract", args=[project.slug, article.pk])).status_code == 404
    )
    assert not ExtractionRun.objects.exists()


@pytest.mark.django_db
def test_article_of_another_project_is_404_even_for_members(client, alice, dave, project):
    foreign = ArticleFactory(project=dave.memberships.get().project)
    client.force_login(alice)
    url = reverse("article_detail", args=[project.slug, foreign.pk])
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_viewer_cannot_import_or_extract(client, victor, project):
    article = ArticleFactory(project=project)
    client.force_login(victor)
    assert client.get(reverse("article_import", args=[project.slug])).status_code == 403
    response = client.post(reverse("article_extract", args=[project.slug, article.pk]))
    assert response.status_code == 403
    assert client.get(reverse("article_detail", args=[project.slug, article.pk])).status_code == 200


@pytest.mark.django_db
def test_article_list_filters_and_paginates(client, alice, project, articles):
    client.force_login(alice)
    url = reverse("project_detail", args=[project.slug])
    page1 = client.get(url)
    assert len(page1.context["page"].object_list) == 25
    assert page1.context["page"].paginator.count == 30
    page2 = client.get(url, {"page": 2})
    assert len(page2.context["page"].object_list) == 5

    ap = client.get(url, {"outlet": "AP"})
    assert {a.outlet for a in ap.context["page"].object_list} == {"AP"}
    assert ap.context["page"].paginator.count == 15

    found = client.get(url, {"q": "Story 7"})
    assert [a.title for a in found.context["page"].object_list] == ["Story 7"]

    Article.objects.filter(pk=articles[0].pk).update(extraction_state="failed")
    failed = client.get(url, {"extraction_state": "failed"})
    assert [a.pk for a in failed.context["page"].object_list] == [articles[0].pk]


@pytest.mark.django_db
def test_article_list_counts_claims_by_state(client, alice, project):
    article = ArticleFactory(project=project)
    ClaimFactory(article=article)
    ClaimFactory(
        article=article, start=0, end=7, quote=article.canonical_text[:7], state="accepted"
    )
    client.force_login(alice)
    response = client.get(reverse("project_detail", args=[project.slug]))
    row = response.context["page"].object_list[0]
    assert (row.open_count, row.accepted_count, row.dismissed_count) == (1, 1, 0)


@pytest.mark.django_db
def test_article_list_query_count_does_not_grow(client, alice, project, django_assert_num_queries):
    client.force_login(alice)
    url = reverse("project_detail", args=[project.slug])
    ArticleFactory.create_batch(3, project=project)
    # session, user, membership+project, outlets, count, page, progress
    with django_assert_num_queries(7):
        client.get(url)
    ArticleFactory.create_batch(40, project=project)
    with django_assert_num_queries(7):
        client.get(url)


@pytest.mark.django_db
def test_project_list_query_count(client, alice, project, django_assert_num_queries):
    client.force_login(alice)
    with django_assert_num_queries(3):
        client.get(reverse("project_list"))


@pytest.mark.django_db
def test_htmx_request_gets_only_the_article_list(client, alice, project, articles):
    client.force_login(alice)
    response = client.get(
        reverse("project_detail", args=[project.slug]), {"outlet": "AP"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="article-list"')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
def test_progress_partial_polls_only_while_work_is_active(client, alice, project):
    article = ArticleFactory(project=project, extraction_state="queued")
    client.force_login(alice)
    url = reverse("project_progress", args=[project.slug])
    assert b'hx-trigger="every 2s"' in client.get(url).content
    Article.objects.filter(pk=article.pk).update(extraction_state="done")
    html = client.get(url).content
    assert b"hx-trigger" not in html
    assert b"1 of 1 article done" in html


@pytest.mark.django_db
def test_article_page_shows_text_and_claims(client, alice, project):
    claim = ClaimFactory(article=ArticleFactory(project=project), reasons=["a number (8,000)"])
    client.force_login(alice)
    response = client.get(reverse("article_detail", args=[project.slug, claim.article.pk]))
    html = response.content.decode()
    assert claim.quote in html
    assert "a number (8,000)" in html


@pytest.mark.django_db
def test_rerun_extraction_queues_a_run(
    client, alice, project, sent_tasks, django_capture_on_commit_callbacks
):
    article = ArticleFactory(project=project)
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("article_extract", args=[project.slug, article.pk]))
    assert response.status_code == 302
    run = article.extraction_runs.get()
    assert run.state == "queued"
    assert sent_tasks == [((article.pk, run.pk), {})]
