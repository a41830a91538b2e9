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


@pytest.fixture
def staff_editor(client, carol):
    """carol, an editor of the desk, with the admin rights load_demo gives editors."""
    from django.contrib.auth.models import Permission

    carol.is_staff = True
    carol.save()
    carol.user_permissions.set(Permission.objects.filter(content_type__app_label="annotations"))
    client.force_login(carol)
    return client


@pytest.mark.django_db
def test_staff_see_only_the_projects_they_edit(staff_editor, data, dave):
    elsewhere = dave.memberships.get().project
    theirs = ClaimFactory(article=ArticleFactory(project=elsewhere, title="Not yours"))
    client = staff_editor

    for model, mine, other in [
        ("article", data.article, theirs.article),
        ("claim", data, theirs),
    ]:
        listing = client.get(reverse(f"admin:annotations_{model}_changelist"))
        shown = set(listing.context["cl"].result_list)
        assert mine in shown and other not in shown, model
        assert "Elsewhere" not in listing.content.decode()  # not even as a filter
        own_page = client.get(reverse(f"admin:annotations_{model}_change", args=[mine.pk]))
        assert own_page.status_code == 200
        their_page = client.get(reverse(f"admin:annotations_{model}_change", args=[other.pk]))
        assert their_page.status_code == 302  # the admin's "does not exist"
        history = reverse(f"admin:annotations_{model}_history", args=[other.pk])
        assert client.get(history).status_code == 404

    # Projects, their members and verdicts are for the project's admins.
    projects = client.get(reverse("admin:annotations_project_changelist"))
    assert list(projects.context["cl"].result_list) == []
    assert client.get(reverse("admin:annotations_project_add")).status_code == 403


@pytest.mark.django_db
def test_staff_cannot_point_at_another_projects_objects(staff_editor, data, dave):
    elsewhere = dave.memberships.get().project
    theirs = ClaimFactory(article=ArticleFactory(project=elsewhere))
    link = data.evidence.get(target_claim__isnull=False)
    url = reverse("admin:annotations_evidencelink_change", args=[link.pk])
    form = staff_editor.get(url).context["adminform"].form
    payload = {name: form[name].value() or "" for name in form.fields}
    payload["target_claim"] = theirs.pk
    response = staff_editor.post(url, payload)
    assert response.status_code == 200
    assert "target_claim" in response.context["adminform"].form.errors
    link.refresh_from_db()
    assert link.target_claim_id != theirs.pk


@pytest.mark.django_db
def test_superusers_see_every_project(admin_client, data, dave):
    elsewhere = dave.memberships.get().project
    theirs = ClaimFactory(article=ArticleFactory(project=elsewhere))
    listing = admin_client.get(reverse("admin:annotations_claim_changelist"))
    assert {data, theirs} <= set(listing.context["cl"].result_list)
