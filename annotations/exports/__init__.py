"""Exports of labeled claims: streaming generators over querysets, one per
format, shared by the API, the web pages, the admin, the command and the
background jobs."""

from collections.abc import Iterator
from dataclasses import dataclass

from annotations.exports import claimreview, formats, webannotation
from annotations.exports.claimreview import Publisher
from annotations.exports.records import ExportScope


@dataclass(frozen=True)
class Format:
    name: str
    label: str
    content_type: str
    extension: str


FORMATS = {
    f.name: f
    for f in (
        Format("jsonl", "JSON Lines", "application/x-ndjson; charset=utf-8", "jsonl"),
        Format("json", "JSON", "application/json; charset=utf-8", "json"),
        Format("csv", "CSV", "text/csv; charset=utf-8", "csv"),
        Format("claimreview", "ClaimReview JSON-LD", "application/ld+json; charset=utf-8", "json"),
        Format("webannotation", "Web Annotation JSON-LD", webannotation.MEDIA_TYPE, "jsonld"),
    )
}


def export_chunks(
    name: str,
    scope: ExportScope,
    publisher: Publisher,
    *,
    bom: bool = False,
    collection_id: str = "",
    label: str = "",
) -> Iterator[bytes]:
    """An export in ``name`` format, in chunks of UTF-8."""
    if name == "jsonl":
        return formats.jsonl(scope)
    if name == "json":
        return formats.json_array(scope)
    if name == "csv":
        return formats.csv_rows(scope, bom=bom)
    if name == "claimreview":
        return claimreview.claimreview(scope, publisher)
    if name == "webannotation":
        return webannotation.collection(
            scope,
            publisher,
            collection_id=collection_id or f"{publisher.base_url}/exports/annotations",
            label=label or "Claims",
        )
    raise ValueError(f"unknown export format {name!r} (one of {', '.join(FORMATS)})")


def wants_bom(value) -> bool:
    """Whether a ``bom`` parameter (of a request, or kept in a job's
    filters) asks for a UTF-8 BOM before a CSV: a spreadsheet then reads it
    as UTF-8."""
    return str(value).lower() in ("1", "true", "yes", "on")


def filename(project_slug: str, name: str) -> str:
    return f"{project_slug}-claims.{FORMATS[name].extension}"


def publisher_for(*, project=None, request=None, base_url: str = "") -> Publisher:
    """Who publishes, and the absolute base of this app's URLs: given, or the
    request's, or ``FACTCHECK_PUBLIC_URL`` (for commands and jobs)."""
    from django.conf import settings

    if not base_url and request is not None:
        base_url = request.build_absolute_uri("/")
    if not base_url:
        base_url = getattr(settings, "FACTCHECK_PUBLIC_URL", "") or "http://localhost:8000"
    name = getattr(settings, "FACTCHECK_ORGANIZATION_NAME", "") or (
        project.name if project is not None else "factcheck"
    )
    return Publisher(base_url=base_url.rstrip("/"), name=name)
