"""What a reviewer does to a claim from the review page: decide, edit, judge,
add by selection, link evidence, confirm or reject its matches.

Each action goes through a service. htmx gets back the partial it targeted
and, out of band, the partials the change touched; a plain post (no
JavaScript) is redirected back to the page. A refused change (someone else's
newer version, a span that does not match) answers 409 or 422 with the form
as the reviewer typed it and the reason, so nothing typed is lost.
"""

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from annotations import forms
from annotations.extraction.spans import SpanError
from annotations.models import Article, Claim, ClaimMatch, Role, Verdict
from annotations.services.claims import (
    ClaimRejected,
    StaleWrite,
    claim_accept,
    claim_create_manual,
    claim_dismiss,
    claim_set_final_verdict,
    claim_update,
    verdict_delete,
    verdict_set,
)
from annotations.services.evidence import EvidenceRejected, evidence_link_create
from annotations.services.matching import MatchDecisionRejected, match_confirm, match_reject
from annotations.views.access import get_article, get_claim, get_project_for_user
from annotations.views.rendering import REVIEW_TEMPLATE, render_partials
from annotations.views.review import (
    article_context,
    claim_context,
    detail_context,
    review_claim,
    review_url,
    selected,
)

CONFLICT, INVALID = 409, 422
# What every change to a claim's state or verdict refreshes besides its target.
# The detail panel's edit and final-verdict forms come along with the claim's
# new version; the page keeps a form the reviewer has started typing in.
STATE_PARTS = [
    "claim-row",
    "article-text",
    "review-counts",
    "detail-state",
    "edit-form",
    "final-form",
    "flash",
]


@require_POST
def claim_decide(request, slug, pk):
    """Accept or dismiss a claim."""
    project, membership = get_project_for_user(request, slug, Role.REVIEWER)
    claim = get_claim(project, pk)
    form = forms.ClaimDecisionForm(request.POST)
    if not form.is_valid():
        return _answer(
            request,
            membership,
            claim,
            ["claim-row", "flash"],
            INVALID,
            message="Choose accept or dismiss.",
        )
    accept = form.cleaned_data["action"] == "accept"
    service = claim_accept if accept else claim_dismiss
    try:
        service(claim=claim, user=request.user, expected_version=form.cleaned_data["version"])
    except StaleWrite as exc:
        state = exc.current.get_state_display().lower()
        message = f"Not saved: {exc} It is {state} now. Nothing was overwritten."
        return _answer(request, membership, claim, STATE_PARTS, CONFLICT, message=message)
    except ClaimRejected as exc:
        return _answer(request, membership, claim, STATE_PARTS, INVALID, message=str(exc))
    done = "accepted" if accept else "dismissed"
    return _answer(request, membership, claim, STATE_PARTS, message=f"Claim {done}.")


@require_POST
def claim_edit(request, slug, pk):
    """Change the normalized wording, claimant or type."""
    project, membership = get_project_for_user(request, slug, Role.REVIEWER)
    claim = get_claim(project, pk)
    form = forms.ClaimEditForm(request.POST, prefix="edit")
    parts = ["edit-form", "claim-row", "detail-state", "final-form", "flash"]
    if not form.is_valid():
        return _answer(request, membership, claim, parts, INVALID, edit_form=form)
    data = form.cleaned_data
    try:
        claim_update(
            claim=claim,
            user=request.user,
            expected_version=data["version"],
            normalized_text=data["normalized_text"],
            claimant=data["claimant"],
            claim_type=data["claim_type"],
        )
    except StaleWrite as exc:
        current = exc.current
        conflict = _conflict(
            exc,
            [
                ("Normalized wording", current.normalized_text or "—"),
                ("Claimant", current.claimant or "—"),
                ("Type", current.get_claim_type_display()),
                ("State", current.get_state_display()),
            ],
        )
        form = forms.ClaimEditForm(
            _rebased(request.POST, "edit-version", current.version), prefix="edit"
        )
        form.is_valid()
        return _answer(
            request,
            membership,
            claim,
            parts,
            CONFLICT,
            edit_form=form,
            edit_conflict=conflict,
            message=conflict["message"],
        )
    except ClaimRejected as exc:
        form.add_error(None, str(exc))
        return _answer(request, membership, claim, parts, INVALID, edit_form=form)
    return _answer(request, membership, claim, parts, message="Claim saved.")


@require_POST
def claim_verdict(request, slug, pk):
    """Set the reviewer's own verdict and rationale."""
    project, membership = get_project_for_user(request, slug, Role.REVIEWER)
    claim = get_claim(project, pk)
    labels = list(project.verdict_labels.all())
    form = forms.VerdictForm(request.POST, labels=labels)
    parts = ["verdict-form", "verdict-list", *STATE_PARTS]
    if not form.is_valid():
        return _answer(
            request,
            membership,
            claim,
            parts,
            INVALID,
            verdict_form=form,
            message="Choose a verdict.",
        )
    data = form.cleaned_data
    try:
        verdict_set(
            claim=claim,
            reviewer=request.user,
            label=data["label"],
            rationale=data["rationale"],
            expected_version=data["verdict_version"],
        )
    except StaleWrite as exc:
        return _verdict_stale(request, membership, claim, parts, exc, labels)
    except ClaimRejected as exc:
        form.add_error(None, str(exc))
        return _answer(
            request, membership, claim, parts, INVALID, verdict_form=form, message=str(exc)
        )
    label = next(label.name for label in labels if label.slug == data["label"])
    return _answer(request, membership, claim, parts, message=f"Verdict saved: {label}.")


@require_POST
def claim_final_verdict(request, slug, pk):
    """An editor's final verdict, or back to the reviewers' agreement."""
    project, membership = get_project_for_user(request, slug, Role.EDITOR)
    claim = get_claim(project, pk)
    form = forms.FinalVerdictForm(
        request.POST, labels=list(project.verdict_labels.all()), prefix="final"
    )
    parts = ["final-form", *(p for p in STATE_PARTS if p != "final-form")]
    if not form.is_valid():
        return _answer(request, membership, claim, parts, INVALID, final_form=form)
    try:
        claim_set_final_verdict(
            claim=claim,
            editor=request.user,
            label=form.cleaned_data["final_verdict"] or None,
            expected_version=form.cleaned_data["version"],
        )
    except StaleWrite as exc:
        return _answer(
            request,
            membership,
            claim,
            parts,
            CONFLICT,
            message=f"Not saved: {exc} Look again, then decide.",
        )
    except ClaimRejected as exc:
        form.add_error(None, str(exc))
        return _answer(request, membership, claim, parts, INVALID, final_form=form)
    return _answer(request, membership, claim, parts, message="Final verdict saved.")


@require_POST
def claim_create(request, slug, pk):
    """A claim from text the reviewer selected."""
    project, membership = get_project_for_user(request, slug, Role.REVIEWER)
    article = get_article(project, pk)
    form = forms.ClaimCreateForm(request.POST, prefix="new")
    claim = None
    if form.is_valid():
        try:
            start, end = form.span(article.canonical_text)
            claim = claim_create_manual(
                article=article,
                start=start,
                end=end,
                quote=form.cleaned_data["quote"],
                user=request.user,
                claim_type=form.cleaned_data["claim_type"],
                claimant=form.cleaned_data["claimant"],
            )
        except (SpanError, ClaimRejected) as exc:
            form.add_error("quote", str(exc))
    if claim is None:
        if not request.htmx:
            context = article_context(request, project, membership, article)
            context["add_form"] = form
            return render(request, REVIEW_TEMPLATE, context, status=INVALID)
        context = {"project": project, "article": article, "add_form": form, "can_review": True}
        return render_partials(request, ["add-claim"], context, status=INVALID)
    parts = ["add-claim", "claim-detail", "claim-list", "article-text", "review-counts", "flash"]
    return _answer(request, membership, claim, parts, message="Claim added.")


@require_POST
def evidence_create(request, slug, pk):
    """Link evidence to a claim: a URL, or an article or claim of the project."""
    project, membership = get_project_for_user(request, slug, Role.REVIEWER)
    claim = get_claim(project, pk)
    form = forms.EvidenceForm(request.POST, prefix="ev")
    parts = ["evidence", "claim-row", "flash"]
    if not form.is_valid():
        return _answer(request, membership, claim, parts, INVALID, evidence_form=form)
    data = form.cleaned_data
    target = form.target_kind_and_id()
    target_article = target_claim = None
    if target and target[0] == "article":
        target_article = Article.objects.in_project(project).filter(pk=target[1]).first()
    elif target:
        target_claim = (
            Claim.objects.filter(article__project=project, pk=target[1])
            .select_related("article")
            .first()
        )
    if target and target_article is None and target_claim is None:
        form.add_error(None, "That article or claim is not in this project any more.")
        return _answer(request, membership, claim, parts, INVALID, evidence_form=form)
    try:
        evidence_link_create(
            claim=claim,
            user=request.user,
            stance=data["stance"],
            url=data["url"],
            target_article=target_article,
            target_claim=target_claim,
            note=data["note"],
        )
    except EvidenceRejected as exc:
        form.add_error(None, str(exc))
        return _answer(request, membership, claim, parts, INVALID, evidence_form=form)
    return _answer(request, membership, claim, parts, message="Evidence linked.")


@require_POST
def match_decide(request, slug, pk, match_pk):
    """Confirm a match of the claim (each claim becomes evidence for the other)
    or reject it (never proposed again)."""
    project, membership = get_project_for_user(request, slug, Role.REVIEWER)
    claim = get_claim(project, pk)
    match = get_object_or_404(
        ClaimMatch.objects.filter(Q(left=claim) | Q(right=claim)), pk=match_pk
    )
    action = request.POST.get("action")
    if action not in ("confirm", "reject"):
        return _answer(
            request,
            membership,
            claim,
            ["matches", "flash"],
            INVALID,
            message="Choose confirm or reject.",
        )
    try:
        if action == "confirm":
            match_confirm(match=match, user=request.user)
        else:
            match_reject(match=match, user=request.user)
    except MatchDecisionRejected as exc:
        return _answer(request, membership, claim, ["matches", "flash"], INVALID, message=str(exc))
    if action == "confirm":
        # The new evidence shows in the panel and in the row's count.
        parts = ["matches", "evidence", "claim-row", "flash"]
        message = "Match confirmed: each claim is now evidence for the other."
    else:
        parts = ["matches", "flash"]
        message = "Match rejected: it will not be proposed again."
    return _answer(request, membership, claim, parts, message=message)


def _answer(request, membership, claim, parts, status=200, *, message="", **extra):
    """The response to an action on ``claim``. ``extra`` may hold bound forms
    (``edit_form``, ``verdict_form``...) that replace the blank ones."""
    project = membership.project
    if not request.htmx and status < 400:
        messages.success(request, message)
        anchor = {"evidence": f"evidence-{claim.pk}", "matches": f"matches-{claim.pk}"}.get(
            parts[0], "claim-detail"
        )
        return redirect(review_url(project, claim, anchor))
    if "claim-list" in parts or not request.htmx:
        context = article_context(request, project, membership, claim.article)
        current = selected(context, claim.pk)
    else:
        current = review_claim(project, claim.pk)
        if current is not None:
            with_text = "article-text" in parts
            context = claim_context(request, project, membership, current, with_text=with_text)
    if current is None:  # gone meanwhile (a re-extraction replaced it)
        messages.error(request, "This claim no longer exists.")
        return redirect("article_detail", slug=project.slug, pk=claim.article_id)
    bound = {k: v for k, v in extra.items() if k.endswith("_form")}
    context.update(detail_context(request, context, current, **bound))
    context.update({k: v for k, v in extra.items() if k not in bound})
    context.update(claim=current, flash=message, flash_error=status >= 400)
    if status >= 400:
        context["row_message"] = message
    if request.htmx:
        return render_partials(request, parts, context, status=status)
    return render(request, REVIEW_TEMPLATE, context, status=status)


def _conflict(exc: StaleWrite, fields) -> dict:
    return {
        "message": f"Not saved: {exc} Their version is shown; your text is kept below. "
        "Save again to replace theirs.",
        "fields": fields,
    }


def _rebased(data, field: str, version: int):
    """The posted data on top of the current version: saving it again is a
    deliberate replacement of the other reviewer's change."""
    data = data.copy()
    data[field] = str(version)
    return data


@require_POST
def verdict_withdraw(request, slug, pk):
    """Withdraw the reviewer's own verdict. The claim's final verdict follows
    the verdicts left, unless an editor set it."""
    project, membership = get_project_for_user(request, slug, Role.REVIEWER)
    claim = get_claim(project, pk)
    parts = ["verdict-form", "verdict-list", *STATE_PARTS]
    mine = Verdict.objects.filter(claim=claim, reviewer=request.user).first()
    if mine is None:
        return _answer(request, membership, claim, parts, message="You have no verdict here.")
    try:
        verdict_delete(
            verdict=mine,
            reviewer=request.user,
            expected_version=_version(request.POST.get("verdict_version")),
        )
    except StaleWrite as exc:
        # Changed from another tab since this one showed it: show it, and
        # let a second click withdraw what is there now.
        message = f"Not withdrawn: {exc} It is shown below; withdraw again to withdraw it."
        labels = list(project.verdict_labels.all())
        return _verdict_stale(request, membership, claim, parts, exc, labels, message=message)
    return _answer(request, membership, claim, parts, message="Verdict withdrawn.")


def _verdict_stale(request, membership, claim, parts, exc: StaleWrite, labels, *, message=""):
    """409: the reviewer's verdict changed (or was withdrawn) since the form
    showed it. The current one is shown; the form keeps what was typed, on
    top of the current version, so saving again is a deliberate choice."""
    current = exc.current
    if isinstance(current, Verdict):
        shown = [("Verdict", current.label.name), ("Rationale", current.rationale or "—")]
        version = current.version
    else:
        shown = [("Verdict", "withdrawn")]
        version = 0
    conflict = _conflict(exc, shown)
    if message:
        conflict["message"] = message
    form = forms.VerdictForm(_rebased(request.POST, "verdict_version", version), labels=labels)
    form.is_valid()
    return _answer(
        request,
        membership,
        claim,
        parts,
        CONFLICT,
        verdict_form=form,
        verdict_conflict=conflict,
        message=conflict["message"],
    )


def _version(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
