import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotations.models import Article


@pytest.fixture
def url(project):
    return reverse("article_import", args=[project.slug])


@pytest.mark.django_db
def test_import_page_shows_each_form(client, alice, url):
    client.force_login(alice)
    for kind, field in [
        ("paste", "paste-text"),
        ("upload", "upload-file"),
        ("url", "url-url"),
        ("bulk", "bulk-file"),
    ]:
        html = client.get(url, {"kind": kind}).content.decode()
        assert f'name="{field}"' in html
        assert f'for="id_{field}"' in html  # every control has a label


@pytest.mark.django_db
def test_paste_imports_and_redirects_to_the_article(client, alice, project, url):
    client.force_login(alice)
    response = client.post(
        url,
        {
            "kind": "paste",
            "paste-text": "The mayor said 300 homes were flooded.",
            "paste-title": "Flood",
        },
    )
    article = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("article_detail", args=[project.slug, article.pk])
    assert (article.title, article.imported_by) == ("Flood", alice)


@pytest.mark.django_db
def test_empty_paste_is_a_form_error(client, alice, url):
    client.force_login(alice)
    response = client.post(url, {"kind": "paste", "paste-text": "   "})
    assert response.status_code == 200
    assert "The text is empty." in response.content.decode()
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_duplicate_paste_links_to_the_existing_article(client, alice, project, url):
    client.force_login(alice)
    client.post(url, {"kind": "paste", "paste-text": "Same words.", "paste-title": "Original"})
    response = client.post(url, {"kind": "paste", "paste-text": "Same words."})
    html = response.content.decode()
    assert "already in the project as “Original”" in html
    existing = Article.objects.get()
    assert reverse("article_detail", args=[project.slug, existing.pk]) in html


@pytest.mark.django_db
def test_upload_of_a_real_article(client, alice, corpus_files, url):
    client.force_login(alice)
    upload = SimpleUploadedFile(corpus_files[0].name, corpus_files[0].read_bytes())
    response = client.post(url, {"kind": "upload", "upload-file": upload})
    assert response.status_code == 302
    assert "Skip to content" not in Article.objects.get().canonical_text


@pytest.mark.django_db
def test_binary_upload_is_refused_with_a_message(client, alice, url):
    client.force_login(alice)
    upload = SimpleUploadedFile("photo.txt", b"\x00\xff" * 500)
    response = client.post(url, {"kind": "upload", "upload-file": upload})
    assert response.status_code == 200
    assert "binary" in response.content.decode()
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_bulk_upload_lists_each_row(client, alice, url):
    client.force_login(alice)
    data = b'{"title": "A", "text": "Two ships sank."}\n{broken\n'
    response = client.post(url, {"kind": "bulk", "bulk-file": SimpleUploadedFile("b.jsonl", data)})
    html = response.content.decode()
    assert "1 imported, 0 duplicates, 1 rejected" in html
    assert "Line 2:" in html


@pytest.mark.django_db
def test_url_to_private_address_is_refused(client, alice, url):
    client.force_login(alice)
    response = client.post(url, {"kind": "url", "url-url": "http://169.254.169.254/latest/"})
    assert response.status_code == 200
    assert "not a public address" in response.content.decode()


@pytest.mark.django_db
def test_unknown_kind_falls_back_to_paste(client, alice, url):
    client.force_login(alice)
    response = client.post(url, {"kind": "../../etc", "paste-text": "Words here."})
    assert response.status_code == 302
