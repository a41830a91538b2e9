"""What the API says about each object, and what it accepts. Every
serializer names its fields; writes go through the services."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annotations.models import (
    Article,
    Claim,
    ClaimMatch,
    ClaimState,
    ClaimType,
    DeletedClaim,
    EvidenceLink,
    ExportJob,
    ExtractionRun,
    Project,
    Source,
    Stance,
    Verdict,
    VerdictLabel,
)

MAX_OFFSET = 2**31 - 1
REVIEWABLE = [s for s in ClaimState.values if s != ClaimState.ORPHANED]


class VerdictLabelSerializer(serializers.ModelSerializer):
    class Meta:
        model = VerdictLabel
        fields = ["slug", "name", "rating"]


class ProjectSerializer(serializers.ModelSerializer):
    role = serializers.CharField(read_only=True, help_text="Your role in the project.")
    verdict_labels = VerdictLabelSerializer(many=True, read_only=True)

    class Meta:
        model = Project
        fields = ["slug", "name", "description", "role", "verdict_labels", "created_at"]


class PairAgreementSerializer(serializers.Serializer):
    first = serializers.CharField(help_text="A reviewer's username.")
    second = serializers.CharField(help_text="The other reviewer's username.")
    claims = serializers.IntegerField(help_text="Claims both judged.")
    agreed = serializers.IntegerField(help_text="Of those, claims with the same verdict.")
    kappa = serializers.FloatField(
        allow_null=True, help_text="Cohen's kappa; null when only one verdict was used."
    )


class AgreementSerializer(serializers.Serializer):
    claims = serializers.IntegerField(help_text="Claims judged by two reviewers or more.")
    verdicts = serializers.IntegerField(help_text="The verdicts on those claims.")
    unanimous = serializers.IntegerField()
    disagreements = serializers.IntegerField(
        help_text="Claims with different verdicts (list them with `/claims/?disagreement=true`)."
    )
    alpha = serializers.FloatField(
        allow_null=True,
        help_text="Krippendorff's alpha (nominal); null when a single verdict was used.",
    )
    reading = serializers.CharField(help_text="reliable (>= 0.800), tentative (>= 0.667)...")
    pairs = PairAgreementSerializer(many=True)


class ArticleSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Article
        fields = [
            "id",
            "uuid",
            "project",
            "title",
            "outlet",
            "url",
            "author",
            "published_date",
            "language",
            "extraction_state",
            "created_at",
            "updated_at",
        ]


class ArticleDetailSerializer(ArticleSerializer):
    class Meta(ArticleSerializer.Meta):
        fields = [
            *ArticleSerializer.Meta.fields,
            "canonical_text",
            "content_hash",
            "input_format",
            "import_source",
        ]


class ArticleImportSerializer(serializers.Serializer):
    """An import: the text (or a URL to fetch), cleaned and checked the same
    way as the web form's. A duplicate is refused with the existing id."""

    project = serializers.SlugField(help_text="Slug of a project where you are a reviewer.")
    text = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, help_text="The article's text."
    )
    fetch_url = serializers.BooleanField(
        default=False, help_text="Fetch `url` and import the page (when no text is given)."
    )
    title = serializers.CharField(required=False, allow_blank=True, max_length=500)
    outlet = serializers.CharField(required=False, allow_blank=True, max_length=200)
    author = serializers.CharField(required=False, allow_blank=True, max_length=300)
    url = serializers.URLField(required=False, allow_blank=True, max_length=2000)
    published_date = serializers.DateField(required=False, allow_null=True)

    def validate(self, attrs):
        if attrs.get("fetch_url"):
            if not attrs.get("url"):
                raise serializers.ValidationError({"url": "Give the URL to fetch."})
            if attrs.get("text"):
                raise serializers.ValidationError({"text": "Give a text or fetch_url, not both."})
        elif not (attrs.get("text") or "").strip():
            raise serializers.ValidationError({"text": "The article needs a text."})
        return attrs


class ClaimSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="article.project.slug", read_only=True)
    final_verdict = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    final_verdict_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Claim
        fields = [
            "id",
            "uuid",
            "project",
            "article",
            "start",
            "end",
            "quote",
            "prefix",
            "suffix",
            "origin",
            "score",
            "extractor_version",
            "reasons",
            "claim_type",
            "claimant",
            "normalized_text",
            "state",
            "final_verdict",
            "final_verdict_by",
            "final_verdict_at",
            "created_by",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ClaimCreateSerializer(serializers.Serializer):
    """A span selected by hand. Offsets count Unicode code points into the
    article's canonical text, and ``text[start:end]`` must equal ``quote``."""

    article = serializers.PrimaryKeyRelatedField(queryset=Article.objects.none())
    start = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET)
    end = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET)
    quote = serializers.CharField(trim_whitespace=False)
    claim_type = serializers.ChoiceField(choices=ClaimType.choices, default=ClaimType.OTHER)
    claimant = serializers.CharField(required=False, allow_blank=True, max_length=300)
    normalized_text = serializers.CharField(required=False, allow_blank=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["article"].queryset = Article.objects.for_user(request.user)

    def validate(self, attrs):
        text = attrs["article"].canonical_text
        start, end, quote = attrs["start"], attrs["end"], attrs["quote"]
        if start >= end:
            message = f"end ({end}) must be after start ({start})."
            raise serializers.ValidationError({"end": message})
        if end > len(text):
            raise serializers.ValidationError(
                {"end": f"end ({end}) is beyond the end of the text ({len(text)} characters)."}
            )
        if text[start:end] != quote:
            raise serializers.ValidationError(
                {
                    "quote": f"the quote does not match the text at {start}-{end}: "
                    f"the text there is {text[start:end][:60]!r}."
                }
            )
        if not quote.strip():
            raise serializers.ValidationError({"quote": "the span holds only whitespace."})
        return attrs


class ClaimUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, max_value=MAX_OFFSET, help_text="The version your change is based on."
    )
    state = serializers.ChoiceField(choices=REVIEWABLE, required=False)
    claim_type = serializers.ChoiceField(choices=ClaimType.choices, required=False)
    claimant = serializers.CharField(required=False, allow_blank=True, max_length=300)
    normalized_text = serializers.CharField(required=False, allow_blank=True)


class FinalVerdictSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, max_value=MAX_OFFSET)
    verdict = serializers.SlugField(
        allow_null=True,
        help_text="A verdict slug of the project; null hands the decision back "
        "to the reviewers' agreement.",
    )


class VerdictSerializer(serializers.ModelSerializer):
    reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    verdict = serializers.SlugRelatedField(source="label", slug_field="slug", read_only=True)
    verdict_name = serializers.CharField(source="label.name", read_only=True)

    class Meta:
        model = Verdict
        fields = [
            "id",
            "claim",
            "reviewer",
            "verdict",
            "verdict_name",
            "rationale",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class VerdictWriteSerializer(serializers.Serializer):
    """Your own verdict on a claim (one per reviewer and claim)."""

    claim = serializers.PrimaryKeyRelatedField(queryset=Claim.objects.none())
    verdict = serializers.SlugField(help_text="A verdict slug of the project, e.g. `supported`.")
    rationale = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_OFFSET,
        help_text=(
            "The version of your verdict this is based on: 0, null or left out if you had "
            "none. If you have one, the answer is 409 with it: send its version to change it."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "claim" in self.fields:
            self.fields["claim"].queryset = Claim.objects.for_user(request.user)


class VerdictUpdateSerializer(serializers.Serializer):
    verdict = serializers.SlugField()
    rationale = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(min_value=1, max_value=MAX_OFFSET)


class SourceSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    # Empty until the page is fetched: not a URI yet, so not typed as one.
    final_url = serializers.CharField(
        read_only=True, help_text="Where the URL led once fetched; empty before."
    )

    class Meta:
        model = Source
        fields = [
            "id",
            "uuid",
            "project",
            "url",
            "final_url",
            "title",
            "publisher",
            "published_date",
            "fetch_state",
            "fetch_error",
            "content_hash",
            "retrieved_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class SourceDetailSerializer(SourceSerializer):
    class Meta(SourceSerializer.Meta):
        fields = [*SourceSerializer.Meta.fields, "text"]
        read_only_fields = fields


class EvidenceSerializer(serializers.ModelSerializer):
    source = SourceSerializer(read_only=True, allow_null=True)
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = EvidenceLink
        fields = [
            "id",
            "uuid",
            "claim",
            "stance",
            "source",
            "target_article",
            "target_claim",
            "excerpt",
            "excerpt_start",
            "excerpt_end",
            "excerpt_prefix",
            "excerpt_suffix",
            "note",
            "created_by",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class EvidenceCreateSerializer(serializers.Serializer):
    """Exactly one of ``url``, ``target_article`` and ``target_claim``."""

    claim = serializers.PrimaryKeyRelatedField(queryset=Claim.objects.none())
    stance = serializers.ChoiceField(choices=Stance.choices)
    url = serializers.URLField(required=False, allow_blank=True, max_length=2000)
    target_article = serializers.PrimaryKeyRelatedField(
        queryset=Article.objects.none(), required=False, allow_null=True
    )
    target_claim = serializers.PrimaryKeyRelatedField(
        queryset=Claim.objects.none(), required=False, allow_null=True
    )
    excerpt = serializers.CharField(required=False, allow_blank=True, default="")
    excerpt_start = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_OFFSET
    )
    excerpt_end = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_OFFSET
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["claim"].queryset = Claim.objects.for_user(request.user)
            self.fields["target_claim"].queryset = Claim.objects.for_user(request.user)
            self.fields["target_article"].queryset = Article.objects.for_user(request.user)

    def validate(self, attrs):
        targets = [k for k in ("url", "target_article", "target_claim") if attrs.get(k)]
        if len(targets) != 1:
            raise serializers.ValidationError(
                {"non_field_errors": ["Give exactly one of url, target_article, target_claim."]}
            )
        return _validate_excerpt(attrs)


class EvidenceUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, max_value=MAX_OFFSET)
    stance = serializers.ChoiceField(choices=Stance.choices, required=False)
    note = serializers.CharField(required=False, allow_blank=True)
    excerpt = serializers.CharField(required=False, allow_blank=True)
    excerpt_start = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_OFFSET
    )
    excerpt_end = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_OFFSET
    )

    def validate(self, attrs):
        return _validate_excerpt(attrs)


def _validate_excerpt(attrs):
    start, end = attrs.get("excerpt_start"), attrs.get("excerpt_end")
    if (start is None) != (end is None):
        missing = "excerpt_end" if end is None else "excerpt_start"
        raise serializers.ValidationError({missing: "An excerpt needs both its start and end."})
    if start is not None and start >= end:
        raise serializers.ValidationError(
            {"excerpt_end": f"excerpt_end ({end}) must be after excerpt_start ({start})."}
        )
    return attrs


class MatchSerializer(serializers.ModelSerializer):
    decided_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = ClaimMatch
        fields = [
            "id",
            "left",
            "right",
            "score",
            "stance",
            "number_conflict",
            "state",
            "decided_by",
            "decided_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MatchConfirmSerializer(serializers.Serializer):
    stance = serializers.ChoiceField(
        choices=Stance.choices,
        required=False,
        allow_null=True,
        help_text="The stance of the two evidence links; the match's own when left out.",
    )


class DeletedClaimSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = DeletedClaim
        fields = ["uuid", "project", "deleted_at"]
        read_only_fields = fields


class ExportJobSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    percent = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()
    watermark = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="Once the job runs: the `updated_after` of your next incremental export "
        "(its start, less a margin for transactions still open then).",
    )

    class Meta:
        model = ExportJob
        fields = [
            "uuid",
            "project",
            "format",
            "filters",
            "state",
            "total",
            "done",
            "percent",
            "error",
            "download_url",
            "watermark",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField())
    def get_percent(self, job) -> int:
        if job.state == ExportJob.State.DONE:
            return 100
        return round(100 * job.done / job.total) if job.total else 0

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download_url(self, job):
        if job.state != ExportJob.State.DONE:
            return None
        request = self.context.get("request")
        path = f"/api/v1/exports/{job.uuid}/download/"
        return request.build_absolute_uri(path) if request else path


class ExportJobCreateSerializer(serializers.Serializer):
    project = serializers.SlugField()
    format = serializers.ChoiceField(
        choices=["jsonl", "json", "csv", "claimreview", "webannotation"]
    )
    filters = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=200),
        required=False,
        default=dict,
        help_text="The claim filters of `/claims/` (e.g. `state`, `updated_after`), "
        "plus `bom=1` for CSV.",
    )


class ExtractionRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExtractionRun
        fields = [
            "id",
            "article",
            "state",
            "extractor_version",
            "sentences_scored",
            "candidates_created",
            "candidates_removed",
            "candidates_kept",
            "error",
            "queued_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields
