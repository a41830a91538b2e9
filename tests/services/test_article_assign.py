"""Whose queue an article is in: editors assign anyone, a reviewer only takes
an unassigned article for themselves (or gives back their own)."""

import pytest
from django.core.exceptions import PermissionDenied

from annotations.models import Article, Role
from annotations.services.articles import AssignmentRejected, article_assign
from tests.factories import ArticleFactory, member


@pytest.fixture
def articles(project):
    return ArticleFactory.create_batch(3, project=project)


def assigned(articles):
    return [Article.objects.get(pk=a.pk).assigned_to for a in articles]


@pytest.mark.django_db
def test_editor_assigns_several_articles_then_unassigns_them(articles, alice, carol):
    assert article_assign(articles=articles[:2], assignee=alice, user=carol) == 2
    assert assigned(articles) == [alice, alice, None]
    assert articles[0].assigned_to == alice  # the objects given follow
    # Reassigning to someone else, and to nobody.
    assert article_assign(articles=articles[1:], assignee=carol, user=carol) == 2
    assert assigned(articles) == [alice, carol, carol]
    assert article_assign(articles=articles, assignee=None, user=carol) == 3
    assert assigned(articles) == [None, None, None]


@pytest.mark.django_db
def test_admin_assigns_like_an_editor(project, articles, bob):
    admin = member(project, "ada", Role.ADMIN)
    article_assign(articles=articles, assignee=bob, user=admin)
    assert assigned(articles) == [bob, bob, bob]


@pytest.mark.django_db
def test_reviewer_takes_an_unassigned_article_and_gives_it_back(articles, alice, bob):
    article = articles[0]
    assert article_assign(articles=[article], assignee=alice, user=alice) == 1
    assert assigned([article]) == [alice]
    # Taking it again changes nothing and is no error.
    article_assign(articles=[article], assignee=alice, user=alice)
    # Bob cannot take it from her, nor give it back for her.
    with pytest.raises(AssignmentRejected, match="already assigned to alice"):
        article_assign(articles=[article], assignee=bob, user=bob)
    with pytest.raises(AssignmentRejected, match="already assigned to alice"):
        article_assign(articles=[article], assignee=None, user=bob)
    assert assigned([article]) == [alice]
    article_assign(articles=[article], assignee=None, user=alice)
    assert assigned([article]) == [None]


@pytest.mark.django_db
def test_a_refused_take_changes_none_of_the_articles(articles, alice, bob, carol):
    article_assign(articles=[articles[1]], assignee=bob, user=carol)
    with pytest.raises(AssignmentRejected):
        article_assign(articles=articles, assignee=alice, user=alice)
    assert assigned(articles) == [None, bob, None]


@pytest.mark.django_db
def test_reviewer_cannot_assign_someone_else(articles, alice, bob):
    with pytest.raises(PermissionDenied, match="only editors"):
        article_assign(articles=articles[:1], assignee=bob, user=alice)
    assert assigned(articles[:1]) == [None]


@pytest.mark.django_db
def test_viewers_and_outsiders_cannot_assign(articles, alice, victor, dave):
    for user in (victor, dave):
        with pytest.raises(PermissionDenied):
            article_assign(articles=articles, assignee=user, user=user)
        with pytest.raises(PermissionDenied):
            article_assign(articles=articles, assignee=alice, user=user)
    assert assigned(articles) == [None, None, None]


@pytest.mark.django_db
def test_assignee_must_review_in_the_project(articles, carol, victor, dave):
    for who in (victor, dave):  # a viewer; a member of another project only
        with pytest.raises(AssignmentRejected, match=f"{who.username} is not a reviewer"):
            article_assign(articles=articles, assignee=who, user=carol)
    assert assigned(articles) == [None, None, None]


@pytest.mark.django_db
def test_nothing_or_articles_of_two_projects_are_refused(articles, carol, dave):
    with pytest.raises(AssignmentRejected, match="at least one"):
        article_assign(articles=[], assignee=carol, user=carol)
    foreign = ArticleFactory()
    with pytest.raises(AssignmentRejected, match="different projects"):
        article_assign(articles=[articles[0], foreign], assignee=carol, user=carol)
    assert assigned([articles[0], foreign]) == [None, None]


@pytest.mark.django_db
def test_assignment_runs_a_fixed_number_of_queries(
    project, carol, alice, django_assert_num_queries
):
    many = ArticleFactory.create_batch(20, project=project)
    # the two memberships, the update (in a savepoint)
    with django_assert_num_queries(4):
        article_assign(articles=many, assignee=alice, user=carol)
