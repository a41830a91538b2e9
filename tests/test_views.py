import pytest
from django.urls import reverse

from annotations.models import Article, ExportJob, ExtractionRun
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
        reverse("article_list", args=[project.slug]),
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
        reverse("article_list", args=[project.slug]),
        reverse("article_import", args=[project.slug]),
        reverse("article_detail", args=[project.slug, article.pk]),
        reverse("article_status", args=[project.slug, article.pk]),
        reverse("article_next", args=[project.slug, article.pk]),
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
    url = reverse("article_list", args=[project.slug])
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
    response = client.get(reverse("article_list", args=[project.slug]))
    row = response.context["page"].object_list[0]
    assert (row.open_count, row.accepted_count, row.dismissed_count) == (1, 1, 0)


@pytest.mark.django_db
def test_article_list_query_count_does_not_grow(client, alice, project, django_assert_num_queries):
    client.force_login(alice)
    url = reverse("article_list", args=[project.slug])
    ArticleFactory.create_batch(3, project=project)
    # session, user, membership+project, outlets, count, page
    with django_assert_num_queries(6):
        client.get(url)
    ArticleFactory.create_batch(40, project=project)
    with django_assert_num_queries(6):
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
        reverse("article_list", args=[project.slug]), {"outlet": "AP"}, HTTP_HX_REQUEST="true"
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


@pytest.mark.django_db
def test_queue_filters_open_candidates_assigned_and_sorts_by_score(client, alice, bob, project):
    low = ArticleFactory(project=project, title="Low", assigned_to=alice)
    high = ArticleFactory(project=project, title="High")
    done = ArticleFactory(project=project, title="Done", assigned_to=alice)
    ClaimFactory(article=low, score=0.3)
    ClaimFactory(article=high, score=0.95)
    ClaimFactory(article=done, score=0.99, state="accepted")
    client.force_login(alice)
    url = reverse("article_list", args=[project.slug])

    titles = [a.title for a in client.get(url).context["page"].object_list]
    assert titles[:2] == ["High", "Low"]  # by the top score of open candidates

    open_only = client.get(url, {"has_open": "on"}).context["page"].object_list
    assert [a.title for a in open_only] == ["High", "Low"]
    mine = client.get(url, {"mine": "on"}).context["page"].object_list
    assert {a.title for a in mine} == {"Low", "Done"}
    both = client.get(url, {"mine": "on", "has_open": "on"}).context["page"].object_list
    assert [a.title for a in both] == ["Low"]
    row = both[0]
    assert (row.open_count, row.accepted_count, row.dismissed_count) == (1, 0, 0)


@pytest.mark.django_db
def test_dashboard_shows_counts_charts_queue_and_activity(client, alice, project):
    from annotations.services.claims import claim_accept, verdict_set

    article = ArticleFactory(project=project, assigned_to=alice, title="Mine to do")
    accepted = ClaimFactory(article=article)
    ClaimFactory(article=article, start=0, end=7, quote=article.canonical_text[:7])
    claim_accept(claim=accepted, user=alice, expected_version=1)
    verdict_set(claim=accepted, reviewer=alice, label="supported", rationale="Checked.")
    client.force_login(alice)
    response = client.get(reverse("project_detail", args=[project.slug]))
    html = response.content.decode()
    states = {value: count for value, _, count in response.context["states"]}
    assert states == {"candidate": 1, "accepted": 1, "dismissed": 0, "orphaned": 0}
    bars = {bar["slug"]: bar["count"] for bar in response.context["verdict_chart"]["bars"]}
    assert bars == {"supported": 1, "disputed": 0}
    assert response.context["day_chart"]["bars"][-1]["count"] == 1  # one claim, today
    assert "<svg" in html and "Final verdicts: Supported 1, Disputed 0" in html
    assert [a.title for a in response.context["my_queue"]] == ["Mine to do"]
    assert "alice" in html and "changed" in html  # recent activity


@pytest.mark.django_db
def test_dashboard_query_count_is_fixed(client, alice, project, django_assert_num_queries):
    client.force_login(alice)
    url = reverse("project_detail", args=[project.slug])
    article = ArticleFactory(project=project, assigned_to=alice)
    ClaimFactory(article=article)
    # session, user, membership+project, states, verdicts, labels, queue,
    # progress, per-day chart, recent activity, your exports
    with django_assert_num_queries(11):
        client.get(url)
    for _ in range(5):
        other = ArticleFactory(project=project, assigned_to=alice)
        ClaimFactory(article=other)
        ExportJob.objects.create(project=project, requested_by=alice, format="csv")
    with django_assert_num_queries(11):
        client.get(url)


@pytest.mark.django_db
def test_dashboard_lists_your_recent_exports(client, alice, bob, project):
    mine = ExportJob.objects.create(project=project, requested_by=alice, format="csv")
    ExportJob.objects.create(project=project, requested_by=bob, format="json")
    client.force_login(alice)
    html = client.get(reverse("project_detail", args=[project.slug])).content.decode()
    assert f'id="export-job-{mine.uuid}"' in html and "CSV export" in html
    assert "JSON export" not in html
