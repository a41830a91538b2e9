"""Export a project's claims to a file (or standard output), streamed."""

from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from annotations import exports
from annotations.exports.records import ExportScope, claims_for_export, ts, watermark
from annotations.models import Project


class Command(BaseCommand):
    help = (
        "Export the claims of a project as jsonl, json, csv, claimreview or webannotation. "
        "The watermark printed at the end is the --updated-after of the next incremental export."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", required=True, choices=list(exports.FORMATS))
        parser.add_argument("--project", required=True, help="Project slug.")
        parser.add_argument(
            "--updated-after",
            help="Only claims that changed after this time (ISO 8601, e.g. 2026-03-04T10:00Z).",
        )
        parser.add_argument("-o", "--output", help="File to write (default: standard output).")
        parser.add_argument("--bom", action="store_true", help="CSV: start with a UTF-8 BOM.")
        parser.add_argument(
            "--base-url",
            default="",
            help="Absolute URL of this app, for links in ClaimReview and Web Annotation "
            "(default: FACTCHECK_PUBLIC_URL or http://localhost:8000).",
        )

    def handle(self, *args, **options):
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"no project {options['project']!r}")
        updated_after = _parse_time(options["updated_after"]) if options["updated_after"] else None
        started = timezone.now()
        scope = ExportScope(claims=claims_for_export(project=project), updated_after=updated_after)
        publisher = exports.publisher_for(project=project, base_url=options["base_url"])
        chunks = exports.export_chunks(
            options["format"],
            scope,
            publisher,
            bom=options["bom"],
            collection_id=f"{publisher.base_url}/api/v1/projects/{project.slug}/annotations/",
            label=f"Claims of {project.name}",
        )
        if options["output"]:
            with open(options["output"], "wb") as fh:
                for chunk in chunks:
                    fh.write(chunk)
            self.stderr.write(f"Wrote {options['output']}.")
        else:
            for chunk in chunks:
                self.stdout.write(chunk.decode("utf-8"), ending="")
        self.stderr.write(f"Watermark for the next incremental export: {ts(watermark(started))}")


def _parse_time(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(f"--updated-after: {value!r} is not an ISO 8601 time") from None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment
