"""Every model's admin pages load, and the re-run action queues extraction."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from annotations.models import Claim, EvidenceLink, ExtractionRun, Source, Verdict
from annotations.services.claims import claim_update
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
    "deletedclaim",
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


def _form_data(client, url) -> dict:
    """What the change page at ``url`` would post back unchanged."""
    response = client.get(url)
    form = response.context["adminform"].form
    payload = {name: form[name].value() for name in form.fields}
    for formset in response.context["inline_admin_formsets"]:
        formset = formset.formset
        payload[f"{formset.prefix}-TOTAL_FORMS"] = str(len(formset.forms))
        payload[f"{formset.prefix}-INITIAL_FORMS"] = str(formset.initial_form_count())
        for inline_form in formset.forms:
            for name in inline_form.fields:
                payload[inline_form.add_prefix(name)] = inline_form[name].value()
    return {k: "" if v is None else v for k, v in payload.items()}


@pytest.mark.django_db
def test_an_admin_edit_bumps_the_claims_version(admin_client, data):
    url = reverse("admin:annotations_claim_change", args=[data.pk])
    payload = _form_data(admin_client, url) | {"claimant": "Fire chief Tomas Berg"}
    response = admin_client.post(url, payload)
    assert response.status_code == 302, response.context and response.context["errors"]
    data.refresh_from_db()
    assert (data.claimant, data.version) == ("Fire chief Tomas Berg", 2)


@pytest.mark.django_db
def test_an_admin_edit_over_a_newer_version_is_refused(admin_client, data, alice):
    url = reverse("admin:annotations_claim_change", args=[data.pk])
    payload = _form_data(admin_client, url) | {"claimant": "The mayor"}
    claim_update(claim=data, user=alice, expected_version=1, claimant="The fire chief")
    response = admin_client.post(url, payload)
    assert response.status_code == 200
    assert "changed this claim since you opened it" in response.content.decode()
    data.refresh_from_db()
    assert (data.claimant, data.version) == ("The fire chief", 2)


@pytest.mark.django_db
def test_admin_verdict_and_evidence_edits_are_versioned(admin_client, data):
    for model, field in ((Verdict, "rationale"), (EvidenceLink, "note")):
        obj = model.objects.filter(claim=data).first()
        url = reverse(f"admin:annotations_{model._meta.model_name}_change", args=[obj.pk])
        stale = _form_data(admin_client, url) | {field: "Opened before the change."}
        response = admin_client.post(url, _form_data(admin_client, url) | {field: "Changed."})
        assert response.status_code == 302, response.context and response.context["errors"]
        obj.refresh_from_db()
        assert obj.version == 2
        response = admin_client.post(url, stale)
        assert response.status_code == 200 and "since you opened it" in response.content.decode()
        obj.refresh_from_db()
        assert (getattr(obj, field), obj.version) == ("Changed.", 2)


@pytest.mark.django_db
def test_an_admin_final_verdict_says_who_and_when(admin_client, data, project):
    url = reverse("admin:annotations_claim_change", args=[data.pk])
    label = project.verdict_labels.get(slug="disputed")
    response = admin_client.post(url, _form_data(admin_client, url) | {"final_verdict": label.pk})
    assert response.status_code == 302, response.context and response.context["errors"]
    data.refresh_from_db()
    assert data.final_verdict == label and data.final_verdict_by == admin_client.user
    assert data.final_verdict_at is not None


@pytest.mark.django_db
def test_removing_a_verdict_in_the_admin_changes_its_claim(admin_client, data):
    Claim.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    before = timezone.now()
    verdict = Verdict.objects.get(claim=data)
    url = reverse("admin:annotations_verdict_delete", args=[verdict.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    data.refresh_from_db()
    assert data.updated_at >= before


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


@pytest.mark.django_db
def test_a_verdict_changed_on_its_claims_page_is_a_new_version(admin_client, data):
    url = reverse("admin:annotations_claim_change", args=[data.pk])
    payload = _form_data(admin_client, url) | {"verdicts-0-rationale": "Per the council."}
    response = admin_client.post(url, payload)
    assert response.status_code == 302, response.context and response.context["errors"]
    verdict = Verdict.objects.get(claim=data)
    assert (verdict.rationale, verdict.version) == ("Per the council.", 2)


@pytest.mark.django_db
def test_deleting_claims_or_articles_in_the_admin_remembers_the_claims(admin_client, data):
    from annotations.models import DeletedClaim

    other = EvidenceLink.objects.get(target_claim__isnull=False).target_claim
    url = reverse("admin:annotations_claim_delete", args=[other.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert list(DeletedClaim.objects.values_list("uuid", flat=True)) == [other.uuid]
    article = data.article
    response = admin_client.post(
        reverse("admin:annotations_article_changelist"),
        {"action": "delete_selected", "_selected_action": [article.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Claim.objects.filter(pk=data.pk).exists()
    assert set(DeletedClaim.objects.values_list("uuid", flat=True)) == {other.uuid, data.uuid}
