"""The project list, the project dashboard and the article queue, where
editors assign articles to reviewers."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, F
from django.db.models.functions import TruncDate
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from annotations import forms
from annotations.filters import ArticleFilter
from annotations.models import Article, Claim, ClaimState, ExportJob, Project, Role
from annotations.views.access import get_project_for_user
from annotations.views.assignment import assign_from_form, assignable_members

ARTICLES_PER_PAGE = 25
CHART_DAYS = 14
RECENT_ACTIVITY = 10
MY_QUEUE = 8
RECENT_EXPORTS = 5
BAR_MAX = 160  # the longest bar of the verdict chart, in SVG units
LIST_TEMPLATE = "annotations/article_list.html"


@require_GET
def project_list(request):
    projects = (
        Project.objects.for_user(request.user)
        .annotate(article_count=Count("articles", distinct=True))
        .order_by("name")
    )
    return render(request, "annotations/project_list.html", {"projects": projects})


@require_GET
def project_detail(request, slug):
    """The dashboard: counts, extraction progress, charts, recent activity
    and the reviewer's own queue."""
    project, membership = get_project_for_user(request, slug)
    claims = Claim.objects.filter(article__project=project).order_by()
    by_state = dict(claims.values_list("state").annotate(n=Count("id")))
    by_verdict = dict(
        claims.filter(final_verdict__isnull=False)
        .values_list("final_verdict")
        .annotate(n=Count("id"))
    )
    labels = list(project.verdict_labels.all())
    my_queue = (
        Article.objects.in_project(project)
        .filter(assigned_to=request.user)
        .with_open_candidates()
        .with_claim_counts()
        .with_open_score()
        .order_by(F("top_open_score").desc(nulls_last=True), "-id")[:MY_QUEUE]
    )
    context = {
        "project": project,
        "membership": membership,
        "progress": _progress(project),
        "states": [(s.value, s.label, by_state.get(s.value, 0)) for s in ClaimState],
        "claim_total": sum(by_state.values()),
        "verdict_chart": _verdict_chart(labels, by_verdict),
        "day_chart": _day_chart(project),
        "recent": _recent_activity(project),
        "my_queue": my_queue,
        # Your background exports, so that leaving a job's page loses nothing.
        "export_jobs": ExportJob.objects.filter(project=project, requested_by=request.user)
        .select_related("project")
        .order_by("-created_at")[:RECENT_EXPORTS],
        "retention_days": settings.FACTCHECK_EXPORT_RETENTION_DAYS,
    }
    return render(request, "annotations/project_dashboard.html", context)


@require_GET
def project_progress(request, slug):
    project, _ = get_project_for_user(request, slug)
    return render(
        request,
        "annotations/project_dashboard.html#progress",
        {"project": project, "progress": _progress(project)},
    )


@require_GET
@vary_on_headers("HX-Request")
def article_list(request, slug):
    """The article queue: filters, search, sort, pagination."""
    project, membership = get_project_for_user(request, slug)
    context = article_list_context(request, project, membership)
    template = LIST_TEMPLATE
    if request.htmx:
        template += "#article-list"
    return render(request, template, context)


@require_POST
@vary_on_headers("HX-Request")
def article_list_assign(request, slug):
    """Assign the articles checked in the queue to a reviewer, or to nobody.
    The form posts with the queue's filters in its query string, so the
    answer is the same page of the queue, refreshed."""
    project, membership = get_project_for_user(request, slug, Role.EDITOR)
    form = forms.ArticleAssignForm(request.POST, project=project)
    status, message = assign_from_form(request, form)
    if status == 200 and not request.htmx:
        messages.success(request, message)
        url = reverse("article_list", args=[project.slug])
        query = request.GET.urlencode()
        return redirect(f"{url}?{query}" if query else url)
    context = article_list_context(request, project, membership)
    context.update(assign_message=message, assign_error=status != 200)
    if status != 200:  # the same boxes checked, the same reviewer chosen
        context.update(
            assign_checked={int(v) for v in request.POST.getlist("article") if v.isdigit()},
            assign_to=request.POST.get("assignee", ""),
        )
    template = f"{LIST_TEMPLATE}#article-list" if request.htmx else LIST_TEMPLATE
    return render(request, template, context, status=status)


def article_list_context(request, project, membership) -> dict:
    """One page of the queue, filtered as ``request.GET`` says; for editors,
    with the reviewers the checked articles can be assigned to."""
    outlets = (
        Article.objects.in_project(project)
        .exclude(outlet="")
        .order_by("outlet")
        .values_list("outlet", flat=True)
        .distinct()
    )
    articles = (
        Article.objects.in_project(project)
        .select_related("assigned_to")
        .with_claim_counts()
        .with_open_score()
    )
    article_filter = ArticleFilter(
        request.GET, queryset=articles, outlets=list(outlets), user=request.user
    )
    page = Paginator(article_filter.qs, ARTICLES_PER_PAGE).get_page(request.GET.get("page"))
    can_assign = membership.has_role(Role.EDITOR)
    return {
        "project": project,
        "membership": membership,
        "filter": article_filter,
        "page": page,
        "query_string": _query_without_page(request),
        "can_assign": can_assign,
        "assign_members": assignable_members(project) if can_assign else [],
        # The page the assignment form answers with: this one.
        "assign_query": request.GET.urlencode(),
    }


def _progress(project) -> dict:
    by_state = dict(
        Article.objects.in_project(project)
        .order_by()
        .values_list("extraction_state")
        .annotate(n=Count("id"))
    )
    total = sum(by_state.values())
    finished = by_state.get("done", 0) + by_state.get("failed", 0)
    return {
        "total": total,
        "finished": finished,
        "failed": by_state.get("failed", 0),
        "active": by_state.get("queued", 0) + by_state.get("running", 0),
        "percent": round(100 * finished / total) if total else 100,
    }


def _verdict_chart(labels, by_verdict) -> dict:
    """Horizontal bars, one per verdict label, widths in percent of the largest."""
    top = max(by_verdict.values(), default=0) or 1
    bars = [
        {
            "slug": label.slug,
            "name": label.name,
            "count": by_verdict.get(label.pk, 0),
            "width": round(BAR_MAX * by_verdict.get(label.pk, 0) / top, 1),
            "y": index * 28,
        }
        for index, label in enumerate(labels)
    ]
    for bar in bars:
        bar["count_x"] = 100 + bar["width"] + 6
    return {"bars": bars, "height": max(len(bars) * 28, 28), "total": sum(by_verdict.values())}


def _day_chart(project) -> dict:
    """Claims a person changed, per day, over the last two weeks (from the
    claims' history: the worker's own writes carry no user)."""
    today = timezone.localdate()
    first = today - datetime.timedelta(days=CHART_DAYS - 1)
    since = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))
    per_day = dict(
        Claim.history.filter(
            article__project=project, history_user__isnull=False, history_date__gte=since
        )
        .annotate(day=TruncDate("history_date"))
        .order_by()
        .values_list("day")
        .annotate(n=Count("id", distinct=True))
    )
    days = [first + datetime.timedelta(days=i) for i in range(CHART_DAYS)]
    top = max(per_day.values(), default=0) or 1
    bars = []
    for index, day in enumerate(days):
        count = per_day.get(day, 0)
        height = round(100 * count / top, 1)
        bars.append(
            {"day": day, "count": count, "x": index * 20, "height": height, "y": 100 - height}
        )
    return {"bars": bars, "width": CHART_DAYS * 20, "total": sum(per_day.values())}


def _recent_activity(project):
    return list(
        Claim.history.filter(article__project=project, history_user__isnull=False)
        .select_related("history_user", "article", "final_verdict")
        .order_by("-history_date")[:RECENT_ACTIVITY]
    )


def _query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
