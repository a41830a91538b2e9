"""A cited source: its snapshot, the excerpts quoted from it, and the claims
that cite it."""

from html import escape
from itertools import pairwise

from django.contrib import messages
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from annotations.models import Role, Source
from annotations.services.evidence import source_refetch
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
    links = list(
        source.evidence.select_related("claim__article")
        .defer("claim__article__canonical_text", "claim__article__original_input")
        .order_by(F("excerpt_start").asc(nulls_last=True), "pk")
    )
    for link in links:
        link.stance_icon = STANCE_ICONS.get(link.stance, "")
        link.span = excerpt_span(source.text, link)
    context = {
        "project": project,
        "source": source,
        "links": links,
        "text_html": highlight_excerpts(source.text, links),
        "can_review": membership.has_role(Role.REVIEWER),
    }
    return render(request, SOURCE_TEMPLATE, context)


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
