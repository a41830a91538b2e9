"""Finding what the user may see. Anything outside the user's projects is a
404 (we do not even say it exists); a role too low for the action is a 403."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from annotations.models import Article, Claim, Membership, Role


def get_project_for_user(request, slug: str, role: str = Role.VIEWER):
    """The project if the user is a member, and their membership."""
    membership = get_object_or_404(
        Membership.objects.select_related("project"), project__slug=slug, user=request.user
    )
    if not membership.has_role(role):
        raise PermissionDenied(f"This needs the {Role(role).label.lower()} role.")
    return membership.project, membership


def get_article(project, pk: int) -> Article:
    article = get_object_or_404(Article.objects.in_project(project), pk=pk)
    article.project = project  # spare the services a query
    return article


def get_claim(project, pk: int) -> Claim:
    claim = get_object_or_404(
        Claim.objects.select_related("article").filter(article__project=project), pk=pk
    )
    claim.article.project = project
    return claim
