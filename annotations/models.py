"""The data model of factcheck.

Offsets everywhere count Unicode code points into ``Article.canonical_text``
(Python string indices). What must always hold is a database constraint; the
service layer (``annotations.services``) checks the rest before saving, and
``save()`` never has side effects.
"""

import hashlib
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.utils import timezone
from simple_history.models import HistoricalRecords

from annotations import querysets

SPAN_CONTEXT_CHARS = 32


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    EDITOR = "editor", "Editor"
    REVIEWER = "reviewer", "Reviewer"
    VIEWER = "viewer", "Viewer"


# What each role may do, from most to least privileged. A role can do
# everything the roles below it can.
ROLE_RANK = {Role.VIEWER: 0, Role.REVIEWER: 1, Role.EDITOR: 2, Role.ADMIN: 3}


def role_at_least(role: str | None, needed: str) -> bool:
    """Whether ``role`` (None: not a member) may do what ``needed`` may."""
    return role is not None and ROLE_RANK[Role(role)] >= ROLE_RANK[Role(needed)]


class Project(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    candidate_threshold = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Sentences scoring at or above this become candidates. "
        "Empty: the extractor's default.",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="projects"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = querysets.ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(candidate_threshold__isnull=True)
                | Q(candidate_threshold__gte=0, candidate_threshold__lte=1),
                name="project_threshold_in_unit_range",
            ),
        ]

    def __str__(self):
        return self.name


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.REVIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "user"]
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self):
        return f"{self.user} in {self.project} ({self.role})"

    def has_role(self, role: str) -> bool:
        return role_at_least(self.role, role)


class VerdictLabel(models.Model):
    """A verdict a reviewer can give in a project: supported and disputed by
    default, more per project. Each maps to a ClaimReview rating (1 to 5)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="verdict_labels")
    slug = models.SlugField(max_length=40)
    name = models.CharField(max_length=80)
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="ClaimReview ratingValue, from 1 (worst) to 5 (best).",
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["project", "position", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["project", "slug"], name="verdictlabel_unique_slug"),
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="verdictlabel_rating_1_to_5"
            ),
        ]

    def __str__(self):
        return self.name


class ImportSource(models.TextChoices):
    PASTE = "paste", "Pasted text"
    UPLOAD = "upload", "Uploaded file"
    URL = "url", "URL"
    BULK = "bulk", "Bulk file"
    API = "api", "API"
    COMMAND = "command", "Management command"


class InputFormat(models.TextChoices):
    TEXT = "text", "Plain text"
    SCRAPED = "scraped", "Scraped page text"
    HTML = "html", "HTML"
    MARKDOWN = "markdown", "Markdown"


class ExtractionState(models.TextChoices):
    PENDING = "pending", "Not extracted yet"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Article(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="articles")
    title = models.CharField(max_length=500, blank=True)
    outlet = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=2000, blank=True)
    author = models.CharField(max_length=300, blank=True)
    published_date = models.DateField(null=True, blank=True)
    language = models.CharField(max_length=16, blank=True)

    # The input exactly as received (decoded to text), and how it came in.
    original_input = models.TextField()
    input_format = models.CharField(max_length=10, choices=InputFormat.choices)
    import_source = models.CharField(max_length=10, choices=ImportSource.choices)
    original_filename = models.CharField(max_length=255, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # The one string every offset points into: cleaned, Unicode NFC.
    canonical_text = models.TextField()
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the canonical text.")

    extraction_state = models.CharField(
        max_length=10, choices=ExtractionState.choices, default=ExtractionState.PENDING
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_articles",
        help_text="The reviewer whose queue this article is in.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = querysets.ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "content_hash"], name="article_unique_text_per_project"
            ),
            models.UniqueConstraint(
                fields=["project", "url"],
                condition=~Q(url=""),
                name="article_unique_url_per_project",
            ),
            models.CheckConstraint(
                condition=Q(extraction_state__in=ExtractionState.values),
                name="article_extraction_state_valid",
            ),
            models.CheckConstraint(condition=~Q(canonical_text=""), name="article_text_not_empty"),
        ]
        indexes = [
            models.Index(fields=["project", "outlet"]),
            models.Index(fields=["project", "extraction_state"]),
        ]

    def __str__(self):
        return self.title or f"Article {self.pk}"

    @staticmethod
    def hash_text(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ClaimOrigin(models.TextChoices):
    EXTRACTED = "extracted", "Extracted"
    MANUAL = "manual", "Manual"


class ClaimState(models.TextChoices):
    CANDIDATE = "candidate", "Candidate"
    ACCEPTED = "accepted", "Accepted"
    DISMISSED = "dismissed", "Dismissed"
    ORPHANED = "orphaned", "Orphaned"


class ClaimType(models.TextChoices):
    # Full Fact's taxonomy, as far as it serves a news desk.
    QUANTITY = "quantity", "Quantity"
    QUOTE = "quote", "Quote or attribution"
    PREDICTION = "prediction", "Prediction"
    CAUSAL = "causal", "Causal"
    RULES = "rules", "Rules or law"
    SUPPORT = "support", "Voting or support"
    OTHER = "other", "Other"


class ExtractionRun(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="extraction_runs")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    extractor_version = models.CharField(max_length=100, blank=True)
    content_hash = models.CharField(
        max_length=64, blank=True, help_text="Hash of the text the run worked on."
    )
    sentences_scored = models.PositiveIntegerField(default=0)
    candidates_created = models.PositiveIntegerField(default=0)
    candidates_removed = models.PositiveIntegerField(default=0)
    candidates_kept = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = querysets.ExtractionRunQuerySet.as_manager()

    class Meta:
        ordering = ["-queued_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["queued", "running", "done", "failed"]),
                name="extractionrun_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True) | Q(started_at__isnull=False),
                name="extractionrun_finished_after_started",
            ),
        ]
        indexes = [models.Index(fields=["article", "state"])]

    def __str__(self):
        return f"Extraction of {self.article_id} ({self.state})"

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class Claim(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="claims")
    start = models.PositiveIntegerField(help_text="First code point of the span.")
    end = models.PositiveIntegerField(help_text="One past the last code point of the span.")
    quote = models.TextField()
    prefix = models.CharField(max_length=SPAN_CONTEXT_CHARS, blank=True)
    suffix = models.CharField(max_length=SPAN_CONTEXT_CHARS, blank=True)

    origin = models.CharField(max_length=10, choices=ClaimOrigin.choices)
    score = models.FloatField(null=True, blank=True)
    extractor_version = models.CharField(max_length=100, blank=True)
    extraction_run = models.ForeignKey(
        ExtractionRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="claims"
    )
    reasons = models.JSONField(default=list, blank=True)
    claim_type = models.CharField(max_length=12, choices=ClaimType.choices, default=ClaimType.OTHER)
    claimant = models.CharField(max_length=300, blank=True)
    normalized_text = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=ClaimState.choices)

    final_verdict = models.ForeignKey(
        VerdictLabel, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    final_verdict_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    final_verdict_at = models.DateTimeField(null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="claims_created",
    )
    # Optimistic concurrency: every change bumps it; a write based on an older
    # version is refused instead of overwriting someone else's work.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = HistoricalRecords()
    objects = querysets.ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["article", "start", "end"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="claim_start_before_end"),
            # The quote is exactly as long as the span: text[start:end] == quote
            # is checked by the service against the article's text.
            models.CheckConstraint(
                condition=Q(end=F("start") + Length("quote")), name="claim_quote_matches_span"
            ),
            models.CheckConstraint(
                condition=Q(origin__in=ClaimOrigin.values), name="claim_origin_valid"
            ),
            models.CheckConstraint(
                condition=Q(state__in=ClaimState.values), name="claim_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(claim_type__in=ClaimType.values), name="claim_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=1),
                name="claim_score_in_unit_range",
            ),
            models.CheckConstraint(
                condition=Q(origin="manual") | Q(score__isnull=False),
                name="claim_extracted_has_score",
            ),
            models.UniqueConstraint(fields=["article", "start", "end"], name="claim_unique_span"),
        ]
        indexes = [
            models.Index(fields=["article", "state"]),
            models.Index(fields=["state", "score"]),
        ]

    def __str__(self):
        return self.quote[:80]


class Verdict(models.Model):
    """One reviewer's verdict on one claim."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="verdicts")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="verdicts"
    )
    label = models.ForeignKey(VerdictLabel, on_delete=models.PROTECT, related_name="verdicts")
    rationale = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = querysets.VerdictQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["claim", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "reviewer"], name="verdict_one_per_reviewer"),
        ]

    def __str__(self):
        return f"{self.label} by {self.reviewer}"


class Source(models.Model):
    """A web page cited as evidence, fetched and snapshotted once per project."""

    class FetchState(models.TextChoices):
        PENDING = "pending", "Not fetched yet"
        FETCHED = "fetched", "Fetched"
        FAILED = "failed", "Failed"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sources")
    url = models.URLField(max_length=2000, help_text="Canonical URL as cited.")
    final_url = models.URLField(max_length=2000, blank=True)
    title = models.CharField(max_length=500, blank=True)
    publisher = models.CharField(max_length=200, blank=True)
    published_date = models.DateField(null=True, blank=True)
    text = models.TextField(blank=True, help_text="Extracted text of the snapshot.")
    content_hash = models.CharField(max_length=64, blank=True)
    fetch_state = models.CharField(
        max_length=10, choices=FetchState.choices, default=FetchState.PENDING
    )
    fetch_error = models.TextField(blank=True)
    retrieved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "url"]
        constraints = [
            models.UniqueConstraint(fields=["project", "url"], name="source_unique_url"),
            models.CheckConstraint(
                condition=Q(fetch_state__in=["pending", "fetched", "failed"]),
                name="source_fetch_state_valid",
            ),
        ]

    def __str__(self):
        return self.title or self.url


class Stance(models.TextChoices):
    SUPPORTS = "supports", "Supports"
    DISPUTES = "disputes", "Disputes"
    CONTEXT = "context", "Context"


class EvidenceLink(models.Model):
    """Links a claim to what bears on it: a URL source, another article, or a
    claim in another article. Exactly one target is set."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="evidence")
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )
    target_article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.CASCADE, related_name="cited_by"
    )
    target_claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.CASCADE, related_name="cited_by"
    )
    stance = models.CharField(max_length=10, choices=Stance.choices)
    # The excerpt: a span of the target's text (source snapshot or article).
    excerpt = models.TextField(blank=True)
    excerpt_start = models.PositiveIntegerField(null=True, blank=True)
    excerpt_end = models.PositiveIntegerField(null=True, blank=True)
    excerpt_prefix = models.CharField(max_length=SPAN_CONTEXT_CHARS, blank=True)
    excerpt_suffix = models.CharField(max_length=SPAN_CONTEXT_CHARS, blank=True)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["claim", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(source__isnull=False, target_article__isnull=True, target_claim__isnull=True)
                    | Q(
                        source__isnull=True, target_article__isnull=False, target_claim__isnull=True
                    )
                    | Q(
                        source__isnull=True, target_article__isnull=True, target_claim__isnull=False
                    )
                ),
                name="evidence_exactly_one_target",
            ),
            models.CheckConstraint(
                condition=Q(stance__in=Stance.values), name="evidence_stance_valid"
            ),
            models.CheckConstraint(
                condition=Q(target_claim__isnull=True) | ~Q(target_claim=F("claim")),
                name="evidence_not_self",
            ),
            models.CheckConstraint(
                condition=Q(excerpt_start__isnull=True, excerpt_end__isnull=True)
                | Q(
                    excerpt_start__isnull=False,
                    excerpt_end__isnull=False,
                    excerpt_start__lt=F("excerpt_end"),
                ),
                name="evidence_excerpt_span_valid",
            ),
            models.UniqueConstraint(
                fields=["claim", "source"],
                condition=Q(source__isnull=False),
                name="evidence_unique_source",
            ),
            models.UniqueConstraint(
                fields=["claim", "target_article"],
                condition=Q(target_article__isnull=False),
                name="evidence_unique_article",
            ),
            models.UniqueConstraint(
                fields=["claim", "target_claim"],
                condition=Q(target_claim__isnull=False),
                name="evidence_unique_claim",
            ),
        ]

    def __str__(self):
        return f"{self.get_stance_display()}: {self.target_label}"

    @property
    def target_label(self) -> str:
        if self.source_id:
            return str(self.source)
        if self.target_article_id:
            return str(self.target_article)
        return str(self.target_claim)


class ClaimMatch(models.Model):
    """The same claim found in two articles, proposed by the matcher and
    confirmed or rejected by a reviewer. Stored once per pair (left < right)."""

    class State(models.TextChoices):
        SUGGESTED = "suggested", "Suggested"
        CONFIRMED = "confirmed", "Confirmed"
        REJECTED = "rejected", "Rejected"

    left = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="+")
    right = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    stance = models.CharField(max_length=10, choices=Stance.choices, default=Stance.SUPPORTS)
    number_conflict = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.SUGGESTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-score"]
        constraints = [
            models.UniqueConstraint(fields=["left", "right"], name="match_unique_pair"),
            models.CheckConstraint(condition=Q(left__lt=F("right")), name="match_ordered_pair"),
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=1), name="match_score_in_unit_range"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["suggested", "confirmed", "rejected"]),
                name="match_state_valid",
            ),
        ]

    def __str__(self):
        return f"{self.left_id} ~ {self.right_id} ({self.score:.2f})"


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 of the secret is stored; the
    secret is shown once, when the token is created."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class ExportJob(models.Model):
    """A large export written to a file in the background."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        # Done, and its file deleted after FACTCHECK_EXPORT_RETENTION_DAYS.
        EXPIRED = "expired", "Expired"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="export_jobs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    format = models.CharField(max_length=20)
    filters = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    file_path = models.CharField(max_length=500, blank=True)
    error = models.TextField(blank=True)
    # The updated_after of the next incremental export: the run's start,
    # less the margin (``exports.records.watermark``).
    watermark = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["queued", "running", "done", "failed", "expired"]),
                name="exportjob_state_valid",
            ),
        ]

    def __str__(self):
        return f"{self.format} export of {self.project} ({self.state})"


class DeletedClaim(models.Model):
    """A claim that is gone, remembered so that a consumer pulling changes
    (``updated_after``) learns to drop it: a deletion leaves no row to be
    changed. Written by the services and admin actions that delete claims."""

    uuid = models.UUIDField(unique=True, help_text="The deleted claim's.")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    deleted_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-deleted_at"]

    def __str__(self):
        return f"claim {self.uuid} deleted {self.deleted_at:%Y-%m-%d %H:%M}"
