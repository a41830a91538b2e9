"""Changing the evidence listed in a claim's detail panel: its stance and
note, or removing it. The reviewer who linked it may, and so may editors and
admins (``evidence_link_changeable``); the page offers the forms only to them.

Like every action of the review page, the answer is the refreshed partials
for htmx, a redirect for a plain post, and the form as typed with the reason
when the change is refused.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods, require_POST

from annotations import forms
from annotations.models import EvidenceLink, Role
from annotations.services.claims import StaleWrite
from annotations.services.evidence import (
    EvidenceRejected,
    evidence_link_changeable,
    evidence_link_delete,
    evidence_link_update,
)
from annotations.views.access import get_claim, get_project_for_user
from annotations.views.claim_actions import CONFLICT, INVALID, _answer, _rebased
from annotations.views.review import review_url

# The evidence section is the target; the row shows the evidence count.
EVIDENCE_PARTS = ["evidence", "claim-row", "flash"]


@require_POST
def evidence_update(request, slug, pk, link_pk):
    """Change a link's stance and note. A link changed by someone else since
    the form was shown is refused (409) with their version shown above the
    form, which keeps what this reviewer typed."""
    project, membership = get_project_for_user(request, slug, Role.REVIEWER)
    claim = get_claim(project, pk)
    link = _link(claim, link_pk)
    _require_change_right(membership, link)
    form = forms.EvidenceLinkForm(request.POST, link=link)
    if not form.is_valid():
        return _answer(
            request,
            membership,
            claim,
            EVIDENCE_PARTS,
            INVALID,
            link_form=form,
            message="Not saved: choose a stance.",
        )
    data = form.cleaned_data
    try:
        evidence_link_update(
            link=link,
            user=request.user,
            expected_version=data["version"],
            stance=data["stance"],
            note=data["note"],
        )
    except StaleWrite as exc:
        current = exc.current
        form = forms.EvidenceLinkForm(
            _rebased(request.POST, f"{form.prefix}-version", current.version), link=link
        )
        form.is_valid()
        form.conflict = {
            "message": f"Not saved: {exc} Their version is shown; your text is kept below. "
            "Save again to replace theirs.",
            "fields": [("Stance", current.get_stance_display()), ("Note", current.note or "—")],
        }
        return _answer(
            request,
            membership,
            claim,
            EVIDENCE_PARTS,
            CONFLICT,
            link_form=form,
            message=form.conflict["message"],
        )
    except EvidenceRejected as exc:
        form.add_error(None, str(exc))
        return _answer(
            request, membership, claim, EVIDENCE_PARTS, INVALID, link_form=form, message=str(exc)
        )
    return _answer(request, membership, claim, EVIDENCE_PARTS, message="Evidence saved.")


@require_http_methods(["GET", "POST"])
def evidence_delete(request, slug, pk, link_pk):
    """Remove a link. With JavaScript the button asks for confirmation and
    posts; without, it opens this page (GET), which asks and posts."""
    project, membership = get_project_for_user(request, slug, Role.REVIEWER)
    claim = get_claim(project, pk)
    if request.method == "GET":
        link = _link(claim, link_pk, with_target=True)
        _require_change_right(membership, link)
        context = {
            "project": project,
            "claim": claim,
            "link": link,
            "back": review_url(project, claim, f"evidence-{claim.pk}"),
        }
        return render(request, "annotations/evidence_delete.html", context)
    try:
        link = _link(claim, link_pk)
    except Http404:  # removed from another tab, or by someone else
        return _answer(
            request,
            membership,
            claim,
            EVIDENCE_PARTS,
            message="This evidence link had been removed already.",
        )
    _require_change_right(membership, link)
    evidence_link_delete(link=link, user=request.user)
    # A link made by confirming a match is named in the matches section too.
    parts = [*EVIDENCE_PARTS, "matches"] if link.target_claim_id else EVIDENCE_PARTS
    return _answer(request, membership, claim, parts, message="Evidence link removed.")


def _link(claim, pk: int, *, with_target: bool = False) -> EvidenceLink:
    """One of the claim's links (404 for any other)."""
    links = EvidenceLink.objects.filter(claim=claim)
    if with_target:
        links = links.select_related("source", "target_article", "target_claim__article")
    link = get_object_or_404(links, pk=pk)
    link.claim = claim  # with its article and project: spares the service queries
    return link


def _require_change_right(membership, link) -> None:
    if not evidence_link_changeable(link, membership=membership):
        raise PermissionDenied(
            "Only the reviewer who linked this evidence, or an editor, can change it."
        )
