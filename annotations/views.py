"""Web pages. Each view reads top to bottom: find what the user may see
(a 404 otherwise), handle the form through a service, render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from annotations import forms
from annotations.filters import ArticleFilter
from annotations.models import Article, ExtractionRun, Membership, Project, Role
from annotations.services.articles import (
    ImportRejected,
    article_import_bulk,
    article_import_file,
    article_import_text,
    article_import_url,
)
from annotations.services.extraction import extraction_enqueue

ARTICLES_PER_PAGE = 25


def _get_project_for_user(request, slug: str, role: str = Role.VIEWER):
    """The project if the user is a member (404 otherwise: we do not even say
    it exists), and their membership. A role below ``role`` is a 403."""
    membership = get_object_or_404(
        Membership.objects.select_related("project"), project__slug=slug, user=request.user
    )
    if not membership.has_role(role):
        raise PermissionDenied(f"This needs the {Role(role).label.lower()} role.")
    return membership.project, membership


@require_GET
def project_list(request):
    projects = (
        Project.objects.for_user(request.user)
        .annotate(article_count=Count("articles", distinct=True))
        .order_by("name")
    )
    return render(request, "annotations/project_list.html", {"projects": projects})


@require_GET
@vary_on_headers("HX-Request")
def project_detail(request, slug):
    project, membership = _get_project_for_user(request, slug)
    outlets = (
        Article.objects.in_project(project)
        .exclude(outlet="")
        .order_by("outlet")
        .values_list("outlet", flat=True)
        .distinct()
    )
    articles = (
        Article.objects.in_project(project).with_claim_counts().order_by("-published_date", "-id")
    )
    article_filter = ArticleFilter(request.GET, queryset=articles, outlets=list(outlets))
    page = Paginator(article_filter.qs, ARTICLES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "project": project,
        "membership": membership,
        "filter": article_filter,
        "page": page,
        "progress": _progress(project),
        "query_string": _query_without_page(request),
    }
    template = "annotations/project_detail.html"
    if request.htmx:
        template += "#article-list"
    return render(request, template, context)


@require_GET
def project_progress(request, slug):
    project, _ = _get_project_for_user(request, slug)
    return render(
        request,
        "annotations/project_detail.html#progress",
        {"project": project, "progress": _progress(project)},
    )


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


def _query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def article_import(request, slug):
    project, _ = _get_project_for_user(request, slug, Role.REVIEWER)
    kind = request.POST.get("kind") or request.GET.get("kind") or "paste"
    if kind not in {"paste", "upload", "url", "bulk"}:
        kind = "paste"
    forms_by_kind = {
        "paste": forms.PasteForm(prefix="paste"),
        "upload": forms.UploadForm(prefix="upload"),
        "url": forms.UrlForm(prefix="url"),
        "bulk": forms.BulkForm(prefix="bulk"),
    }
    bulk_result = None
    if request.method == "POST":
        form_class = type(forms_by_kind[kind])
        form = form_class(request.POST, request.FILES, prefix=kind)
        forms_by_kind[kind] = form
        if form.is_valid():
            try:
                outcome = _run_import(kind, form, project, request.user)
            except ImportRejected as exc:
                form.add_error(None, exc.message)
                if exc.existing is not None:
                    form.existing = exc.existing
            else:
                if isinstance(outcome, Article):
                    messages.success(request, f"Imported “{outcome}”. Claims are being extracted.")
                    return redirect("article_detail", slug=project.slug, pk=outcome.pk)
                bulk_result = outcome
                messages.info(request, f"Bulk import: {outcome.summary}.")
    return render(
        request,
        "annotations/article_import.html",
        {"project": project, "kind": kind, "forms": forms_by_kind, "bulk_result": bulk_result},
        status=200,
    )


def _run_import(kind, form, project, user):
    if kind == "paste":
        return article_import_text(
            project=project, text=form.cleaned_data["text"], user=user, metadata=form.metadata()
        )
    if kind == "upload":
        upload = form.cleaned_data["file"]
        return article_import_file(
            project=project,
            filename=upload.name,
            data=_read_capped(upload),
            user=user,
            metadata=form.metadata(),
        )
    if kind == "url":
        return article_import_url(project=project, url=form.cleaned_data["url"], user=user)
    upload = form.cleaned_data["file"]
    return article_import_bulk(
        project=project, filename=upload.name, data=_read_capped(upload, bulk=True), user=user
    )


def _read_capped(upload, bulk=False) -> bytes:
    from django.conf import settings

    limit = settings.FACTCHECK_MAX_BULK_BYTES if bulk else settings.FACTCHECK_MAX_UPLOAD_BYTES
    if upload.size is not None and upload.size > limit:
        raise ImportRejected(f"{upload.name}: too large (the limit is {limit // 1_000_000} MB)")
    return upload.read()


@require_GET
def article_detail(request, slug, pk):
    project, membership = _get_project_for_user(request, slug)
    article = get_object_or_404(Article.objects.in_project(project), pk=pk)
    claims = article.claims.select_related("final_verdict").order_by("start", "end")
    last_run = article.extraction_runs.order_by("-queued_at", "-id").first()
    return render(
        request,
        "annotations/article_detail.html",
        {
            "project": project,
            "membership": membership,
            "article": article,
            "claims": claims,
            "last_run": last_run,
            "can_review": membership.has_role(Role.REVIEWER),
        },
    )


@require_POST
def article_extract(request, slug, pk):
    project, _ = _get_project_for_user(request, slug, Role.REVIEWER)
    article = get_object_or_404(Article.objects.in_project(project), pk=pk)
    run = extraction_enqueue(article=article, user=request.user)
    if run.state == ExtractionRun.State.QUEUED:
        messages.info(request, "Extraction queued. Reviewed claims are never changed by it.")
    return redirect("article_detail", slug=project.slug, pk=article.pk)
