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
