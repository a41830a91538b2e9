"""A cited source: its snapshot, the excerpts quoted from it, and the claims
that cite it."""

from html import escape
from itertools import pairwise

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from annotations.models import EvidenceLink, Role, Source
from annotations.services.claims import StaleWrite
from annotations.services.evidence import (
    EvidenceRejected,
    evidence_link_changeable,
    evidence_link_update,
    source_refetch,
)
from annotations.views.access import get_project_for_user
from annotations.views.highlighting import STANCE_ICONS
from annotations.views.rendering import render_partials

SOURCE_TEMPLATE = "annotations/source_detail.html"


@require_GET
def source_detail(request, slug, pk):
    """The snapshot with every excerpt highlighted, in a fixed number of
    queries: the source, then its links with their claims and articles."""
    project, membership = get_project_for_user(request, slug)
    source = get_object_or_404(Source.objects.filter(project=project), pk=pk)
    return render(request, SOURCE_TEMPLATE, source_context(project, membership, source))


def source_context(project, membership, source, **extra) -> dict:
    links = list(
        source.evidence.select_related("claim__article")
        .defer("claim__article__canonical_text", "claim__article__original_input")
        .order_by(F("excerpt_start").asc(nulls_last=True), "pk")
    )
    for link in links:
        link.stance_icon = STANCE_ICONS.get(link.stance, "")
        link.span = excerpt_span(source.text, link)
    return {
        "project": project,
        "source": source,
        "links": links,
        # The links whose excerpt the user may set: their own, or any for an editor.
        "editable_links": [
            link for link in links if evidence_link_changeable(link, membership=membership)
        ],
        "text_html": highlight_excerpts(source.text, links),
        "can_review": membership.has_role(Role.REVIEWER),
        "excerpt": {},
        **extra,
    }


EXCERPT_PARTS = ["excerpt-form", "source-text", "citing"]


@require_POST
@vary_on_headers("HX-Request")
def source_excerpt(request, slug, pk):
    """Set a link's excerpt to a passage selected in the snapshot. Offsets
    are code points (the page's script converts the browser's UTF-16 ones);
    the service checks that the text between them is the quote."""
    project, membership = get_project_for_user(request, slug, Role.REVIEWER)
    source = get_object_or_404(Source.objects.filter(project=project), pk=pk)
    link = get_object_or_404(
        EvidenceLink.objects.filter(source=source, claim__article__project=project).select_related(
            "claim__article__project", "source"
        ),
        pk=min(max(_int(request.POST.get("link")) or 0, 0), 2**31 - 1),
    )
    if not evidence_link_changeable(link, membership=membership):
        raise PermissionDenied(
            "Only the reviewer who linked this evidence, or an editor, can change its excerpt."
        )
    posted = {
        "link": link.pk,
        "quote": request.POST.get("quote", ""),
        "start": request.POST.get("start", ""),
        "end": request.POST.get("end", ""),
    }
    start, end = _int(posted["start"]), _int(posted["end"])
    expected = _int(request.POST.get(f"version-{link.pk}")) or link.version
    status = 200
    try:
        if not posted["quote"] or start is None or end is None:
            raise EvidenceRejected("Select a passage in the snapshot first.")
        evidence_link_update(
            link=link,
            user=request.user,
            expected_version=expected,
            excerpt=posted["quote"],
            excerpt_start=start,
            excerpt_end=end,
        )
    except EvidenceRejected as exc:
        status, error = 422, f"Not saved: {exc}"
    except StaleWrite as exc:
        status, error = 409, f"Not saved: {exc} Check the excerpt below and save again."
    if status == 200:
        message = "Excerpt saved."
        if request.htmx:
            context = source_context(project, membership, source, flash=message)
            return render_partials(request, EXCERPT_PARTS, context, template=SOURCE_TEMPLATE)
        messages.success(request, message)
        return redirect(f"{source_url(project, source)}#excerpt-{link.pk}")
    context = source_context(
        project, membership, source, excerpt=posted, flash=error, flash_error=True
    )
    if request.htmx:
        # A refused form keeps the selection; a stale one also shows the newer
        # excerpts (and versions) to save over.
        parts = EXCERPT_PARTS if status == 409 else EXCERPT_PARTS[:1]
        return render_partials(request, parts, context, status=status, template=SOURCE_TEMPLATE)
    return render(request, SOURCE_TEMPLATE, context, status=status)


def source_url(project, source) -> str:
    return reverse("source_detail", args=[project.slug, source.pk])


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_POST
@vary_on_headers("HX-Request")
def source_retry(request, slug, pk):
    """Fetch a failed source again, in the background."""
    project, _ = get_project_for_user(request, slug, Role.REVIEWER)
    source = get_object_or_404(Source.objects.filter(project=project), pk=pk)
    source_refetch(source=source)
    source.fetch_state = Source.FetchState.PENDING
    message = "Fetching again. Reload the page in a moment to see the snapshot."
    if request.htmx:
        context = {"project": project, "source": source, "can_review": True, "flash": message}
        return render_partials(request, ["source-status"], context, template=SOURCE_TEMPLATE)
    messages.info(request, message)
    return redirect("source_detail", slug=project.slug, pk=source.pk)


def excerpt_span(text: str, link) -> tuple[int, int] | None:
    """Where the link's excerpt sits in the snapshot: its offsets if they
    still point at it, else its first occurrence (an excerpt quoted before the
    page was fetched has no offsets), else None."""
    start, end = link.excerpt_start, link.excerpt_end
    if start is not None and end is not None and text[start:end] == link.excerpt:
        return start, end
    if link.excerpt:
        found = text.find(link.excerpt)
        if found >= 0:
            return found, found + len(link.excerpt)
    return None


def highlight_excerpts(text: str, links) -> SafeString:
    """``text`` with each placed excerpt in a ``<mark>`` (overlaps nest in
    one mark listing every link), each with an anchor where it starts."""
    placed = [(link.span, link) for link in links if link.span]
    if not placed:
        return mark_safe(escape(text, quote=False))  # noqa: S308 - escaped
    cuts = sorted({0, len(text), *(s for span, _ in placed for s in span)})
    out = []
    for left, right in pairwise(cuts):
        for (start, _), link in placed:
            if start == left:
                out.append(f'<span class="excerpt-anchor" id="excerpt-{link.pk}"></span>')
        chunk = escape(text[left:right], quote=False)
        covering = [link for (start, end), link in placed if start <= left and right <= end]
        if not covering:
            out.append(chunk)
            continue
        stances = " ".join(sorted({f"stance-{link.stance}" for link in covering}))
        ids = " ".join(str(link.pk) for link in covering)
        out.append(f'<mark class="excerpt {stances}" data-links="{ids}">{chunk}</mark>')
    return mark_safe("".join(out))  # noqa: S308 - every piece is escaped above
