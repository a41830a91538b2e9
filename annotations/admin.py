from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from annotations.models import (
    Article,
    Claim,
    ClaimMatch,
    EvidenceLink,
    ExtractionRun,
    Membership,
    Project,
    Source,
    Verdict,
    VerdictLabel,
)
from annotations.services.extraction import extraction_enqueue


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class VerdictLabelInline(admin.TabularInline):
    model = VerdictLabel
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "candidate_threshold", "created_at"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline, VerdictLabelInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "project", "role", "created_at"]
    list_filter = ["role", "project"]
    search_fields = ["user__username", "user__email", "project__name"]
    list_select_related = ["user", "project"]
    autocomplete_fields = ["user", "project"]


@admin.register(VerdictLabel)
class VerdictLabelAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "project", "rating", "position"]
    list_filter = ["project"]
    search_fields = ["name", "slug"]
    list_select_related = ["project"]


class ClaimInline(admin.TabularInline):
    model = Claim
    extra = 0
    fields = ["start", "end", "quote", "state", "origin", "claim_type", "claimant", "score"]
    readonly_fields = ["start", "end", "quote", "origin", "score"]
    show_change_link = True
    ordering = ["start"]

    def has_add_permission(self, request, obj=None):
        # Spans must be checked against the text: add claims in the review page.
        return False


class ExtractionRunInline(admin.TabularInline):
    model = ExtractionRun
    extra = 0
    fields = [
        "state",
        "extractor_version",
        "candidates_created",
        "queued_at",
        "finished_at",
        "error",
    ]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.action(description="Re-run extraction (keeps reviewed claims)")
def rerun_extraction(modeladmin, request, queryset):
    count = 0
    for article in queryset:
        extraction_enqueue(article=article, user=request.user)
        count += 1
    modeladmin.message_user(request, f"Extraction queued for {count} article(s).", messages.SUCCESS)


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "outlet",
        "project",
        "published_date",
        "extraction_state",
        "created_at",
    ]
    list_filter = ["project", "extraction_state", "import_source", "input_format", "outlet"]
    search_fields = ["title", "outlet", "author", "url", "canonical_text"]
    date_hierarchy = "published_date"
    list_select_related = ["project"]
    readonly_fields = [
        "uuid",
        "content_hash",
        "canonical_text",
        "original_input",
        "input_format",
        "import_source",
        "original_filename",
        "imported_by",
        "extraction_state",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["project", "title", "outlet", "author", "url", "published_date"]}),
        ("Text", {"fields": ["canonical_text", "content_hash", "language"]}),
        (
            "Import",
            {
                "classes": ["collapse"],
                "fields": [
                    "uuid",
                    "import_source",
                    "input_format",
                    "original_filename",
                    "imported_by",
                    "original_input",
                    "created_at",
                    "updated_at",
                ],
            },
        ),
        ("Extraction", {"fields": ["extraction_state"]}),
    ]
    inlines = [ClaimInline, ExtractionRunInline]
    actions = [rerun_extraction]

    def has_add_permission(self, request):
        # Articles come in through the import services (cleaning, dedup).
        return False


class VerdictInline(admin.TabularInline):
    model = Verdict
    extra = 0
    fields = ["reviewer", "label", "rationale", "updated_at"]
    readonly_fields = ["updated_at"]
    autocomplete_fields = ["reviewer"]


class EvidenceInline(admin.StackedInline):
    model = EvidenceLink
    fk_name = "claim"
    extra = 0
    fields = ["stance", "source", "target_article", "target_claim", "excerpt", "note", "created_by"]
    raw_id_fields = ["source", "target_article", "target_claim"]
    readonly_fields = ["created_by"]


def _export_selection(request, queryset, fmt: str):
    """Stream the selected claims in ``fmt`` (the same export as the API's)."""
    from django.http import StreamingHttpResponse

    from annotations import exports
    from annotations.exports.records import ExportScope

    # A subquery, not a list of ids: "select all" may cover a whole project.
    scope = ExportScope(claims=Claim.objects.filter(pk__in=queryset.order_by().values("pk")))
    chunks = exports.export_chunks(fmt, scope, exports.publisher_for(request=request), bom=True)
    response = StreamingHttpResponse(
        chunks,
        content_type=exports.FORMATS[fmt].content_type,
    )
    response["Content-Disposition"] = f'attachment; filename="{exports.filename("selected", fmt)}"'
    return response


@admin.action(description="Export selected claims as JSONL")
def export_claims_jsonl(modeladmin, request, queryset):
    return _export_selection(request, queryset, "jsonl")


@admin.action(description="Export selected claims as CSV")
def export_claims_csv(modeladmin, request, queryset):
    return _export_selection(request, queryset, "csv")


@admin.register(Claim)
class ClaimAdmin(SimpleHistoryAdmin):
    list_display = [
        "short_quote",
        "article",
        "state",
        "origin",
        "claim_type",
        "claimant",
        "score",
        "final_verdict",
        "updated_at",
    ]
    list_filter = ["state", "origin", "claim_type", "article__project", "final_verdict__slug"]
    search_fields = ["quote", "normalized_text", "claimant", "article__title"]
    list_select_related = ["article", "final_verdict"]
    readonly_fields = [
        "uuid",
        "article",
        "start",
        "end",
        "quote",
        "prefix",
        "suffix",
        "origin",
        "score",
        "reasons",
        "extractor_version",
        "extraction_run",
        "created_by",
        "version",
        "created_at",
        "updated_at",
    ]
    inlines = [VerdictInline, EvidenceInline]
    actions = [export_claims_jsonl, export_claims_csv]

    @admin.display(description="Quote")
    def short_quote(self, obj):
        return obj.quote[:90]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        # An edit here is a change like any other: a reviewer who loaded the
        # older version must be told, not overwritten (see StaleWrite).
        if change and form.has_changed():
            obj.version += 1
        super().save_model(request, obj, form, change)


@admin.register(Verdict)
class VerdictAdmin(SimpleHistoryAdmin):
    list_display = ["claim", "reviewer", "label", "updated_at"]
    list_filter = ["label__slug", "claim__article__project"]
    search_fields = ["rationale", "claim__quote", "reviewer__username"]
    list_select_related = ["claim", "reviewer", "label"]
    raw_id_fields = ["claim"]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["url", "title", "publisher", "fetch_state", "retrieved_at", "project"]
    list_filter = ["fetch_state", "project"]
    search_fields = ["url", "final_url", "title", "publisher", "text"]
    list_select_related = ["project"]
    readonly_fields = ["uuid", "content_hash", "retrieved_at", "created_at", "updated_at"]


@admin.register(EvidenceLink)
class EvidenceLinkAdmin(SimpleHistoryAdmin):
    list_display = ["claim", "stance", "target_label", "created_by", "created_at"]
    list_filter = ["stance", "claim__article__project"]
    search_fields = ["note", "excerpt", "claim__quote", "source__url"]
    list_select_related = ["claim", "source", "target_article", "target_claim", "created_by"]
    raw_id_fields = ["claim", "source", "target_article", "target_claim"]


@admin.register(ClaimMatch)
class ClaimMatchAdmin(admin.ModelAdmin):
    list_display = ["left", "right", "score", "stance", "number_conflict", "state", "decided_by"]
    list_filter = ["state", "stance", "number_conflict"]
    search_fields = ["left__quote", "right__quote"]
    list_select_related = ["left", "right", "decided_by"]
    raw_id_fields = ["left", "right"]


@admin.register(ExtractionRun)
class ExtractionRunAdmin(admin.ModelAdmin):
    list_display = [
        "article",
        "state",
        "extractor_version",
        "sentences_scored",
        "candidates_created",
        "candidates_removed",
        "attempts",
        "queued_at",
        "duration",
    ]
    list_filter = ["state", "extractor_version", "article__project"]
    search_fields = ["article__title", "error"]
    list_select_related = ["article"]
    readonly_fields = [f.name for f in ExtractionRun._meta.fields]

    def has_add_permission(self, request):
        return False
