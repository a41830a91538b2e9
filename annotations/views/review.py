"""The review page of one article, and the partials it refreshes.

The page is one template (``annotations/review.html``) with named partials:
the highlighted text, the claim list and each claim's row, the counts, the
detail panel of the selected claim, the extraction status. A plain request
gets the whole page; htmx asks for the partial it needs.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.db.models import Q
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from annotations import forms
from annotations.models import (
    Article,
    Claim,
    ClaimMatch,
    ClaimState,
    ClaimType,
    ExtractionRun,
    Role,
)
from annotations.services.extraction import extraction_enqueue
from annotations.views.access import get_article, get_claim, get_project_for_user
from annotations.views.highlighting import (
    STANCE_ICONS,
    anchored,
    claim_icon,
    highlight,
    marks_for,
)
from annotations.views.rendering import REVIEW_TEMPLATE, render_partials

TARGETS_SHOWN = 8
PRESSED = mark_safe(' aria-pressed="true"')


@require_GET
@vary_on_headers("HX-Request")
def article_detail(request, slug, pk):
    """The review page. ``?claim=`` selects the claim shown in the detail
    panel, so every claim has an address that works without JavaScript."""
    project, membership = get_project_for_user(request, slug)
    article = get_article(project, pk)
    context = article_context(request, project, membership, article)
    selected = _selected(context, request.GET.get("claim"))
    if selected is not None:
        context.update(
            detail_context(request, context, selected, evidence_q=request.GET.get("ev-q", ""))
        )
    return render(request, REVIEW_TEMPLATE, context)


@require_GET
@vary_on_headers("HX-Request")
def claim_detail(request, slug, pk):
    """The detail panel of one claim (htmx), or the review page showing it."""
    project, membership = get_project_for_user(request, slug)
    claim = get_claim(project, pk)
    if not request.htmx:
        return redirect(review_url(project, claim))
    context = claim_context(request, project, membership, claim.article, claim.pk, with_text=False)
    context.update(detail_context(request, context, context["selected"]))
    return render_partials(request, ["claim-detail"], context)


@require_GET
@vary_on_headers("HX-Request")
def article_status(request, slug, pk):
    """The extraction status, polled while a run is queued or running. When
    the run ends, the claims it found come along out of band."""
    project, membership = get_project_for_user(request, slug)
    article = get_article(project, pk)
    if not request.htmx:
        return redirect("article_detail", slug=project.slug, pk=article.pk)
    if request.GET.get("was") == "active" and article.extraction_state not in (
        "queued",
        "running",
    ):
        context = article_context(request, project, membership, article)
        return render_partials(
            request, ["extraction-status", "article-text", "claim-list", "review-counts"], context
        )
    context = {
        "project": project,
        "article": article,
        "last_run": _last_run(article),
        "can_review": membership.has_role(Role.REVIEWER),
    }
    return render_partials(request, ["extraction-status"], context)


@require_POST
def article_extract(request, slug, pk):
    project, _ = get_project_for_user(request, slug, Role.REVIEWER)
    article = get_article(project, pk)
    run = extraction_enqueue(article=article, user=request.user)
    message = "Extraction queued. Reviewed claims are never changed by it."
    if request.htmx:
        context = {
            "project": project,
            "article": article,
            "last_run": run,
            "can_review": True,
            "status_message": message,
        }
        return render_partials(request, ["extraction-status"], context)
    if run.state == ExtractionRun.State.QUEUED:
        messages.info(request, message)
    return redirect("article_detail", slug=project.slug, pk=article.pk)


@require_GET
def article_next(request, slug, pk):
    """The next article (by id, wrapping round) with open candidates: first
    among those assigned to the reviewer, then among all."""
    project, _ = get_project_for_user(request, slug)
    open_articles = Article.objects.in_project(project).with_open_candidates().exclude(pk=pk)
    for queryset in (open_articles.filter(assigned_to=request.user), open_articles):
        following = queryset.filter(pk__gt=pk).order_by("pk").first()
        article = following or queryset.order_by("pk").first()
        if article is not None:
            return redirect("article_detail", slug=project.slug, pk=article.pk)
    messages.info(request, "No other article has open candidates.")
    return redirect("article_list", slug=project.slug)


@require_GET
def evidence_targets(request, slug, pk):
    """Autocomplete: articles and claims of the project matching ``ev-q``."""
    project, _ = get_project_for_user(request, slug)
    claim = get_claim(project, pk)
    context = {
        "selected": claim,
        "project": project,
        **find_targets(claim, request.GET.get("ev-q")),
    }
    return render_partials(request, ["evidence-targets"], context)


def find_targets(claim, query) -> dict:
    query = (query or "").strip()
    if len(query) < 2:
        return {"target_query": query, "target_articles": [], "target_claims": []}
    project = claim.article.project
    articles = (
        Article.objects.in_project(project)
        .exclude(pk=claim.article_id)
        .filter(Q(title__icontains=query) | Q(outlet__icontains=query))
        .only("id", "title", "outlet")
        .order_by("-id")[:TARGETS_SHOWN]
    )
    claims = (
        Claim.objects.filter(article__project=project)
        .exclude(pk=claim.pk)
        .filter(Q(quote__icontains=query) | Q(normalized_text__icontains=query))
        .select_related("article")
        .only("id", "quote", "state", "article__id", "article__title")
        .order_by("-id")[:TARGETS_SHOWN]
    )
    return {"target_query": query, "target_articles": articles, "target_claims": claims}


def article_context(request, project, membership, article) -> dict:
    """Everything the page shows besides the detail panel, in a fixed number
    of queries: the claims with their verdicts, the labels, the last run."""
    text = article.canonical_text
    claims = list(Claim.objects.for_article(article).for_review())
    context = _base_context(request, project, membership, article)
    _prepare_rows(claims, text, project, context["can_review"])
    labels = context["labels"]
    context.update(
        claims=claims,
        counts=_counts(claims, labels),
        text_html=highlight(text, marks_for(text, claims)),
        last_run=_last_run(article),
    )
    return context


def claim_context(request, project, membership, article, pk, *, with_text=True) -> dict:
    """What the partials about one claim need, without rendering the whole
    list: the claim (as ``selected`` and ``claim``), and with ``with_text``
    the highlighted text and the counts, from one light query of the spans."""
    context = _base_context(request, project, membership, article)
    claim = Claim.objects.for_article(article).for_review().filter(pk=pk).first()
    if claim is None:
        return context
    text = article.canonical_text
    if with_text:
        labels = {label.pk: label for label in context["labels"]}
        spans = [
            _Span(*row, final_verdict=labels.get(row[-1]))
            for row in Claim.objects.for_article(article)
            .reading_order()
            .values_list("pk", "start", "end", "quote", "state", "final_verdict_id")
        ]
        for number, span in enumerate(spans, 1):
            span.number = number
        number = next(span.number for span in spans if span.pk == claim.pk)
        context.update(
            counts=_counts(spans, context["labels"]),
            text_html=highlight(text, marks_for(text, spans)),
        )
    else:
        number = (
            1
            + Claim.objects.for_article(article)
            .filter(
                Q(start__lt=claim.start)
                | Q(start=claim.start, end__lt=claim.end)
                | Q(start=claim.start, end=claim.end, pk__lt=claim.pk)
            )
            .count()
        )
    _prepare_rows([claim], text, project, context["can_review"], first_number=number)
    context.update(claim=claim, selected=claim)
    return context


@dataclass
class _Span:
    """A claim as the highlighted text and the counts need it."""

    pk: int
    start: int
    end: int
    quote: str
    state: str
    final_verdict_id: int | None
    final_verdict: object = None
    number: int = 0

    def get_state_display(self) -> str:
        return ClaimState(self.state).label


def _base_context(request, project, membership, article) -> dict:
    return {
        "project": project,
        "membership": membership,
        "article": article,
        "labels": list(project.verdict_labels.all()),
        "can_review": membership.has_role(Role.REVIEWER),
        "can_decide_final": membership.has_role(Role.EDITOR),
        "csrf_input": csrf_input(request),
        "add_form": forms.ClaimCreateForm(prefix="new"),
    }


def detail_context(request, context, claim, *, evidence_q="", **bound_forms) -> dict:
    """The detail panel of ``claim`` (one of ``context["claims"]``). Forms
    given in ``bound_forms`` (a rejected post) replace the blank ones, so
    whatever the reviewer typed is shown again."""
    labels = context["labels"]
    mine = next((v for v in claim.verdicts.all() if v.reviewer_id == request.user.pk), None)
    evidence = list(
        claim.evidence.select_related("source", "target_article", "target_claim__article")
    )
    detail = {
        "selected": claim,
        "my_verdict": mine,
        "evidence": evidence,
        "matches": claim_matches(claim, evidence),
        "edit_form": forms.ClaimEditForm(
            prefix="edit",
            initial={
                "normalized_text": claim.normalized_text,
                "claimant": claim.claimant,
                "claim_type": claim.claim_type,
                "version": claim.version,
            },
        ),
        "verdict_form": forms.VerdictForm(
            labels=labels,
            initial={
                "label": mine.label.slug if mine else None,
                "rationale": mine.rationale if mine else "",
                "verdict_version": mine.version if mine else 0,
            },
        ),
        "final_form": forms.FinalVerdictForm(
            labels=labels,
            prefix="final",
            initial={
                "final_verdict": claim.final_verdict.slug
                if claim.final_verdict_by_id and claim.final_verdict
                else "",
                "version": claim.version,
            },
        ),
        "evidence_form": forms.EvidenceForm(prefix="ev"),
        **find_targets(claim, evidence_q),
    }
    detail.update(bound_forms)
    return detail


# Articles' texts are not needed to show a match, and can be long.
_ARTICLE_TEXTS = ("canonical_text", "original_input")


def claim_matches(claim, evidence) -> list[ClaimMatch]:
    """The claim's suggested and confirmed matches in one query: suggestions
    first (they wait for a decision), best first. Each carries ``other`` (the
    claim in the other article) and ``link``, the evidence a confirmation
    created, found in ``evidence`` (the claim's links, loaded already)."""
    matches = list(
        ClaimMatch.objects.filter(Q(left=claim) | Q(right=claim))
        .exclude(state=ClaimMatch.State.REJECTED)
        .select_related("left__article", "right__article", "decided_by")
        .defer(*(f"{side}__article__{f}" for side in ("left", "right") for f in _ARTICLE_TEXTS))
    )
    matches.sort(key=lambda m: (m.state != ClaimMatch.State.SUGGESTED, -m.score, m.pk))
    cited = {link.target_claim_id: link for link in evidence if link.target_claim_id}
    first_suggested = True
    for match in matches:
        match.other = match.right if match.left_id == claim.pk else match.left
        match.link = cited.get(match.other.pk)
        match.stance_icon = STANCE_ICONS.get(match.stance, "")
        match.first_suggested = first_suggested and match.state == ClaimMatch.State.SUGGESTED
        first_suggested = first_suggested and not match.first_suggested
    return matches


def _prepare_rows(claims, text, project, can_review, first_number=1) -> None:
    """Number the claims in reading order and prepare the strings their rows
    show. A page may list hundreds of claims: plain strings made here render
    several times faster than the same logic in the template (no lookups,
    no lazy translations, no number localization, no URL reversing per row)."""
    decide_url = reverse("claim_decide", args=[project.slug, 0])
    states = {value: str(label) for value, label in ClaimState.choices}
    types = {value: str(label) for value, label in ClaimType.choices}
    for number, claim in enumerate(claims, first_number):
        claim.number = number
        claim.no = str(number)
        claim.key = str(claim.pk)
        claim.ver = str(claim.version)
        claim.icon = claim_icon(claim)
        claim.anchored = anchored(text, claim)
        verdict = claim.final_verdict
        row_class = f"claim-row s-{claim.state}" + (f" v-{verdict.slug}" if verdict else "")
        claim.row_attrs = format_html(
            'id="claim-{}" class="{}" data-claim="{}" data-version="{}"',
            claim.pk,
            row_class,
            claim.pk,
            claim.version,
        )
        quote = claim.quote if len(claim.quote) <= 160 else claim.quote[:159] + "…"
        claim.link = format_html(
            '<a class="claim-link" href="?claim={}#hl-{}" data-claim="{}">'
            '<span class="badge-inline" aria-hidden="true">{}{}</span> <q>{}</q></a>',
            claim.pk,
            claim.pk,
            claim.pk,
            number,
            claim.icon,
            quote,
        )
        meta = [states[claim.state]]
        if verdict:
            meta.append(f"final verdict {verdict.name.lower()}")
        meta.append(types.get(claim.claim_type, claim.claim_type))
        if claim.claimant:
            meta.append(claim.claimant)
        if claim.score is not None:
            meta.append(f"score {claim.score:.2f}")
        meta.append(f"{claim.evidence_count} evidence")
        claim.meta_line = " · ".join(meta)
        claim.reasons_line = "; ".join(str(reason) for reason in claim.reasons or ())
        claim.verdicts_line = ", ".join(
            f"{v.reviewer.get_username()}: {v.label.name.lower()}" for v in claim.verdicts.all()
        )
        reviewable = can_review and claim.state != "orphaned"
        claim.decide_url = decide_url.replace("/0/", f"/{claim.pk}/") if reviewable else ""
        claim.accept_pressed = PRESSED if claim.state == "accepted" else ""
        claim.dismiss_pressed = PRESSED if claim.state == "dismissed" else ""


def review_url(project, claim, anchor: str = "claim-detail") -> str:
    url = reverse("article_detail", args=[project.slug, claim.article_id])
    return f"{url}?claim={claim.pk}#{anchor}"


def selected(context, pk):
    """The claim ``pk`` among the page's claims (None if it is not there)."""
    return _selected(context, pk)


def csrf_input(request):
    """The hidden CSRF field, made once per page for the many row forms."""
    return format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
    )


def _selected(context, pk):
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return next((c for c in context["claims"] if c.pk == pk), None)


def _last_run(article):
    return article.extraction_runs.order_by("-queued_at", "-id").first()


def _counts(claims, labels) -> dict:
    by_state = {"candidate": 0, "accepted": 0, "dismissed": 0, "orphaned": 0}
    by_label = dict.fromkeys((label.pk for label in labels), 0)
    for claim in claims:
        by_state[claim.state] = by_state.get(claim.state, 0) + 1
        if claim.final_verdict_id in by_label:
            by_label[claim.final_verdict_id] += 1
    return {
        "states": by_state,
        "verdicts": [(label, by_label[label.pk]) for label in labels],
        "total": len(claims),
    }
