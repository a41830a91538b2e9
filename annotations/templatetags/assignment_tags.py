"""The review page's assignment box, computed where it is shown: the page's
views stay as they are, and the box's own action renders it the same way."""

from django import template

from annotations.views.assignment import assignment_context

register = template.Library()


@register.simple_tag(takes_context=True)
def article_assignment(context) -> dict:
    """``{% article_assignment as box %}``: who has the article, and what the
    user may do about it (``assignment_context``)."""
    return assignment_context(context["membership"], context["article"], context["request"].user)
