"""Assigning articles: editors from the queue (several at once) and from the
review page; a reviewer takes an unassigned article from its review page."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations.models import Article
from tests.factories import ArticleFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def articles(project):
    return [
        ArticleFactory(project=project, title=f"Story {i}", outlet="AP" if i % 2 else "Reuters")
        for i in range(4)
    ]


def queue(project) -> str:
    return reverse("article_list", args=[project.slug])


def bulk(project) -> str:
    return reverse("article_list_assign", args=[project.slug])


def header(project, article) -> str:
    return reverse("article_assignment", args=[project.slug, article.pk])


def review(project, article) -> str:
    return reverse("article_detail", args=[project.slug, article.pk])


def assignees(articles):
    return [Article.objects.get(pk=a.pk).assigned_to for a in articles]


# ----- the queue -------------------------------------------------------------------


@pytest.mark.django_db
def test_editors_get_checkboxes_and_the_projects_reviewers(
    client, alice, bob, carol, victor, project, articles
):
    client.force_login(carol)
    html = client.get(queue(project)).content.decode()
    assert html.count('type="checkbox" name="article"') == 4
    assert 'form="assign-form"' in html and f'action="{bulk(project)}"' in html
    start = html.index('<select id="assignee"')
    options = html[start : html.index("</select>", start)]
    for name in ("alice", "bob", "carol"):
        assert f">{name} (" in options
    assert "victor" not in options  # a viewer is not assigned articles
    client.force_login(alice)
    html = client.get(queue(project)).content.decode()
    assert 'name="article"' not in html and "assign-form" not in html


@pytest.mark.django_db
def test_assign_checked_articles_with_htmx_keeps_the_filters(
    client, alice, carol, project, articles
):
    client.force_login(carol)
    first, second = articles[1], articles[3]  # the AP ones
    response = client.post(
        f"{bulk(project)}?outlet=AP",
        {"article": [first.pk, second.pk], "assignee": alice.pk, "action": "assign"},
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="article-list"')
    assert "2 articles assigned to alice." in html
    assert "Story 1" in html and "Story 0" not in html  # still filtered
    assert f'action="{bulk(project)}?outlet=AP"' in html
    assert assignees(articles) == [None, alice, None, alice]


@pytest.mark.django_db
def test_assign_and_unassign_without_javascript(client, alice, bob, carol, project, articles):
    client.force_login(carol)
    response = client.post(
        f"{bulk(project)}?sort=title&page=2",
        {"article": [a.pk for a in articles], "assignee": bob.pk, "action": "assign"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{queue(project)}?sort=title&page=2"  # the same page
    assert assignees(articles) == [bob] * 4
    assert "4 articles assigned to bob." in client.get(response["Location"]).content.decode()
    response = client.post(
        bulk(project), {"article": [articles[0].pk], "assignee": "", "action": "unassign"}
    )
    assert response.status_code == 302
    assert assignees(articles) == [None, bob, bob, bob]
    assert "“Story 0” unassigned." in client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_incomplete_assignments_are_422_with_the_reason(
    client, alice, carol, victor, project, articles
):
    client.force_login(carol)
    response = client.post(bulk(project), {"assignee": alice.pk, "action": "assign"}, **HTMX)
    assert response.status_code == 422
    assert "Select at least one article." in response.content.decode()
    response = client.post(
        bulk(project), {"article": [articles[0].pk], "assignee": "", "action": "assign"}, **HTMX
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Choose who to assign them to." in html
    assert f'value="{articles[0].pk}" form="assign-form"' in html
    assert "checked" in html[html.index(f'value="{articles[0].pk}" form=') :][:120]
    # A viewer is not among the choices; an article of another project is not found.
    foreign = ArticleFactory()
    for data in (
        {"article": [articles[0].pk], "assignee": victor.pk, "action": "assign"},
        {"article": [articles[0].pk, foreign.pk], "assignee": alice.pk, "action": "assign"},
        {"article": ["x"], "assignee": alice.pk, "action": "assign"},
    ):
        response = client.post(bulk(project), data)
        assert response.status_code == 422
        assert "Not assigned:" in response.content.decode()
    assert assignees([*articles, foreign]) == [None] * 5


@pytest.mark.django_db
def test_only_editors_assign_from_the_queue(client, alice, victor, dave, project, articles):
    data = {"article": [articles[0].pk], "assignee": alice.pk, "action": "assign"}
    for user, status in ((alice, 403), (victor, 403), (dave, 404)):
        client.force_login(user)
        assert client.post(bulk(project), data, **HTMX).status_code == status
    assert client.get(bulk(project)).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(bulk(project), data).status_code == 403
    assert assignees(articles) == [None] * 4


@pytest.mark.django_db
def test_editors_queue_query_count_does_not_grow(client, carol, project):
    client.force_login(carol)
    ArticleFactory.create_batch(3, project=project)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(queue(project)).status_code == 200
        return len(captured)

    # session, user, membership + project, outlets, count, page, the reviewers
    assert queries() == 7
    ArticleFactory.create_batch(40, project=project)
    assert queries() == 7


# ----- the review page ---------------------------------------------------------------


@pytest.mark.django_db
def test_reviewer_takes_an_article_and_gives_it_back(client, alice, project, articles):
    article = articles[0]
    client.force_login(alice)
    html = client.get(review(project, article)).content.decode()
    assert "Not assigned" in html and "Assign to me" in html
    response = client.post(
        header(project, article), {"assignee": alice.pk, "action": "assign"}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="article-assignment"')
    assert "Assigned to <strong>you</strong>" in html and "Give it back" in html
    assert "“Story 0” assigned to you." in html
    assert assignees([article]) == [alice]
    # Without JavaScript: back to the page.
    response = client.post(header(project, article), {"action": "unassign"})
    assert response.status_code == 302 and response["Location"] == review(project, article)
    assert assignees([article]) == [None]


@pytest.mark.django_db
def test_reviewer_cannot_take_anothers_article(client, alice, bob, project, articles):
    article = articles[0]
    client.force_login(bob)
    client.post(header(project, article), {"assignee": bob.pk, "action": "assign"})
    client.force_login(alice)
    html = client.get(review(project, article)).content.decode()
    assert "Assigned to <strong>bob</strong>" in html
    assert "Assign to me" not in html and "Give it back" not in html
    # A page opened before bob took it: refused, saying who has it.
    response = client.post(
        header(project, article), {"assignee": alice.pk, "action": "assign"}, **HTMX
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "is already assigned to bob" in html and "Assigned to <strong>bob</strong>" in html
    response = client.post(header(project, article), {"assignee": alice.pk, "action": "assign"})
    assert response.status_code == 409 and "already assigned to bob" in response.content.decode()
    # Nor assign it to someone else.
    response = client.post(header(project, article), {"assignee": bob.pk, "action": "assign"})
    assert response.status_code == 403
    assert assignees([article]) == [bob]


@pytest.mark.django_db
def test_editor_assigns_anyone_from_the_review_page(client, alice, bob, carol, project, articles):
    article = articles[0]
    client.force_login(carol)
    html = client.get(review(project, article)).content.decode()
    assert '<select id="assign-to" name="assignee">' in html and ">bob (reviewer)<" in html
    response = client.post(
        header(project, article), {"assignee": bob.pk, "action": "assign"}, **HTMX
    )
    assert response.status_code == 200
    assert "Assigned to <strong>bob</strong>" in response.content.decode()
    assert f'<option value="{bob.pk}" selected>' in response.content.decode()
    response = client.post(
        header(project, article), {"assignee": alice.pk, "action": "assign"}, **HTMX
    )
    assert assignees([article]) == [alice]
    response = client.post(header(project, article), {"action": "unassign"}, **HTMX)
    assert "Not assigned" in response.content.decode()
    assert assignees([article]) == [None]


@pytest.mark.django_db
def test_assigning_from_the_review_page_is_scoped(client, alice, victor, dave, project, articles):
    article = articles[0]
    data = {"assignee": victor.pk, "action": "assign"}
    client.force_login(victor)
    assert "Assign to me" not in client.get(review(project, article)).content.decode()
    assert client.post(header(project, article), data).status_code == 403
    client.force_login(dave)
    assert client.post(header(project, article), data).status_code == 404
    other = ArticleFactory()  # another project's, through this project's address
    client.force_login(alice)
    url = reverse("article_assignment", args=[project.slug, other.pk])
    assert client.post(url, {"assignee": alice.pk, "action": "assign"}).status_code == 404
    assert assignees([article, other]) == [None, None]


@pytest.mark.django_db
def test_the_assignment_box_costs_a_reviewer_no_query(client, alice, bob, carol, project):
    article = ArticleFactory(project=project)

    def queries(user) -> int:
        client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(review(project, article)).status_code == 200
        return len(captured)

    unassigned = queries(alice)
    Article.objects.filter(pk=article.pk).update(assigned_to=alice)
    assert queries(alice) == unassigned
    # Someone else's: their name. An editor: the reviewers to choose from.
    Article.objects.filter(pk=article.pk).update(assigned_to=bob)
    assert queries(alice) == unassigned + 1
    assert queries(carol) == unassigned + 1
