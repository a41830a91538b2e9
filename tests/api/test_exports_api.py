"""Export endpoints, background export jobs, the export pages and the admin action."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from annotations.models import ExportJob
from annotations.services.exports import export_job_run
from tests import factories
from tests.api.conftest import login

pytestmark = pytest.mark.django_db


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("jsonl", "application/x-ndjson"),
        ("json", "application/json"),
        ("csv", "text/csv"),
        ("claimreview", "application/ld+json"),
        ("webannotation", "application/ld+json"),
    ],
)
def test_export_endpoint_streams_every_format(api, victor, reviewed_claim, fmt, content_type):
    login(api, victor)
    response = api.get(f"/api/v1/projects/desk/export/{fmt}/")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith(content_type)
    assert "attachment" in response["Content-Disposition"]
    assert response["X-Export-Watermark"].endswith("Z")
    body = _body(response)
    assert reviewed_claim.quote.encode() in body


def test_export_filters_and_csv_bom(api, alice, reviewed_claim, project):
    factories.ClaimFactory(article=factories.ArticleFactory(project=project))
    login(api, alice)
    lines = _body(api.get("/api/v1/projects/desk/export/jsonl/?final_verdict=supported")).split(
        b"\n"
    )
    assert len([line for line in lines if line]) == 1
    everything = _body(api.get("/api/v1/projects/desk/export/jsonl/"))
    assert everything.count(b"\n") == 2
    raw = _body(api.get("/api/v1/projects/desk/export/csv/?bom=1&state=accepted"))
    assert raw.startswith("\ufeff".encode())
    assert len(list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))) == 1
    assert api.get("/api/v1/projects/desk/export/jsonl/?state=nope").status_code == 400
    assert api.get("/api/v1/projects/desk/export/xml/").status_code == 404
    response = api.get("/api/v1/projects/desk/export/csv/", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200


def test_webannotation_pages(api, alice, project):
    claims = [
        factories.ClaimFactory(article=factories.ArticleFactory(project=project)) for _ in range(5)
    ]
    login(api, alice)
    collection = api.get("/api/v1/projects/desk/annotations/?page_size=2").json()
    assert collection["type"] == "AnnotationCollection" and collection["total"] == 5
    first = collection["first"]
    assert [a["id"] for a in first["items"]] == [f"urn:uuid:{c.uuid}" for c in claims[:2]]
    assert "after=" in collection["last"]
    # Every page's id resolves to that page, the first's included.
    alone = api.get(first["id"]).json()
    assert alone["type"] == "AnnotationPage" and alone["items"] == first["items"]
    assert alone["partOf"] == collection["id"] and alone["next"] == first["next"]
    assert api.get("/api/v1/projects/desk/annotations/?page=2").status_code == 400
    seen = [a["id"] for a in first["items"]]
    url = first["next"]
    while url:
        page = api.get(url).json()
        assert page["type"] == "AnnotationPage" and page["partOf"].startswith("http://testserver/")
        assert page["startIndex"] == len(seen)
        seen += [a["id"] for a in page["items"]]
        url = page.get("next")
    assert len(seen) == 5 and len(set(seen)) == 5
    last = api.get(collection["last"]).json()
    assert last["items"][-1]["id"] == f"urn:uuid:{claims[-1].uuid}"
    assert api.get(f"/api/v1/projects/desk/annotations/?after={claims[-1].pk}").status_code == 404
    assert api.get("/api/v1/projects/desk/annotations/?page_size=0").status_code == 400


def test_export_job_runs_and_downloads(
    api,
    alice,
    victor,
    dave,
    reviewed_claim,
    sent_tasks,
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    settings.DATA_DIR = tmp_path
    login(api, victor)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/exports/",
            {
                "project": "desk",
                "format": "jsonl",
                "filters": {"state": "accepted", "updated_after": "2000-01-01T00:00:00Z"},
            },
        )
    assert response.status_code == 202, response.data
    job = ExportJob.objects.get(uuid=response.data["uuid"])
    assert (("run_export", job.pk), {}) in sent_tasks
    assert response.data["state"] == "queued" and response.data["download_url"] is None
    assert api.get(f"/api/v1/exports/{job.uuid}/download/").status_code == 404
    before = timezone.now()
    export_job_run(job_id=job.pk)
    export_job_run(job_id=job.pk)  # a redelivered task finds it done
    status = api.get(f"/api/v1/exports/{job.uuid}/").data
    assert status["state"] == "done" and status["total"] == 1 and status["percent"] == 100
    # The next incremental export's updated_after: before the run, by the margin.
    job.refresh_from_db()
    assert before - timedelta(seconds=61) < job.watermark < before
    assert status["watermark"].endswith("Z")
    download = api.get(status["download_url"])
    assert download.status_code == 200
    record = json.loads(b"".join(download.streaming_content))
    assert record["uuid"] == str(reviewed_claim.uuid)
    login(api, dave)  # another project's member: no such job
    assert api.get(f"/api/v1/exports/{job.uuid}/").status_code == 404
    assert api.get(f"/api/v1/exports/{job.uuid}/download/").status_code == 404
    login(api, victor)
    bad = api.post("/api/v1/exports/", {"project": "desk", "format": "xml"})
    assert bad.status_code == 400 and "format" in bad.data
    bad = api.post(
        "/api/v1/exports/", {"project": "desk", "format": "csv", "filters": {"state": "nope"}}
    )
    assert bad.status_code == 400 and "filters" in bad.data


def test_export_job_failure_is_recorded(alice, project, monkeypatch, settings, tmp_path):
    from annotations.services import exports as export_services

    settings.DATA_DIR = tmp_path
    job = export_services.export_job_create(project=project, user=alice, format="jsonl")
    monkeypatch.setattr(export_services.exports, "export_chunks", lambda *a, **k: 1 / 0)
    export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == "failed" and "ZeroDivisionError" in job.error
    assert export_job_run(job_id=987654) is None


def test_export_pages(client, alice, dave, reviewed_claim, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    client.force_login(alice)
    response = client.get("/p/desk/export/csv/?bom=1")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert client.get("/p/desk/export/xml/").status_code == 404
    assert client.get("/p/desk/export/jsonl/?state=bad").status_code == 400
    response = client.post("/p/desk/exports/", {"format": "claimreview"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    job = ExportJob.objects.get()
    assert f'hx-get="/exports/{job.uuid}/"' in response.content.decode()
    page = client.get(f"/exports/{job.uuid}/")
    assert page.status_code == 200 and "0 of 0 claims written" in page.content.decode()
    export_job_run(job_id=job.pk)
    partial = client.get(f"/exports/{job.uuid}/", HTTP_HX_REQUEST="true").content.decode()
    assert "Download (1 claim)" in partial and "hx-get" not in partial
    assert "next incremental export" in partial
    download = client.get(f"/exports/{job.uuid}/download/")
    assert json.loads(b"".join(download.streaming_content))[0]["@type"] == "ClaimReview"
    assert client.post("/p/desk/exports/", {"format": "xml"}).status_code == 400
    client.force_login(dave)
    assert client.get("/p/desk/export/jsonl/").status_code == 404
    assert client.get(f"/exports/{job.uuid}/").status_code == 404
    assert client.get(f"/exports/{job.uuid}/download/").status_code == 404
    assert client.post("/p/desk/exports/", {"format": "jsonl"}).status_code == 404


def test_export_panel_template(rf, alice, project):
    from django.template.loader import render_to_string

    request = rf.get("/")
    request.user = alice
    html = render_to_string("includes/export_panel.html", {"project": project}, request=request)
    assert "/p/desk/export/jsonl/" in html and "/p/desk/exports/" in html


def test_admin_export_action(client, reviewed_claim, project):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw-123456")
    client.force_login(admin)
    for action, marker in (
        ("export_claims_jsonl", b'"uuid"'),
        ("export_claims_json", b'[\n{"uuid"'),
        ("export_claims_csv", b"uuid,quote"),
        ("export_claims_claimreview", b'"ClaimReview"'),
        ("export_claims_webannotation", b'"AnnotationCollection"'),
    ):
        response = client.post(
            "/admin/annotations/claim/",
            {"action": action, "_selected_action": [reviewed_claim.pk]},
        )
        assert response.status_code == 200
        assert marker in b"".join(response.streaming_content)


def test_old_export_files_expire(api, client, alice, project, reviewed_claim, settings, tmp_path):
    import os
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from annotations.services import exports as export_services

    settings.DATA_DIR = tmp_path
    settings.FACTCHECK_EXPORT_RETENTION_DAYS = 7
    old = export_services.export_job_create(project=project, user=alice, format="jsonl")
    recent = export_services.export_job_create(project=project, user=alice, format="csv")
    export_job_run(job_id=old.pk)
    export_job_run(job_id=recent.pk)
    old.refresh_from_db()
    recent.refresh_from_db()
    old_file = export_services.export_job_file(old)
    eight_days_ago = timezone.now() - timedelta(days=8)
    ExportJob.objects.filter(pk=old.pk).update(finished_at=eight_days_ago)
    os.utime(old_file, (eight_days_ago.timestamp(), eight_days_ago.timestamp()))
    folder = export_services.export_dir()
    stray = folder / "left-by-a-crash.jsonl.part"
    stray.write_bytes(b"{}")
    os.utime(stray, (eight_days_ago.timestamp(), eight_days_ago.timestamp()))
    fresh_stray = folder / "being-written.jsonl.part"
    fresh_stray.write_bytes(b"{}")

    assert export_services.export_jobs_expire() == 1
    old.refresh_from_db()
    assert old.state == "expired" and old.file_path == ""
    assert not old_file.exists() and not stray.exists()
    assert fresh_stray.exists()
    assert export_services.export_job_file(recent) is not None  # still within retention
    assert export_services.export_jobs_expire() == 0  # nothing left to do

    login(api, alice)
    gone = api.get(f"/api/v1/exports/{old.uuid}/download/")
    assert gone.status_code == 410 and "expired" in gone.json()["detail"]
    assert api.get(f"/api/v1/exports/{old.uuid}/").json()["state"] == "expired"
    client.force_login(alice)
    page = client.get(f"/exports/{old.uuid}/download/")
    assert page.status_code == 410 and "kept 7 days" in page.content.decode()

    ExportJob.objects.filter(pk=recent.pk).update(finished_at=eight_days_ago)
    out = io.StringIO()
    call_command("expire_exports", stdout=out)
    assert "1 export(s) older than 7 day(s) expired" in out.getvalue()
    assert ExportJob.objects.filter(state="expired").count() == 2


def test_a_csv_job_takes_bom_as_the_streamed_export_does(
    alice, project, reviewed_claim, settings, tmp_path
):
    from annotations.services.exports import export_job_create, export_job_file

    settings.DATA_DIR = tmp_path
    for value, starts_with_bom in (("true", True), ("yes", True), ("1", True), ("0", False)):
        job = export_job_create(project=project, user=alice, format="csv", filters={"bom": value})
        export_job_run(job_id=job.pk)
        job.refresh_from_db()
        raw = export_job_file(job).read_bytes()
        assert raw.startswith("\ufeff".encode()) is starts_with_bom, value
