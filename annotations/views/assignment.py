"""Whose queue an article is in: editors assign articles from the queue (a
few at once) or from the review page; a reviewer takes an unassigned article
from its review page, or gives back one of theirs. The service
``article_assign`` decides who may do what."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from annotations import forms
from annotations.models import Membership, Role
from annotations.services.articles import AssignmentRejected, article_assign
from annotations.views.access import get_article, get_project_for_user
from annotations.views.rendering import REVIEW_TEMPLATE, render_partials
from annotations.views.review import article_context


@require_POST
def article_assignment(request, slug, pk):
    """The review page's "Assign to me", "Give back", or an editor's choice."""
    project, membership = get_project_for_user(request, slug, Role.REVIEWER)
    article = get_article(project, pk)
    data = request.POST.copy()
    data.setlist("article", [str(article.pk)])
    status, message = assign_from_form(request, forms.ArticleAssignForm(data, project=project))
    if status == 200 and not request.htmx:
        messages.success(request, message)
        return redirect("article_detail", slug=project.slug, pk=article.pk)
    article.refresh_from_db(fields=["assigned_to"])  # who has it now
    extra = {"assign_message": message, "assign_error": status != 200}
    if request.htmx:
        context = {"project": project, "membership": membership, "article": article, **extra}
        return render_partials(request, ["article-assignment"], context, status=status)
    context = {**article_context(request, project, membership, article), **extra}
    return render(request, REVIEW_TEMPLATE, context, status=status)


def assign_from_form(request, form) -> tuple[int, str]:
    """(status, message) of the assignment ``form`` asks for."""
    if not form.is_valid():
        return 422, "Not assigned: " + " ".join(
            error for errors in form.errors.values() for error in errors
        )
    articles = form.cleaned_data["article"]
    assignee = form.new_assignee()
    try:
        count = article_assign(articles=articles, assignee=assignee, user=request.user)
    except AssignmentRejected as exc:
        return 409, f"Not assigned: {exc}"
    what = f"{count} articles" if count != 1 else f"“{articles[0]}”"
    if assignee is None:
        return 200, f"{what} unassigned."
    who = "you" if assignee.pk == request.user.pk else assignee.get_username()
    return 200, f"{what} assigned to {who}."


def assignable_members(project) -> list[Membership]:
    """Who articles can be assigned to: reviewers and up, by name."""
    return list(
        Membership.objects.filter(project=project, role__in=forms.ASSIGNABLE_ROLES)
        .select_related("user")
        .order_by("user__username")
    )


def assignment_context(membership, article, user) -> dict:
    """What the review page's assignment box shows and offers: one query for
    an editor (the reviewers to choose from), none for a reviewer of an
    unassigned article or of their own."""
    editor = membership.has_role(Role.EDITOR)
    members = assignable_members(membership.project) if editor else []
    assignee = None
    if article.assigned_to_id == user.pk:
        assignee = user
    elif article.assigned_to_id:
        known = (m.user for m in members if m.user_id == article.assigned_to_id)
        assignee = next(known, None) or article.assigned_to
    reviewer = membership.has_role(Role.REVIEWER)
    return {
        "assignee": assignee,
        "mine": assignee is not None and assignee.pk == user.pk,
        "members": members,
        "can_assign_any": editor,
        "can_take": reviewer and not editor and article.assigned_to_id is None,
        "can_give_back": reviewer and not editor and article.assigned_to_id == user.pk,
    }
