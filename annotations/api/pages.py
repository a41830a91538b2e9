"""Web pages of the API side: the profile page with personal API tokens, and
export downloads (streamed, or as a background job with its progress)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from rest_framework.exceptions import ValidationError as ApiValidationError

from annotations import exports
from annotations.api.export_views import stream_export
from annotations.models import ApiToken, ExportJob, Membership, Role
from annotations.services.exports import ExportRejected, export_job_create, export_job_file
from annotations.services.tokens import token_create, token_revoke


def _membership(request, slug: str) -> Membership:
    """The user's membership of the project (404 for anyone else)."""
    membership = get_object_or_404(
        Membership.objects.select_related("project"), project__slug=slug, user=request.user
    )
    if not membership.has_role(Role.VIEWER):
        raise Http404
    return membership


def profile(request):
    new_secret = None
    error = ""
    if request.method == "POST":
        try:
            token, new_secret = token_create(user=request.user, name=request.POST.get("name", ""))
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, f"Token “{token.name}” created: copy it now.")
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    return render(
        request,
        "api/profile.html",
        {"tokens": tokens, "new_secret": new_secret, "error": error},
        status=400 if error else 200,
    )


@require_POST
def token_revoke_view(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token_revoke(token=token, user=request.user)
    messages.info(request, f"Token “{token.name}” revoked.")
    return redirect("api_profile")


@require_GET
def export_download(request, slug, fmt):
    membership = _membership(request, slug)
    if fmt not in exports.FORMATS:
        raise Http404
    try:
        return stream_export(request, membership.project, fmt, request.GET)
    except ApiValidationError as exc:
        return HttpResponseBadRequest(f"Invalid filters: {exc.detail}")


@require_POST
def export_job_start(request, slug):
    membership = _membership(request, slug)
    filters = {}
    for name in ("state", "final_verdict", "updated_after"):
        if request.POST.get(name):
            filters[name] = request.POST[name]
    if request.POST.get("bom"):
        filters["bom"] = "1"
    try:
        job = export_job_create(
            project=membership.project,
            user=request.user,
            format=request.POST.get("format", ""),
            filters=filters,
            base_url=request.build_absolute_uri("/"),
        )
    except ExportRejected as exc:
        return HttpResponseBadRequest(str(exc))
    if request.htmx:
        return render(request, "api/export_job.html#job-status", {"job": job})
    return redirect("export_job", uuid=job.uuid)


def _job_context(job: ExportJob) -> dict:
    return {
        "job": job,
        "project": job.project,
        "retention_days": settings.FACTCHECK_EXPORT_RETENTION_DAYS,
    }


def _job_for(request, uuid) -> ExportJob:
    return get_object_or_404(
        ExportJob.objects.select_related("project"),
        uuid=uuid,
        project__memberships__user=request.user,
    )


@require_GET
@vary_on_headers("HX-Request")
def export_job(request, uuid):
    job = _job_for(request, uuid)
    template = "api/export_job.html"
    if request.htmx:
        template += "#job-status"
    return render(request, template, _job_context(job))


@require_GET
def export_job_download(request, uuid):
    job = _job_for(request, uuid)
    if job.state == ExportJob.State.EXPIRED:
        return render(request, "api/export_job.html", _job_context(job), status=410)
    path = export_job_file(job)
    if path is None:
        raise Http404("This export is not ready.")
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=exports.filename(job.project.slug, job.format),
        content_type=exports.FORMATS[job.format].content_type,
    )
