"""Claims across outlets, grouped by confirmed matches only: suggested
matches chain (A~B, B~C) into groups nobody has vouched for."""

import pytest
from django.urls import reverse

from annotations.models import Claim, ClaimMatch
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def _claim(project, outlet):
    article = ArticleFactory(project=project, outlet=outlet)
    text = article.canonical_text
    return Claim.objects.create(
        article=article, start=0, end=12, quote=text[:12], origin="manual", state="accepted"
    )


def test_only_confirmed_matches_group_claims(client, alice, project):
    a, b, c, d = (_claim(project, f"Outlet {n}") for n in "ABCD")
    ClaimMatch.objects.create(left=a, right=b, score=0.9, state="confirmed")
    ClaimMatch.objects.create(left=b, right=c, score=0.4, state="suggested")
    ClaimMatch.objects.create(left=c, right=d, score=0.5, state="rejected")
    client.force_login(alice)
    url = reverse("claims_across", args=[project.slug])

    everything = client.get(url).context["page"].object_list
    assert [g.claim_ids for g in everything] == [{a.pk, b.pk, c.pk}]

    response = client.get(url, {"confirmed": "on"})
    confirmed = response.context["page"].object_list
    assert [g.claim_ids for g in confirmed] == [{a.pk, b.pk}]
    html = response.content.decode()
    assert 'name="confirmed" checked' in html and "confirmed ones only" in html
