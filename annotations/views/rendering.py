"""Responses made of named partials of one template.

An htmx action answers with the partial it targets and, out of band, the
other partials its change touches (the claim's row, the highlighted text,
the counts); each partial's root element carries ``hx-swap-oob`` when the
``oob`` flag is set in its context.
"""

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers

REVIEW_TEMPLATE = "annotations/review.html"


def render_partials(request, parts, context, *, status=200, template=REVIEW_TEMPLATE):
    """``parts`` is a list of partial names; the first is the swap target,
    the others go out of band."""
    html = [
        render_to_string(f"{template}#{name}", {**context, "oob": index > 0}, request=request)
        for index, name in enumerate(parts)
    ]
    response = HttpResponse("".join(html), status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response
