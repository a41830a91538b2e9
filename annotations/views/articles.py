"""Importing articles, and queueing their extraction."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render

from annotations import forms
from annotations.models import Article, Role
from annotations.services.articles import (
    ImportRejected,
    article_import_bulk,
    article_import_file,
    article_import_text,
    article_import_url,
)
from annotations.views.access import get_project_for_user


def article_import(request, slug):
    project, _ = get_project_for_user(request, slug, Role.REVIEWER)
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
    limit = settings.FACTCHECK_MAX_BULK_BYTES if bulk else settings.FACTCHECK_MAX_UPLOAD_BYTES
    if upload.size is not None and upload.size > limit:
        raise ImportRejected(f"{upload.name}: too large (the limit is {limit // 1_000_000} MB)")
    return upload.read()
