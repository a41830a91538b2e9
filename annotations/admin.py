from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import Http404, StreamingHttpResponse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from annotations import exports
from annotations.exports.records import ExportScope
from annotations.models import (
    Article,
    Claim,
    ClaimMatch,
    DeletedClaim,
    EvidenceLink,
    ExtractionRun,
    Membership,
    Project,
    Role,
    Source,
    Verdict,
    VerdictLabel,
    role_at_least,
)
from annotations.services.claims import claims_touch, deleted_claims_record
from annotations.services.extraction import extraction_enqueue

# How each model reaches its project: the admin of a staff member who is not
# a superuser shows, and lets them pick, only what belongs to the projects
# they manage.
PROJECT_PATHS = {
    Project: "pk",
    Membership: "project",
    VerdictLabel: "project",
    Article: "project",
    Source: "project",
    Claim: "article__project",
    ExtractionRun: "article__project",
    Verdict: "claim__article__project",
    EvidenceLink: "claim__article__project",
    ClaimMatch: "left__article__project",
    DeletedClaim: "project",
}


def managed_projects(user, role: str = Role.EDITOR):
    """The projects where ``user`` has ``role`` or a higher one."""
    roles = [r for r in Role if role_at_least(r, role)]
    return Project.objects.filter(memberships__user=user, memberships__role__in=roles)


class VersionedForm(forms.ModelForm):
    """Optimistic concurrency in the admin, as on the review page and in the
    API: the version the form was opened at comes back with it, and a change
    made over a newer version is refused instead of overwriting it."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["seen_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        seen = cleaned.get("seen_version")
        if self.instance.pk and seen is not None and self.has_changed():
            model = type(self.instance)
            current = model._base_manager.filter(pk=self.instance.pk).values_list(
                "version", flat=True
            )
            current = current.first()
            if current is not None and current != seen:
                raise forms.ValidationError(
                    f"Someone changed this {model._meta.verbose_name} since you opened it "
                    f"(it is now version {current}). Your change was not saved: reload the "
                    "page to see theirs, then make yours again."
                )
        return cleaned


def _bump(obj, form) -> None:
    """A change saved here is a new version, like one made anywhere else."""
    if obj.pk and form.has_changed():
        obj.version += 1


class RemembersDeletedClaims:
    """Deleting claims here, or articles with their claims, leaves a
    ``DeletedClaim`` for each, which incremental exports report."""

    claims_path = "pk"  # from a claim to the objects of this admin

    def delete_model(self, request, obj):
        deleted_claims_record(claims=Claim.objects.filter(**{self.claims_path: obj.pk}))
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        gone = {f"{self.claims_path}__in": queryset.values("pk")}
        deleted_claims_record(claims=Claim.objects.filter(**gone))
        super().delete_queryset(request, queryset)


class OfClaim:
    """The admin of a claim's verdicts or evidence: versioned (``VersionedForm``),
    and a removal changes the claim."""

    form = VersionedForm

    def save_model(self, request, obj, form, change):
        _bump(obj, form)
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        claims_touch(claim_ids=[obj.claim_id])

    def delete_queryset(self, request, queryset):
        claims = list(queryset.values_list("claim_id", flat=True))
        super().delete_queryset(request, queryset)
        claims_touch(claim_ids=claims)


class ProjectScoped:
    """For staff who are not superusers: the lists, the change pages and
    every choice of a related object (raw id fields included) are limited to
    the projects where they are editors (``project_role``: admins for the
    projects themselves, their members and verdicts). Another project's
    object reads as not found. Superusers see everything."""

    project_role = Role.EDITOR

    def _scoped(self, request, queryset, model=None):
        if request.user.is_superuser:
            return queryset
        path = PROJECT_PATHS[model or queryset.model]
        allowed = managed_projects(request.user, self.project_role)
        return queryset.filter(**{f"{path}__in": allowed.values("pk")})

    def get_queryset(self, request):
        return self._scoped(request, super().get_queryset(request))

    def history_view(self, request, object_id, extra_context=None):
        # django-simple-history falls back to the history rows of an object
        # the queryset does not show: check it first.
        if not request.user.is_superuser and self.get_object(request, unquote(object_id)) is None:
            raise Http404("No such object among your projects.")
        return super().history_view(request, object_id, extra_context)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if related in PROJECT_PATHS and "queryset" not in kwargs:
            kwargs["queryset"] = self._scoped(request, related._default_manager.all(), related)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class MembershipInline(ProjectScoped, admin.TabularInline):
    project_role = Role.ADMIN
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class VerdictLabelInline(ProjectScoped, admin.TabularInline):
    project_role = Role.ADMIN
    model = VerdictLabel
    extra = 0


@admin.register(Project)
class ProjectAdmin(ProjectScoped, admin.ModelAdmin):
    project_role = Role.ADMIN
    list_display = ["name", "slug", "candidate_threshold", "created_at"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline, VerdictLabelInline]

    def has_add_permission(self, request):
        # A project someone else could not see would be lost: superusers create them.
        return request.user.is_superuser


@admin.register(Membership)
class MembershipAdmin(ProjectScoped, admin.ModelAdmin):
    project_role = Role.ADMIN
    list_display = ["user", "project", "role", "created_at"]
    list_filter = ["role", ("project", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__username", "user__email", "project__name"]
    list_select_related = ["user", "project"]
    autocomplete_fields = ["user", "project"]


@admin.register(VerdictLabel)
class VerdictLabelAdmin(ProjectScoped, admin.ModelAdmin):
    project_role = Role.ADMIN
    list_display = ["name", "slug", "project", "rating", "position"]
    list_filter = [("project", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "slug"]
    list_select_related = ["project"]


class ClaimInline(ProjectScoped, admin.TabularInline):
    model = Claim
    extra = 0
    fields = ["start", "end", "quote", "state", "origin", "claim_type", "claimant", "score"]
    readonly_fields = ["start", "end", "quote", "origin", "score"]
    show_change_link = True
    ordering = ["start"]

    def has_add_permission(self, request, obj=None):
        # Spans must be checked against the text: add claims in the review page.
        return False


class ExtractionRunInline(ProjectScoped, admin.TabularInline):
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
class ArticleAdmin(RemembersDeletedClaims, ProjectScoped, admin.ModelAdmin):
    claims_path = "article"
    list_display = [
        "title",
        "outlet",
        "project",
        "published_date",
        "extraction_state",
        "created_at",
    ]
    list_filter = [
        ("project", admin.RelatedOnlyFieldListFilter),
        "extraction_state",
        "import_source",
        "input_format",
        "outlet",
    ]
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


class VerdictInline(ProjectScoped, admin.TabularInline):
    model = Verdict
    form = VersionedForm
    extra = 0
    fields = ["reviewer", "label", "rationale", "updated_at", "seen_version"]
    readonly_fields = ["updated_at"]
    autocomplete_fields = ["reviewer"]


class EvidenceInline(ProjectScoped, admin.StackedInline):
    model = EvidenceLink
    form = VersionedForm
    fk_name = "claim"
    extra = 0
    fields = [
        "stance",
        "source",
        "target_article",
        "target_claim",
        "excerpt",
        "note",
        "created_by",
        "seen_version",
    ]
    raw_id_fields = ["source", "target_article", "target_claim"]
    readonly_fields = ["created_by"]


def _export_selection(request, queryset, fmt: str):
    """Stream the selected claims in ``fmt`` (the same export as the API's)."""
    # A subquery, not a list of ids: "select all" may cover a whole project.
    scope = ExportScope(claims=Claim.objects.filter(pk__in=queryset.order_by().values("pk")))
    chunks = exports.export_chunks(fmt, scope, exports.publisher_for(request=request), bom=True)
    response = StreamingHttpResponse(
        chunks,
        content_type=exports.FORMATS[fmt].content_type,
    )
    response["Content-Disposition"] = f'attachment; filename="{exports.filename("selected", fmt)}"'
    return response


def _export_action(fmt: str):
    def action(modeladmin, request, queryset):
        return _export_selection(request, queryset, fmt)

    action.__name__ = f"export_claims_{fmt}"
    label = exports.FORMATS[fmt].label
    return admin.action(description=f"Export selected claims as {label}")(action)


# One for each format the API and the command write.
EXPORT_ACTIONS = [_export_action(name) for name in exports.FORMATS]


@admin.register(Claim)
class ClaimAdmin(RemembersDeletedClaims, ProjectScoped, SimpleHistoryAdmin):
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
    list_filter = [
        "state",
        "origin",
        "claim_type",
        ("article__project", admin.RelatedOnlyFieldListFilter),
        "final_verdict__slug",
    ]
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
    actions = EXPORT_ACTIONS
    form = VersionedForm

    @admin.display(description="Quote")
    def short_quote(self, obj):
        return obj.quote[:90]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        # An edit here is a change like any other: a reviewer who loaded the
        # older version must be told, not overwritten (see StaleWrite).
        _bump(obj, form)
        if "final_verdict" in form.changed_data:
            # As an editor's final verdict on the review page: who and when.
            obj.final_verdict_by = request.user if obj.final_verdict_id else None
            obj.final_verdict_at = timezone.now() if obj.final_verdict_id else None
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline in formset.forms:
            if inline.instance.pk and inline not in formset.deleted_forms:
                _bump(inline.instance, inline)
        super().save_formset(request, form, formset, change)
        if formset.deleted_objects:
            claims_touch(claim_ids=[form.instance.pk])


@admin.register(Verdict)
class VerdictAdmin(OfClaim, ProjectScoped, SimpleHistoryAdmin):
    list_display = ["claim", "reviewer", "label", "updated_at"]
    list_filter = ["label__slug", ("claim__article__project", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["rationale", "claim__quote", "reviewer__username"]
    list_select_related = ["claim", "reviewer", "label"]
    raw_id_fields = ["claim"]


@admin.register(Source)
class SourceAdmin(ProjectScoped, admin.ModelAdmin):
    list_display = ["url", "title", "publisher", "fetch_state", "retrieved_at", "project"]
    list_filter = ["fetch_state", ("project", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["url", "final_url", "title", "publisher", "text"]
    list_select_related = ["project"]
    readonly_fields = ["uuid", "content_hash", "retrieved_at", "created_at", "updated_at"]


@admin.register(EvidenceLink)
class EvidenceLinkAdmin(OfClaim, ProjectScoped, SimpleHistoryAdmin):
    list_display = ["claim", "stance", "target_label", "created_by", "created_at"]
    list_filter = ["stance", ("claim__article__project", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["note", "excerpt", "claim__quote", "source__url"]
    list_select_related = ["claim", "source", "target_article", "target_claim", "created_by"]
    raw_id_fields = ["claim", "source", "target_article", "target_claim"]
    # Who linked it is a fact, not a setting (and none for a confirmed match's).
    readonly_fields = ["created_by"]


@admin.register(DeletedClaim)
class DeletedClaimAdmin(ProjectScoped, admin.ModelAdmin):
    """What incremental exports report as deleted: a record, not edited."""

    list_display = ["uuid", "project", "deleted_at"]
    list_filter = [("project", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["uuid"]
    list_select_related = ["project"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ClaimMatch)
class ClaimMatchAdmin(ProjectScoped, admin.ModelAdmin):
    list_display = ["left", "right", "score", "stance", "number_conflict", "state", "decided_by"]
    list_filter = ["state", "stance", "number_conflict"]
    search_fields = ["left__quote", "right__quote"]
    list_select_related = ["left", "right", "decided_by"]
    raw_id_fields = ["left", "right"]


@admin.register(ExtractionRun)
class ExtractionRunAdmin(ProjectScoped, admin.ModelAdmin):
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
    list_filter = [
        "state",
        "extractor_version",
        ("article__project", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["article__title", "error"]
    list_select_related = ["article"]
    readonly_fields = [f.name for f in ExtractionRun._meta.fields]

    def has_add_permission(self, request):
        return False
