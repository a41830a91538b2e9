"""Reviewer agreement: how far the reviewers' verdicts agree (Krippendorff's
alpha, Cohen's kappa per pair) and the claims they disagree on, which an
editor settles with a final verdict on the review page.

Reads a fixed number of queries whatever the project's size: the verdicts of
claims judged twice or more as bare ids, the names of their reviewers and
labels, and one page of disagreements with their verdicts.
"""

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import render
from django.views.decorators.http import require_GET

from annotations.agreement import RELIABLE, TENTATIVE
from annotations.models import Claim, Verdict
from annotations.views.access import get_project_for_user

DISAGREEMENTS_PER_PAGE = 25


@require_GET
def project_agreement(request, slug):
    project, membership = get_project_for_user(request, slug)
    result, pairs = Verdict.objects.in_project(project).reviewer_agreement()
    show_all = request.GET.get("show") == "all"
    page = Paginator(
        _disagreements(project, undecided_only=not show_all), DISAGREEMENTS_PER_PAGE
    ).get_page(request.GET.get("page"))
    context = {
        "project": project,
        "membership": membership,
        "result": result,
        "pairs": pairs,
        "page": page,
        "show_all": show_all,
        "reliable": RELIABLE,
        "tentative": TENTATIVE,
    }
    return render(request, "annotations/agreement.html", context)


def _disagreements(project, *, undecided_only: bool):
    """Claims whose reviewers gave different verdicts, in reading order."""
    claims = (
        Claim.objects.filter(article__project=project)
        .disagreed()
        .select_related("article", "final_verdict")
        .prefetch_related(
            Prefetch(
                "verdicts",
                Verdict.objects.select_related("reviewer", "label").order_by(
                    "label__position", "reviewer__username"
                ),
            )
        )
        .order_by("article_id", "start", "pk")
    )
    if undecided_only:
        claims = claims.filter(final_verdict__isnull=True)
    return claims
