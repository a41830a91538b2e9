"""The OpenAPI schema, its documentation served by the app itself, and a
bounded schema-driven fuzz run (schemathesis) that finds no 500 and no
response outside the schema."""

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from annotations.services.tokens import token_create
from tests import factories

pytestmark = pytest.mark.django_db


def test_schema_is_openapi_3_with_examples(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/claims/{id}/" in schema["paths"]
    patch = schema["paths"]["/api/v1/claims/{id}/"]["patch"]
    assert "409" in patch["responses"] and patch["description"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]
    assert "examples" in str(schema["paths"]["/api/v1/claims/"]["post"])


def test_docs_are_served_without_a_cdn(client):
    for url in ("/api/v1/docs/", "/api/v1/redoc/"):
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert "cdn.jsdelivr" not in html and "unpkg.com" not in html
        assert "/static/drf_spectacular_sidecar/" in html


@pytest.fixture
def fuzz_data(project, alice, carol, victor):
    from annotations.services.claims import verdict_set

    article = factories.ArticleFactory(project=project)
    claim = factories.ClaimFactory(article=article)
    verdict_set(claim=claim, reviewer=alice, label="supported")
    return claim


def test_fuzz_the_api_against_its_own_schema(alice, fuzz_data, settings, monkeypatch):
    """Every operation, a bounded number of generated requests each, as a
    reviewer with a token. URL imports are refused without the network."""
    from annotations.fetching import FetchError
    from annotations.services import articles

    def no_network(*args, **kwargs):
        raise FetchError("no network in tests")

    monkeypatch.setattr(articles, "fetch_url", no_network)
    settings.FACTCHECK_API_RATE = "100000/minute"
    cache.clear()
    _, secret = token_create(user=alice, name="fuzz")
    from django.core.wsgi import get_wsgi_application

    # In-process (WSGI), so the requests see this test's database; as in
    # Django's test client, a finished request must not close the connection.
    app = get_wsgi_application()
    for signal in (request_started, request_finished):
        monkeypatch.setattr(signal, "receivers", [])
        signal.sender_receivers_cache.clear()
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", app)
    failures = []
    for operation in schema.get_all_operations():
        op = operation.ok()
        strategy = op.as_strategy()

        @hypothesis_settings(
            max_examples=15,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given_strategy(strategy)
        def run(case):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {secret}"}
            response = case.call()
            try:
                case.validate_response(
                    response,
                    checks=(
                        not_a_server_error,
                        content_type_conformance,
                        response_schema_conformance,
                    ),
                )
            except Exception as exc:  # collect, report all at the end
                failures.append(f"{case.method} {case.path}: {exc}"[:2000])

        run()
    assert not failures, "\n\n".join(failures[:10])


def given_strategy(strategy):
    from hypothesis import given

    return given(case=strategy)
