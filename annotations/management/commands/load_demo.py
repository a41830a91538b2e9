from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand
from django.db import transaction

from annotations.models import Article, Claim, ExtractionState, Project, Role, Verdict
from annotations.services.articles import article_import_bulk
from annotations.services.claims import (
    claim_create_manual,
    claim_set_final_verdict,
    verdict_set,
)
from annotations.services.evidence import evidence_link_create
from annotations.services.extraction import extraction_run_inline
from annotations.services.projects import membership_set, project_create

DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "articles.jsonl"

# Known passwords: this is a demo, printed on screen on purpose.
DEMO_USERS = (
    ("demo-admin", "factcheck-admin", Role.ADMIN),
    ("demo-editor", "factcheck-editor", Role.EDITOR),
    ("demo-reviewer", "factcheck-reviewer", Role.REVIEWER),
    ("demo-checker", "factcheck-checker", Role.REVIEWER),
)


# Finished reviews, so that every export has content right after `make run`:
# (outlet of the article, the claim's words, verdict, rationale, evidence).
# Evidence is (stance, outlet of another demo article or a URL, excerpt, note).
DEMO_REVIEWS = (
    (
        "Coastal Wire",
        "Around 4,000 residents of Veloria's harbour district were ordered out of their homes",
        "disputed",
        "The city council, which ordered the evacuation, gives 1,200 residents; the three "
        "other outlets report the council's figure.",
        [
            ("disputes", "Veloria Herald", "Authorities evacuated 1,200 residents", ""),
            ("disputes", "Radio Veloria", "all 1,200 evacuated residents", "Council figure."),
        ],
    ),
    (
        "Veloria Herald",
        "About 120 firefighters from four stations fought the blaze for more than nine hours",
        "supported",
        "Coastal Wire independently reports the same numbers.",
        [("supports", "Coastal Wire", "some 120 firefighters more than nine hours", "")],
    ),
    (
        "Coastal Wire",
        "Kessel Logistics said in a statement that it had passed a fire safety inspection "
        "in January",
        "disputed",
        "The statement was made, but the city's register shows no inspection since 2023.",
        [
            (
                "disputes",
                "The Northern Ledger",
                "The city's register lists no inspection of the site in 2024, 2025 or 2026.",
                "Records seen by the Ledger.",
            )
        ],
    ),
    (
        "Radio Veloria",
        "Hourly measurements found particulate levels below the national limit of 50 "
        "micrograms per cubic metre since Wednesday noon",
        "supported",
        "The council's hourly measurements are published on its air quality page.",
        [
            (
                "supports",
                "https://veloria.example/council/air-quality/harbour",
                "",
                "Council measurements page.",
            )
        ],
    ),
)


# A second reviewer's verdicts, so that the agreement page has something to
# measure: (outlet, the claim's words, reviewer, verdict, rationale). They
# agree on two claims, differ on one the editor has settled, and differ on
# one waiting for the editor.
LEDGER_RETURN = (
    "Around 1,200 residents were evacuated, and most had returned home by Wednesday evening"
)
DEMO_SECOND_OPINIONS = (
    (
        "Veloria Herald",
        "About 120 firefighters from four stations fought the blaze for more than nine hours",
        "demo-checker",
        "supported",
        "Coastal Wire gives the same numbers.",
    ),
    (
        "Coastal Wire",
        "Around 4,000 residents of Veloria's harbour district were ordered out of their homes",
        "demo-checker",
        "disputed",
        "Every other outlet reports the council's 1,200.",
    ),
    (
        "Coastal Wire",
        "Kessel Logistics said in a statement that it had passed a fire safety inspection "
        "in January",
        "demo-checker",
        "supported",
        "The company did make that statement: the sentence reports it accurately.",
    ),
    (
        "The Northern Ledger",
        LEDGER_RETURN,
        "demo-reviewer",
        "supported",
        "The council's figure, as in the Herald and on Radio Veloria.",
    ),
    (
        "The Northern Ledger",
        LEDGER_RETURN,
        "demo-checker",
        "disputed",
        "Radio Veloria says residents were allowed back on Thursday, not Wednesday.",
    ),
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
        reviewed, already = self._reviews(project)
        self.stdout.write(f"Demo reviews: {reviewed} claims reviewed, {already} already there.")
        given, already = self._second_opinions(project)
        self.stdout.write(f"Second opinions: {given} verdicts given, {already} already there.")
        self.stdout.write("Log in with:")
        for username, password, role in DEMO_USERS:
            self.stdout.write(f"  {role.label.lower():9} {username} / {password}")

    def _reviews(self, project) -> tuple[int, int]:
        """Extract the demo articles here (the worker may not run yet), then
        review a few claims through the services, as a reviewer and an editor
        would. Claims already judged by the demo reviewer are left alone."""
        User = get_user_model()
        reviewer = User.objects.get(username="demo-reviewer")
        editor = User.objects.get(username="demo-editor")
        articles = {a.outlet: a for a in Article.objects.in_project(project)}
        for article in articles.values():
            if article.extraction_state != ExtractionState.DONE:
                extraction_run_inline(article=article)
        reviewed = already = 0
        for outlet, words, verdict, rationale, evidence in DEMO_REVIEWS:
            article = articles.get(outlet)
            if article is None or words not in article.canonical_text:
                continue
            claim = _claim_for(article, words, reviewer)
            if Verdict.objects.filter(claim=claim, reviewer=reviewer).exists():
                already += 1
                continue
            verdict_set(claim=claim, reviewer=reviewer, label=verdict, rationale=rationale)
            for stance, target, excerpt, note in evidence:
                _link(claim, reviewer, articles, stance, target, excerpt, note)
            claim.refresh_from_db()
            claim_set_final_verdict(
                claim=claim, editor=editor, label=verdict, expected_version=claim.version
            )
            reviewed += 1
        return reviewed, already

    def _second_opinions(self, project) -> tuple[int, int]:
        users = {
            u.username: u for u in get_user_model().objects.filter(username__startswith="demo-")
        }
        articles = {a.outlet: a for a in Article.objects.in_project(project)}
        given = already = 0
        for outlet, words, username, verdict, rationale in DEMO_SECOND_OPINIONS:
            article = articles.get(outlet)
            if article is None or words not in article.canonical_text:
                continue
            reviewer = users[username]
            claim = _claim_for(article, words, reviewer)
            if Verdict.objects.filter(claim=claim, reviewer=reviewer).exists():
                already += 1
                continue
            verdict_set(claim=claim, reviewer=reviewer, label=verdict, rationale=rationale)
            given += 1
        return given, already


def _claim_for(article, words: str, user) -> Claim:
    """The claim covering ``words``: the extractor's, or one added by hand."""
    start = article.canonical_text.index(words)
    end = start + len(words)
    existing = (
        Claim.objects.filter(article=article, start__lte=start, end__gte=end)
        .order_by("end")
        .first()
    )
    if existing:
        return existing
    return claim_create_manual(article=article, start=start, end=end, quote=words, user=user)


def _link(claim, user, articles, stance, target, excerpt, note) -> None:
    if target.startswith("https://"):
        evidence_link_create(claim=claim, user=user, stance=stance, url=target, note=note)
        return
    other = articles.get(target)
    if other is None:
        return
    start = other.canonical_text.find(excerpt) if excerpt else -1
    evidence_link_create(
        claim=claim,
        user=user,
        stance=stance,
        target_article=other,
        note=note,
        excerpt=excerpt if start >= 0 else "",
        excerpt_start=start if start >= 0 else None,
        excerpt_end=start + len(excerpt) if start >= 0 else None,
    )
