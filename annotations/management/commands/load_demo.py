from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand
from django.db import transaction

from annotations.models import Project, Role
from annotations.services.articles import article_import_bulk
from annotations.services.projects import membership_set, project_create

DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "articles.jsonl"

# Known passwords: this is a demo, printed on screen on purpose.
DEMO_USERS = (
    ("demo-admin", "factcheck-admin", Role.ADMIN),
    ("demo-editor", "factcheck-editor", Role.EDITOR),
    ("demo-reviewer", "factcheck-reviewer", Role.REVIEWER),
)


class Command(BaseCommand):
    help = "Create the demo project (slug 'demo') with its articles and demo users."

    @transaction.atomic
    def handle(self, *args, **options):
        project = Project.objects.filter(slug="demo").first()
        if project is None:
            project = project_create(
                slug="demo",
                name="Demo: Veloria warehouse fire",
                description="Four short invented reports on one event, from four invented "
                "outlets that agree on most facts and disagree on one number.",
            )
        User = get_user_model()
        for username, password, role in DEMO_USERS:
            user = User.objects.filter(username=username).first() or User(username=username)
            user.is_staff = role in (Role.ADMIN, Role.EDITOR)
            user.is_superuser = role == Role.ADMIN
            user.set_password(password)
            user.save()
            if role == Role.EDITOR:
                user.user_permissions.set(
                    Permission.objects.filter(content_type__app_label="annotations")
                )
            membership_set(project=project, user=user, role=role)

        result = article_import_bulk(
            project=project, filename=DEMO_FILE.name, data=DEMO_FILE.read_bytes()
        )
        self.stdout.write(
            f"Demo project 'demo': {len(result.imported)} articles imported, "
            f"{len(result.duplicates)} already there."
        )
        for outcome in result.rejected:
            self.stderr.write(f"line {outcome.line}: {outcome.message}")
        self.stdout.write("Log in with:")
        for username, password, role in DEMO_USERS:
            self.stdout.write(f"  {role.label.lower():9} {username} / {password}")
