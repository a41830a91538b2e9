"""Reads: every query the views, API and commands need, scoped and annotated.

Scoping by user lives here so that no view can forget it: a view asks for
``Article.objects.for_user(request.user)`` and an outsider's request for
another project's article finds nothing (a 404).
"""

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q

if TYPE_CHECKING:
    from annotations.agreement import Agreement, NamedPair


class ProjectQuerySet(models.QuerySet):
    def for_user(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user)

    def with_counts(self):
        return self.annotate(
            article_count=Count("articles", distinct=True),
        )


class ArticleQuerySet(models.QuerySet):
    def for_user(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(project__memberships__user=user)

    def in_project(self, project):
        return self.filter(project=project)

    def with_claim_counts(self):
        return self.annotate(
            open_count=Count("claims", filter=Q(claims__state="candidate")),
            accepted_count=Count("claims", filter=Q(claims__state="accepted")),
            dismissed_count=Count("claims", filter=Q(claims__state="dismissed")),
        )

    def search(self, query: str):
        query = query.strip()
        if not query:
            return self
        return self.filter(Q(title__icontains=query) | Q(canonical_text__icontains=query))

    def with_open_score(self):
        """The highest score among the article's open candidates (None if it
        has none): what the queue sorts by."""
        return self.annotate(
            top_open_score=Max("claims__score", filter=Q(claims__state="candidate"))
        )

    def with_open_candidates(self):
        # An Exists subquery rather than a join, so that it does not change
        # the counts of with_claim_counts() on the same queryset.
        claim_model = self.model._meta.get_field("claims").related_model
        return self.filter(
            Exists(claim_model.objects.filter(article=OuterRef("pk"), state="candidate"))
        )


class ClaimQuerySet(models.QuerySet):
    def for_user(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(article__project__memberships__user=user)

    def for_article(self, article):
        return self.filter(article=article)

    def candidates(self):
        return self.filter(state="candidate")

    def reading_order(self):
        return self.order_by("start", "end", "pk")

    def for_review(self):
        """What the review page shows of each claim, in a fixed number of
        queries: the final verdict joined, the evidence counted, the verdicts
        (with their reviewer and label) prefetched in one more query."""
        verdict_model = self.model._meta.get_field("verdicts").related_model
        return (
            self.select_related("final_verdict")
            .annotate(evidence_count=Count("evidence", distinct=True))
            .prefetch_related(
                Prefetch(
                    "verdicts",
                    queryset=verdict_model.objects.select_related("reviewer", "label").order_by(
                        "created_at", "pk"
                    ),
                )
            )
            .reading_order()
        )

    def disagreed(self):
        """Claims on which two reviewers gave different verdicts."""
        Verdict = self.model._meta.get_field("verdicts").related_model
        other_label = Verdict.objects.filter(claim=OuterRef(OuterRef("pk"))).exclude(
            label=OuterRef("label")
        )
        return self.filter(
            Exists(Verdict.objects.filter(Exists(other_label), claim=OuterRef("pk")))
        )

    def reviewed(self):
        """Claims a person has touched: never replaced by re-extraction."""
        return self.exclude(pk__in=self.untouched_candidates().values("pk"))

    def untouched_candidates(self):
        """Extracted candidates nobody has decided, edited, judged or linked yet,
        nor confirmed or rejected as a match: the only claims a re-extraction
        may replace. (Deleting one in a rejected match would delete the
        rejection with it, and the matcher would propose the pair again.)"""
        ClaimMatch = self.model._meta.apps.get_model("annotations", "ClaimMatch")
        decided = ClaimMatch.objects.filter(
            Q(left=OuterRef("pk")) | Q(right=OuterRef("pk")),
            state__in=["confirmed", "rejected"],
        )
        return self.filter(
            ~Exists(decided),
            origin="extracted",
            state="candidate",
            version=1,
            verdicts__isnull=True,
            evidence__isnull=True,
            cited_by__isnull=True,
        )


class VerdictQuerySet(models.QuerySet):
    def in_project(self, project):
        return self.filter(claim__article__project=project)

    def for_agreement(self):
        """``(claim id, reviewer id, label id)`` of the claims judged by two
        reviewers or more: what agreement is measured on."""
        several = (
            self.order_by()
            .values("claim_id")
            .annotate(n=Count("pk"))
            .filter(n__gte=2)
            .values("claim_id")
        )
        return self.filter(claim_id__in=several).values_list("claim_id", "reviewer_id", "label_id")

    def reviewer_agreement(self) -> tuple["Agreement", list["NamedPair"]]:
        """The agreement of these verdicts, and its pairs of reviewers with
        their usernames (two queries, whatever the number of verdicts)."""
        from django.contrib.auth import get_user_model

        from annotations.agreement import NamedPair, agreement  # numpy: loaded when used

        result = agreement(self.for_agreement().iterator())
        ids = {p.first for p in result.pairs} | {p.second for p in result.pairs}
        names = dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))
        return result, [NamedPair(names[p.first], names[p.second], p) for p in result.pairs]


class ExtractionRunQuerySet(models.QuerySet):
    def active(self):
        return self.filter(state__in=["queued", "running"])
