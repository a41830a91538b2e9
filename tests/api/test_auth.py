"""API tokens (hashed, shown once, revocable), throttling, the profile page."""

import hashlib

import pytest

from annotations.models import ApiToken
from annotations.services.tokens import token_create
from tests.api.conftest import login

pytestmark = pytest.mark.django_db


def test_token_is_stored_hashed_and_works_with_both_keywords(api, alice, project):
    token, secret = token_create(user=alice, name="dashboard")
    assert secret.startswith("fc_") and len(secret) > 40
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.values_list()[0])
    for keyword in ("Bearer", "Token", "bearer"):
        api.credentials(HTTP_AUTHORIZATION=f"{keyword} {secret}")
        response = api.get("/api/v1/projects/")
        assert response.status_code == 200
        assert [p["slug"] for p in response.data["results"]] == ["desk"]
        assert response.data["results"][0]["role"] == "reviewer"
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize(
    "header", ["Bearer nope", "Bearer", "Bearer a b", "Token fc_" + "x" * 43, "Bearer é"]
)
def test_bad_tokens_are_401(api, alice, header):
    api.credentials(HTTP_AUTHORIZATION=header)
    assert api.get("/api/v1/claims/").status_code == 401


def test_revoked_token_is_refused(api, alice):
    token, secret = token_create(user=alice, name="old")
    login(api, alice)
    response = api.post(f"/profile/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    api.logout()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/claims/").status_code == 401


def test_someone_elses_token_cannot_be_revoked(client, alice, bob):
    token, _ = token_create(user=alice, name="mine")
    client.force_login(bob)
    assert client.post(f"/profile/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_profile_page_shows_the_secret_once(client, alice):
    client.force_login(alice)
    response = client.post("/profile/", {"name": "notebook"})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=alice)
    body = response.content.decode()
    assert 'value="fc_' in body and token.prefix in body
    again = client.get("/profile/").content.decode()
    assert 'value="fc_' not in again and "notebook" in again
    assert client.post("/profile/", {"name": "  "}).status_code == 400


def test_profile_page_needs_login(client):
    response = client.get("/profile/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_throttling_per_token(api, alice, settings):
    settings.FACTCHECK_API_RATE = "3/minute"
    _, first = token_create(user=alice, name="one")
    _, second = token_create(user=alice, name="two")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {first}")
    codes = [api.get("/api/v1/projects/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {second}")
    assert api.get("/api/v1/projects/").status_code == 200
