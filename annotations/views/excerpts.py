"""The excerpt of an evidence link to another article, or to a claim in one:
the article's canonical text with the excerpt highlighted, where the reviewer
selects the passage the evidence rests on. (A URL source has the same on its
own page, ``source_detail``.)

The excerpt is stored like a claim's span: quote, 32 characters either side,
and code-point offsets; the page's script converts the browser's UTF-16
offsets, and the service checks that the text between them is the quote.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from annotations import forms
from annotations.extraction.spans import SpanError
from annotations.models import EvidenceLink
from annotations.services.claims import StaleWrite
from annotations.services.evidence import (
    EvidenceRejected,
    evidence_link_changeable,
    evidence_link_update,
)
from annotations.views.access import get_project_for_user
from annotations.views.highlighting import STANCE_ICONS
from annotations.views.rendering import render_partials
from annotations.views.review import review_url
from annotations.views.sources import excerpt_span, highlight_excerpts

EXCERPT_TEMPLATE = "annotations/evidence_excerpt.html"
SAVED_PARTS = ["excerpt-form", "excerpt-text"]
# Neither the citing article's texts nor the original inputs are shown.
_UNSHOWN = (
    "claim__article__canonical_text",
    "claim__article__original_input",
    "target_article__original_input",
    "target_claim__article__original_input",
)


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def evidence_excerpt(request, slug, pk):
    """Show the excerpt in the target article's text (anyone in the project);
    set it from a selection (its author, or an editor)."""
    project, membership = get_project_for_user(request, slug)
    link = get_object_or_404(
        EvidenceLink.objects.filter(claim__article__project=project)
        .select_related("claim__article", "target_article", "target_claim__article")
        .defer(*_UNSHOWN),
        pk=pk,
    )
    if link.source_id:
        if request.method == "POST":
            raise Http404("A source's excerpt is set on the source's page.")
        return redirect(f"{reverse('source_detail', args=[slug, link.source_id])}#excerpt-{pk}")
    if request.method == "GET":
        return render(request, EXCERPT_TEMPLATE, excerpt_context(request, membership, link))
    if not evidence_link_changeable(link, membership=membership):
        raise PermissionDenied(
            "Only the reviewer who linked this evidence, or an editor, can change its excerpt."
        )
    return _save(request, membership, link)


def _save(request, membership, link):
    project = membership.project
    link.claim.article.project = project  # spares the service a query
    form = forms.ExcerptForm(request.POST)
    posted = {key: request.POST.get(key, "") for key in ("quote", "start", "end", "version")}
    status, error = 200, ""
    if not form.is_valid():
        status = 422
        error = "Not saved: " + " ".join(e for errors in form.errors.values() for e in errors)
    else:
        try:
            start, end = form.span(_text(link))
            evidence_link_update(
                link=link,
                user=request.user,
                expected_version=form.cleaned_data["version"],
                excerpt=form.cleaned_data["quote"],
                excerpt_start=start,
                excerpt_end=end,
            )
        except (SpanError, EvidenceRejected) as exc:
            # Select again, or (without JavaScript) save the words alone: they
            # are looked for in the text.
            status, error = 422, f"Not saved: {exc}."
            posted.update(start="", end="")
        except StaleWrite as exc:
            status = 409
            error = f"Not saved: {exc} Theirs is highlighted now; save again to replace it."
    if status == 200 and not request.htmx:
        messages.success(request, "Excerpt saved.")
        return redirect(f"{request.path}#excerpt-{link.pk}")
    if status in (200, 409):
        # The excerpt saved now (this one, or someone else's) is highlighted.
        link.refresh_from_db(
            fields=["excerpt", "excerpt_start", "excerpt_end", "stance", "note", "version"]
        )
    if status == 409:
        posted["version"] = link.version  # saving again replaces theirs, knowingly
    context = excerpt_context(
        request,
        membership,
        link,
        excerpt=posted if status != 200 else None,
        flash=error or "Excerpt saved.",
        flash_error=status != 200,
    )
    if request.htmx:
        parts = SAVED_PARTS if status in (200, 409) else SAVED_PARTS[:1]
        return render_partials(request, parts, context, status=status, template=EXCERPT_TEMPLATE)
    return render(request, EXCERPT_TEMPLATE, context, status=status)


def excerpt_context(request, membership, link, *, excerpt=None, **extra) -> dict:
    """The page in a fixed number of queries (the link with its claim and its
    target's article, loaded by the view). ``excerpt`` is what the form
    shows: by default the link's excerpt, or for a link to a claim without
    one, the claim's own words."""
    project = membership.project
    target_claim = link.target_claim
    target = link.target_article or target_claim.article
    text = target.canonical_text
    link.span = excerpt_span(text, link)
    link.stance_icon = STANCE_ICONS.get(link.stance, "")
    if excerpt is None:
        excerpt = {"quote": link.excerpt, "version": link.version}
        if link.span:
            excerpt.update(start=link.span[0], end=link.span[1])
        elif not link.excerpt and target_claim is not None:
            excerpt.update(quote=target_claim.quote, proposed=True)
            if text[target_claim.start : target_claim.end] == target_claim.quote:
                excerpt.update(start=target_claim.start, end=target_claim.end)
    return {
        "project": project,
        "link": link,
        "claim": link.claim,
        "target": target,
        "target_claim": target_claim,
        "text_html": highlight_excerpts(text, [link]),
        "can_change": evidence_link_changeable(link, membership=membership),
        "excerpt": excerpt,
        "back": review_url(project, link.claim, f"evidence-{link.claim_id}"),
        **extra,
    }


def _text(link) -> str:
    return (link.target_article or link.target_claim.article).canonical_text
