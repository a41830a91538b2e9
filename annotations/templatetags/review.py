"""Tags of the review page: its claim rows, made in Python (see
annotations/views/claim_rows.py)."""

from django import template
from django.utils.safestring import mark_safe

from annotations.views.claim_rows import row_html

register = template.Library()


@register.simple_tag(takes_context=True)
def claim_row(context, claim):
    """One claim's row. A refusal (``row_message``) shows in the row of the
    claim it is about; ``oob`` marks the row for an out-of-band swap."""
    selected = context.get("selected")
    message = context.get("row_message") if selected and selected.pk == claim.pk else ""
    return row_html(
        claim, csrf_input=context.get("csrf_input", ""), oob=context.get("oob"), message=message
    )


@register.simple_tag(takes_context=True)
def claim_rows(context, claims):
    """The rows of all ``claims``, as ``claim_row`` makes each."""
    return mark_safe("".join(claim_row(context, claim) for claim in claims))  # noqa: S308
