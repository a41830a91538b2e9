import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotations.models import Article, ExtractionRun, ExtractionState, Project
from annotations.services.extraction import extraction_enqueue, extraction_run_inline


class Command(BaseCommand):
    help = (
        "(Re-)extract candidate claims for a project's articles. Reviewed claims "
        "(accepted, dismissed, manual, with verdicts or evidence) are never changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, help="project slug")
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--all", action="store_true", help="every article")
        which.add_argument(
            "--pending",
            action="store_true",
            help="articles never extracted or whose last run failed (the default)",
        )
        parser.add_argument(
            "--inline", action="store_true", help="do the work in this process, not the worker"
        )
        parser.add_argument(
            "--no-wait", action="store_true", help="queue the runs and return at once"
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, project, inline, no_wait, no_progress, **options):
        target = Project.objects.filter(slug=project).first()
        if target is None:
            raise CommandError(f"no project with the slug {project!r}")
        articles = Article.objects.in_project(target).order_by("pk")
        if not options["all"]:
            articles = articles.filter(
                extraction_state__in=[ExtractionState.PENDING, ExtractionState.FAILED]
            )
        articles = list(articles.only("pk", "title"))
        if not articles:
            self.stdout.write("Nothing to extract.")
            return

        bar = tqdm(total=len(articles), unit="article", disable=no_progress)
        if inline:
            runs = []
            for article in articles:
                runs.append(extraction_run_inline(article=article))
                bar.update(1)
        else:
            runs = [extraction_enqueue(article=article) for article in articles]
            if no_wait:
                bar.close()
                self.stdout.write(f"Queued {len(runs)} extraction runs.")
                return
            self._wait(runs, bar)
        bar.close()
        self._summary(runs)

    def _wait(self, runs, bar):
        """Follow the worker's progress; Ctrl-C stops waiting, not the runs."""
        pks = [run.pk for run in runs]
        finished = 0
        try:
            while finished < len(pks):
                time.sleep(0.5)
                now = ExtractionRun.objects.filter(
                    pk__in=pks, state__in=[ExtractionRun.State.DONE, ExtractionRun.State.FAILED]
                ).count()
                bar.update(now - finished)
                finished = now
        except KeyboardInterrupt:
            self.stdout.write("Stopped waiting; the remaining runs stay queued for the worker.")

    def _summary(self, runs):
        runs = ExtractionRun.objects.filter(pk__in=[r.pk for r in runs]).select_related("article")
        done = [r for r in runs if r.state == ExtractionRun.State.DONE]
        failed = [r for r in runs if r.state == ExtractionRun.State.FAILED]
        created = sum(r.candidates_created for r in done)
        for run in failed:
            self.stderr.write(f"failed: article {run.article_id} ({run.article}): {run.error}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(done)} extracted, {len(failed)} failed, {created} new candidates."
            )
        )
