"""Background exports: a job is queued, a worker writes the file a page at a
time (recording its progress), and the user downloads it when it is done.

A job may be delivered twice (the worker acknowledges late): a finished job
is left alone, an interrupted one is written again from the start, to a
temporary file renamed into place only when complete.
"""

import dataclasses
import logging
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from annotations import exports
from annotations.exports.claimreview import reviewed_only
from annotations.exports.records import ExportScope, claims_for_export, watermark
from annotations.models import ExportJob, Project, Role
from annotations.services.claims import require_role

logger = logging.getLogger(__name__)


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
    # Read before the first page: what changes during the run is in the next one.
    ExportJob.objects.filter(pk=job.pk).update(
        state=ExportJob.State.RUNNING, done=0, error="", watermark=watermark(timezone.now())
    )
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
                bom=exports.wants_bom(job.filters.get("bom")),
                collection_id=f"{publisher.base_url}/exports/{job.uuid}/download/",
                label=f"Claims of {job.project.name}",
            ):
                fh.write(chunk)
        partial.replace(final)
    except Exception as exc:
        logger.exception("export job %s failed", job.pk)
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
    try:  # housekeeping: a failure here must not fail the export
        export_jobs_expire()
    except Exception:
        logger.exception("deleting expired export files failed")
    return job


def export_jobs_expire(*, now: datetime | None = None) -> int:
    """Delete the files of exports finished more than
    ``FACTCHECK_EXPORT_RETENTION_DAYS`` ago; their jobs stay, marked expired,
    so a download link answers "expired" instead of "not found". Files no job
    still owns (a deleted project's, a crashed worker's ``.part``) go too
    once that old. Returns the number of jobs expired."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.FACTCHECK_EXPORT_RETENTION_DAYS)
    old = ExportJob.objects.filter(state=ExportJob.State.DONE, finished_at__lt=cutoff)
    folder = export_dir()
    expired = 0
    for pk, file_path in old.values_list("pk", "file_path").iterator():
        if file_path:
            (folder / Path(file_path).name).unlink(missing_ok=True)
        expired += ExportJob.objects.filter(pk=pk, state=ExportJob.State.DONE).update(
            state=ExportJob.State.EXPIRED, file_path=""
        )
    kept = set(
        ExportJob.objects.filter(state=ExportJob.State.DONE).values_list("file_path", flat=True)
    )
    for path in folder.iterdir():
        if path.is_file() and path.name not in kept and path.stat().st_mtime < cutoff.timestamp():
            path.unlink(missing_ok=True)
    if expired:
        logger.info("expired %d export(s) finished before %s", expired, cutoff.isoformat())
    return expired


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
