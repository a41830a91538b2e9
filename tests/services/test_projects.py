import pytest

from annotations.models import Role
from annotations.services.projects import project_create
from tests.factories import UserFactory


@pytest.mark.django_db
def test_project_starts_with_supported_and_disputed():
    owner = UserFactory(username="owner")
    project = project_create(slug="desk", name="Desk", owner=owner)
    labels = {label.slug: label.rating for label in project.verdict_labels.all()}
    assert labels == {"supported": 5, "disputed": 1}
    assert project.memberships.get(user=owner).role == Role.ADMIN
