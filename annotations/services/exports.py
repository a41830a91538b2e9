"""Background exports: a job is queued, a worker writes the file a page at a
time (recording its progress), and the user downloads it when it is done.

A job may be delivered twice (the worker acknowledges late): a finished job
is left alone, an interrupted one is written again from the start, to a
temporary file renamed into place only when complete.
"""

import dataclasses
import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from annotations import exports
from annotations.exports.claimreview import reviewed_only
from annotations.exports.records import ExportScope, claims_for_export
from annotations.models import ExportJob, Project, Role
from annotations.services.claims import require_role


class ExportRejected(Exception):
    """An export that cannot be started; ``str()`` is for the user."""


def export_dir() -> Path:
    path = Path(settings.DATA_DIR) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def export_job_create(
    *,
    project: Project,
    user,
    format: str,
    filters: dict | None = None,
    claim_ids: list[int] | None = None,
    base_url: str = "",
) -> ExportJob:
    """Queue an export of the project's claims (optionally filtered with the
    API's claim filters, or limited to ``claim_ids``)."""
    from annotations import tasks

    require_role(project, user, Role.VIEWER)
    if format not in exports.FORMATS:
        raise ExportRejected(f"unknown format {format!r} (one of {', '.join(exports.FORMATS)})")
    stored = {k: str(v) for k, v in (filters or {}).items() if v not in (None, "")}
    if claim_ids is not None:
        stored["claim_ids"] = [int(pk) for pk in claim_ids]
    if base_url:
        stored["base_url"] = base_url
    job = ExportJob.objects.create(
        project=project, requested_by=user, format=format, filters=stored
    )
    transaction.on_commit(lambda: tasks.run_export.delay(job.pk))
    return job


def export_job_run(*, job_id: int) -> ExportJob | None:
    """Write the job's file (what the worker calls)."""
    job = ExportJob.objects.select_related("project").filter(pk=job_id).first()
    if job is None or job.state in (ExportJob.State.DONE, ExportJob.State.FAILED):
        return job
    ExportJob.objects.filter(pk=job.pk).update(state=ExportJob.State.RUNNING, done=0, error="")
    try:
        scope, publisher = _job_scope(job)
        counted = reviewed_only(scope) if job.format == "claimreview" else scope
        total = counted.count()
        ExportJob.objects.filter(pk=job.pk).update(total=total)
        progress = {"done": 0}

        def on_page(n: int) -> None:
            progress["done"] += n
            ExportJob.objects.filter(pk=job.pk).update(done=min(progress["done"], total))

        scope = dataclasses.replace(scope, on_page=on_page)
        name = f"{job.uuid}.{exports.FORMATS[job.format].extension}"
        final = export_dir() / name
        partial = final.with_name(name + ".part")
        with partial.open("wb") as fh:
            for chunk in exports.export_chunks(
                job.format,
                scope,
                publisher,
                bom=job.filters.get("bom") == "1",
                collection_id=f"{publisher.base_url}/exports/{job.uuid}/download/",
                label=f"Claims of {job.project.name}",
            ):
                fh.write(chunk)
        partial.replace(final)
    except Exception as exc:
        logging.getLogger(__name__).exception("export job %s failed", job.pk)
        ExportJob.objects.filter(pk=job.pk).update(
            state=ExportJob.State.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
    else:
        ExportJob.objects.filter(pk=job.pk).update(
            state=ExportJob.State.DONE,
            done=total,
            file_path=name,
            finished_at=timezone.now(),
        )
    job.refresh_from_db()
    return job


def export_job_file(job: ExportJob) -> Path | None:
    """The finished file of a job, if it is still there."""
    if job.state != ExportJob.State.DONE or not job.file_path:
        return None
    path = export_dir() / Path(job.file_path).name
    return path if path.is_file() else None


def _job_scope(job: ExportJob) -> tuple[ExportScope, "exports.Publisher"]:
    from annotations.api.filters import ClaimFilter  # the API's filters, applied the same way

    filters = dict(job.filters)
    claim_ids = filters.pop("claim_ids", None)
    base_url = filters.pop("base_url", "")
    filters.pop("bom", None)
    claims = claims_for_export(project=job.project, ids=claim_ids)
    if filters:
        claim_filter = ClaimFilter(data=filters, queryset=claims)
        if not claim_filter.is_valid():
            raise ExportRejected(f"invalid filters: {claim_filter.errors.as_text()}")
        claims = claim_filter.qs
    scope = ExportScope(claims=claims)
    return scope, exports.publisher_for(project=job.project, base_url=base_url)
