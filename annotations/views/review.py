"""The review page of one article, and the partials it refreshes.

The page is one template (``annotations/review.html``) with named partials:
the highlighted text, the claim list and each claim's row, the counts, the
detail panel of the selected claim, the extraction status. A plain request
gets the whole page; htmx asks for the partial it needs.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from annotations import forms
from annotations.models import (
    Article,
    Claim,
    ClaimMatch,
    ExtractionRun,
    Role,
    Verdict,
)
from annotations.services.evidence import evidence_link_changeable
from annotations.services.extraction import extraction_enqueue
from annotations.views.access import get_article, get_claim, get_project_for_user
from annotations.views.claim_rows import prepare_rows
from annotations.views.highlighting import STANCE_ICONS, highlight, marks_for
from annotations.views.rendering import REVIEW_TEMPLATE, render_partials

TARGETS_SHOWN = 8


@require_GET
@vary_on_headers("HX-Request")
def article_detail(request, slug, pk):
    """The review page. ``?claim=`` selects the claim shown in the detail
    panel, so every claim has an address that works without JavaScript."""
    project, membership = get_project_for_user(request, slug)
    article = get_article(project, pk)
    context = article_context(request, project, membership, article)
    claim = selected(context, request.GET.get("claim"))
    if claim is not None:
        context.update(
            detail_context(request, context, claim, evidence_q=request.GET.get("ev-q", ""))
        )
    return render(request, REVIEW_TEMPLATE, context)


@require_GET
@vary_on_headers("HX-Request")
def claim_detail(request, slug, pk):
    """The detail panel of one claim (htmx), or the review page showing it."""
    project, membership = get_project_for_user(request, slug)
    claim = review_claim(project, pk)
    if claim is None:
        raise Http404("No such claim in this project.")
    if not request.htmx:
        return redirect(review_url(project, claim))
    context = claim_context(request, project, membership, claim, with_text=False)
    context.update(detail_context(request, context, claim))
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
    of queries: the claims (as plain values, see ``_claim_rows``), who judged
    them how, the labels, the last run."""
    text = article.canonical_text
    context = _base_context(request, project, membership, article)
    labels = context["labels"]
    claims = _claim_rows(article, labels, ROW_FIELDS)
    prepare_rows(claims, text, verdicts=_verdict_names(article), decide_url=_decide_url(context))
    context.update(
        claims=claims,
        counts=_counts(claims, labels),
        text_html=highlight(text, marks_for(text, claims)),
        last_run=_last_run(article),
    )
    return context


def claim_context(request, project, membership, claim, *, with_text=True) -> dict:
    """What the partials about one claim (loaded by ``review_claim``) need,
    without rendering the whole list: the claim (as ``selected`` and
    ``claim``), and with ``with_text`` the highlighted text and the counts,
    from one light query of the spans."""
    article = claim.article
    context = _base_context(request, project, membership, article)
    text = article.canonical_text
    if with_text:
        spans = _claim_rows(article, context["labels"], SPAN_FIELDS)
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
    _prepare_claim(context, claim, number)
    context.update(claim=claim, selected=claim)
    return context


# What the page reads of each claim: plain values rather than model instances,
# several times faster for the hundreds of claims of a big article. The text
# and the counts need the first six; the rows of the list, all of them.
SPAN_FIELDS = ("pk", "start", "end", "quote", "state", "final_verdict_id")
ROW_FIELDS = (
    *SPAN_FIELDS,
    *("version", "claim_type", "claimant", "score", "reasons", "evidence_count"),
)


@dataclass(slots=True)
class _ClaimRow:
    """A claim as the highlighted text, the counts and the list show it."""

    pk: int
    start: int
    end: int
    quote: str
    state: str
    final_verdict_id: int | None
    version: int = 0
    claim_type: str = ""
    claimant: str = ""
    score: float | None = None
    reasons: list | None = None
    evidence_count: int = 0
    final_verdict: object = None
    # set by prepare_rows
    number: int = 0
    icon: str = ""
    anchored: bool = True
    verdicts_line: str = ""
    decide_url: str = ""


def _claim_rows(article, labels, fields) -> list[_ClaimRow]:
    """The article's claims in reading order, with ``fields`` only."""
    claims = Claim.objects.for_article(article).reading_order()
    if "evidence_count" in fields:
        claims = claims.annotate(evidence_count=Count("evidence", distinct=True))
    by_pk = {label.pk: label for label in labels}
    rows = [_ClaimRow(*values) for values in claims.values_list(*fields)]
    for row in rows:
        row.final_verdict = by_pk.get(row.final_verdict_id)
    return rows


def _verdict_names(article) -> dict[int, list[tuple[str, str]]]:
    """Who judged each claim of the article and how, as the rows show it:
    names only, in one light query."""
    reviewer = f"reviewer__{get_user_model().USERNAME_FIELD}"
    names: dict[int, list[tuple[str, str]]] = {}
    verdicts = (
        Verdict.objects.filter(claim__article=article)
        .order_by("created_at", "pk")
        .values_list("claim_id", reviewer, "label__name")
    )
    for claim_pk, name, label in verdicts:
        names.setdefault(claim_pk, []).append((name, label))
    return names


def review_claim(project, pk) -> Claim | None:
    """The claim ``pk`` of the project in full, with its article, as its row
    and the detail panel show it (None if it is not there, or gone)."""
    claims = Claim.objects.select_related("article").for_review()
    try:
        claim = claims.get(article__project=project, pk=pk)
    except Claim.DoesNotExist:
        return None
    claim.article.project = project  # spare the services a query
    return claim


def _prepare_claim(context, claim, number) -> None:
    """Prepare one claim loaded in full as its row and the panel show it."""
    verdicts = [(v.reviewer.get_username(), v.label.name) for v in claim.verdicts.all()]
    prepare_rows(
        [claim],
        context["article"].canonical_text,
        verdicts={claim.pk: verdicts},
        decide_url=_decide_url(context),
        first_number=number,
    )


def _decide_url(context) -> str:
    """The accept-or-dismiss URL of claim 0, if the user may review."""
    if not context["can_review"]:
        return ""
    return reverse("claim_decide", args=[context["project"].slug, 0])


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
    """The detail panel of ``claim`` (loaded by ``review_claim``). Forms
    given in ``bound_forms`` (a rejected post) replace the blank ones, so
    whatever the reviewer typed is shown again."""
    labels = context["labels"]
    mine = next((v for v in claim.verdicts.all() if v.reviewer_id == request.user.pk), None)

    def load_evidence():
        links = list(
            claim.evidence.select_related(
                "source", "target_article", "target_claim__article"
            ).defer(*_EVIDENCE_TEXTS)
        )
        _prepare_evidence(context, links, bound_forms.get("link_form"))
        return links

    # Loaded only if a partial shows them: an accept answers without either.
    evidence = SimpleLazyObject(load_evidence)
    detail = {
        "selected": claim,
        "my_verdict": mine,
        "evidence": evidence,
        "matches": SimpleLazyObject(lambda: claim_matches(claim, evidence)),
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
# Nor a source's snapshot text, to list the evidence.
_EVIDENCE_TEXTS = (
    "source__text",
    *(
        f"{article}__{f}"
        for article in ("target_article", "target_claim__article")
        for f in _ARTICLE_TEXTS
    ),
)


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


def review_url(project, claim, anchor: str = "claim-detail") -> str:
    url = reverse("article_detail", args=[project.slug, claim.article_id])
    return f"{url}?claim={claim.pk}#{anchor}"


def selected(context, pk):
    """The claim ``pk`` of the page's list (None if it is not there), loaded
    in full for the detail panel and numbered as in the list."""
    row = _selected(context, pk)
    claim = review_claim(context["project"], row.pk) if row is not None else None
    if claim is not None:
        _prepare_claim(context, claim, row.number)
    return claim


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


def _prepare_evidence(context, evidence, bound=None) -> None:
    """What each evidence link of the panel offers: its excerpt's page and,
    to the reviewer who linked it or an editor, a form to change its stance
    and note and a button to remove it. ``bound`` is a refused edit of one
    of them, shown as typed."""
    project, membership = context["project"], context["membership"]
    for link in evidence:
        link.may_change = evidence_link_changeable(link, membership=membership)
        if link.source_id:
            fetched = link.source.fetch_state == "fetched"
            url = reverse("source_detail", args=[project.slug, link.source_id]) if fetched else ""
            link.excerpt_url = f"{url}#excerpt-{link.pk}" if url else ""
        else:
            link.excerpt_url = reverse("evidence_excerpt", args=[project.slug, link.pk])
        if link.may_change:
            mine = bound is not None and bound.link_pk == link.pk
            link.edit_form = bound if mine else forms.EvidenceLinkForm(link=link)
