from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotations.models import ImportSource, Project
from annotations.services.articles import (
    BULK_EXTENSIONS,
    BulkResult,
    ImportRejected,
    RowOutcome,
    article_import_bulk,
    article_import_file,
    bulk_row_count,
)
from annotations.services.projects import project_create


class Command(BaseCommand):
    help = (
        "Import articles into a project: .txt (plain or scraped page text), .html, .md, "
        "or bulk .jsonl/.csv files with one article per row."
    )

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, help="project slug (created if missing)")
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, project, files, no_progress, **options):
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise CommandError(f"no such file: {', '.join(missing)}")
        target = Project.objects.filter(slug=project).first()
        if target is None:
            try:
                target = project_create(slug=project)
            except Exception as exc:  # a bad slug is a ValidationError
                raise CommandError(f"cannot create project {project!r}: {exc}") from None
            self.stdout.write(f"Created project {project!r}.")

        total = BulkResult()
        bar = tqdm(total=len(files), unit="file", disable=no_progress)
        for path in files:
            data = path.read_bytes()
            if path.suffix.lower() in BULK_EXTENSIONS:
                bar.total += bulk_row_count(data, path.name)
                bar.refresh()
                self._import_bulk(target, path, data, total, bar)
            else:
                self._import_file(target, path, data, total)
            bar.update(1)
        bar.close()

        for outcome in total.duplicates:
            self.stdout.write(f"duplicate  {outcome.message}")
        for outcome in total.rejected:
            self.stderr.write(f"rejected   {outcome.message}")
        self.stdout.write(self.style.SUCCESS(f"{total.summary}."))

    def _import_file(self, project, path, data, total):
        try:
            article = article_import_file(
                project=project,
                filename=path.name,
                data=data,
                import_source=ImportSource.COMMAND,
            )
        except ImportRejected as exc:
            bucket = total.duplicates if exc.is_duplicate else total.rejected
            message = exc.message if exc.message.startswith(path.name) else f"{path}: {exc}"
            bucket.append(RowOutcome(0, message, exc.existing))
        else:
            total.imported.append(RowOutcome(0, str(path), article))

    def _import_bulk(self, project, path, data, total, bar):
        try:
            result = article_import_bulk(
                project=project,
                filename=path.name,
                data=data,
                import_source=ImportSource.COMMAND,
                on_row=lambda line: bar.update(1),
            )
        except ImportRejected as exc:
            total.rejected.append(RowOutcome(0, f"{path}: {exc}"))
            return
        total.imported += result.imported
        for bucket, rows in (
            (total.duplicates, result.duplicates),
            (total.rejected, result.rejected),
        ):
            bucket += [RowOutcome(r.line, f"{path}:{r.line}: {r.message}", r.article) for r in rows]
