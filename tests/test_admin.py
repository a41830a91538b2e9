"""Every model's admin pages load, and the re-run action queues extraction."""

import pytest
from django.urls import reverse

from annotations.models import EvidenceLink, ExtractionRun, Source, Verdict
from tests.factories import ArticleFactory, ClaimFactory, UserFactory


@pytest.fixture
def admin_client(client, project):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    client.user = admin
    return client


@pytest.fixture
def data(project):
    claim = ClaimFactory(article=ArticleFactory(project=project))
    other = ClaimFactory(article=ArticleFactory(project=project))
    reviewer = UserFactory(username="rev")
    Verdict.objects.create(
        claim=claim, reviewer=reviewer, label=project.verdict_labels.get(slug="supported")
    )
    source = Source.objects.create(project=project, url="https://example.org/report")
    EvidenceLink.objects.create(claim=claim, stance="supports", source=source)
    EvidenceLink.objects.create(claim=claim, stance="disputes", target_claim=other)
    ExtractionRun.objects.create(article=claim.article)
    return claim


MODELS = [
    "project",
    "membership",
    "verdictlabel",
    "article",
    "claim",
    "verdict",
    "source",
    "evidencelink",
    "claimmatch",
    "extractionrun",
]


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS)
def test_changelist_and_search_load(admin_client, data, model):
    url = reverse(f"admin:annotations_{model}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "troops"}).status_code == 200


@pytest.mark.django_db
def test_change_pages_and_history_load(admin_client, data):
    for model, obj in [
        ("article", data.article),
        ("claim", data),
        ("verdict", data.verdicts.get()),
        ("evidencelink", data.evidence.first()),
        ("project", data.article.project),
    ]:
        url = reverse(f"admin:annotations_{model}_change", args=[obj.pk])
        assert admin_client.get(url).status_code == 200, model
        history = reverse(f"admin:annotations_{model}_history", args=[obj.pk])
        assert admin_client.get(history).status_code == 200, model


@pytest.mark.django_db
def test_rerun_extraction_action(
    admin_client, project, sent_tasks, django_capture_on_commit_callbacks
):
    articles = ArticleFactory.create_batch(2, project=project)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:annotations_article_changelist"),
            {"action": "rerun_extraction", "_selected_action": [a.pk for a in articles]},
        )
    assert response.status_code == 302
    assert ExtractionRun.objects.filter(state="queued").count() == 2
    assert len(sent_tasks) == 2


@pytest.mark.django_db
def test_an_admin_edit_bumps_the_claims_version(admin_client, data):
    url = reverse("admin:annotations_claim_change", args=[data.pk])
    form = admin_client.get(url).context["adminform"].form
    payload = {name: form[name].value() or "" for name in form.fields}
    payload.update(
        {
            "claimant": "Fire chief Tomas Berg",
            "verdicts-TOTAL_FORMS": "1",
            "verdicts-INITIAL_FORMS": "1",
            "evidence-TOTAL_FORMS": "2",
            "evidence-INITIAL_FORMS": "2",
        }
    )
    # Keep the inline rows as they are.
    response = admin_client.get(url)
    for formset in response.context["inline_admin_formsets"]:
        for inline_form in formset.formset.forms:
            for name in inline_form.fields:
                value = inline_form[name].value()
                payload[inline_form.add_prefix(name)] = "" if value is None else value
    response = admin_client.post(url, payload)
    assert response.status_code == 302, response.context and response.context["errors"]
    data.refresh_from_db()
    assert (data.claimant, data.version) == ("Fire chief Tomas Berg", 2)
