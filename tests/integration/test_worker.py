import pytest

from annotations.models import ExtractionRun
from annotations.services.articles import article_import_text
from tests.factories import ProjectFactory
from tests.integration.worker import purge_broker, running_worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TEXT = (
    "The Biden administration said on Thursday that some 8,000 North Korean soldiers "
    "are now in Russia's Kursk region.\n\n"
    "President Vladimir Putin warned on Sept. 12 that Russia would be at war with NATO."
)


def test_import_enqueues_extraction_that_a_real_worker_runs():
    purge_broker()
    project = ProjectFactory(slug="worker-test")
    article = article_import_text(project=project, text=TEXT)  # commits, then enqueues
    run = article.extraction_runs.get()
    assert run.state == ExtractionRun.State.QUEUED

    with running_worker():
        wait_for(
            lambda: ExtractionRun.objects.filter(pk=run.pk, state__in=["done", "failed"]).exists()
        )

    run.refresh_from_db()
    assert run.state == ExtractionRun.State.DONE, run.error
    assert run.attempts == 1
    article.refresh_from_db()
    assert article.extraction_state == "done"
    assert article.claims.filter(quote__contains="8,000 North Korean soldiers").exists()


def _long_article_text(sentences: int) -> str:
    facts = [
        "Officials said {n} soldiers crossed the border on Monday.",
        "The ministry reported that exports rose by {n} percent last year.",
        "It rained.",
        "According to the agency, {n} homes lost power during the storm.",
    ]
    return "\n\n".join(facts[i % 4].format(n=1000 + i) for i in range(sentences))


def test_worker_killed_mid_task_leaves_exactly_one_set_of_candidates():
    import os
    import signal

    from annotations.models import Claim

    purge_broker()
    project = ProjectFactory(slug="kill-test")
    article = article_import_text(project=project, text=_long_article_text(6000))
    run = article.extraction_runs.get()

    with running_worker() as worker:
        wait_for(lambda: ExtractionRun.objects.filter(pk=run.pk, state="running").exists())
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its pool, mid-task
        worker.wait()
    run.refresh_from_db()
    assert run.state == ExtractionRun.State.RUNNING

    with running_worker():
        wait_for(
            lambda: ExtractionRun.objects.filter(pk=run.pk, state__in=["done", "failed"]).exists(),
            timeout=120,
        )
    run.refresh_from_db()
    assert run.state == ExtractionRun.State.DONE, run.error
    assert run.attempts == 2
    claims = Claim.objects.filter(article=article)
    spans = list(claims.values_list("start", "end"))
    assert len(spans) == len(set(spans)) == run.candidates_created + run.candidates_kept
    assert len(spans) > 1000
