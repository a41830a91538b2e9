from django.db import transaction

from annotations.models import Membership, Project, Role, VerdictLabel

# Every project starts with these; editors may add more (each mapped to a
# ClaimReview rating from 1 to 5).
DEFAULT_VERDICT_LABELS = (
    ("supported", "Supported", 5),
    ("disputed", "Disputed", 1),
)


@transaction.atomic
def project_create(*, slug: str, name: str = "", description: str = "", owner=None) -> Project:
    project = Project(
        slug=slug, name=name or slug.replace("-", " ").title(), description=description
    )
    project.full_clean()
    project.save()
    VerdictLabel.objects.bulk_create(
        VerdictLabel(project=project, slug=s, name=n, rating=r, position=i)
        for i, (s, n, r) in enumerate(DEFAULT_VERDICT_LABELS)
    )
    if owner is not None:
        membership_set(project=project, user=owner, role=Role.ADMIN)
    return project


def membership_set(*, project: Project, user, role: str) -> Membership:
    membership, _ = Membership.objects.update_or_create(
        project=project, user=user, defaults={"role": Role(role)}
    )
    return membership
