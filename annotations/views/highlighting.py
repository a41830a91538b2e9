"""The article's text with its claims marked in place.

Claims may overlap or nest, so the text is cut at every claim boundary into
segments; each segment knows every claim covering it and takes its look from
the innermost one, and its depth shows how many claims overlap there. Each
claim also gets a badge where it starts: a number and an icon, so state and
verdict never rest on colour alone.

The badges hold no text (the CSS draws them from ``data-icon``), so the
container's text content is exactly the canonical text and the browser's
selection offsets count into the same string as the server's.
"""

from html import escape
from itertools import pairwise
from typing import NamedTuple

from django.utils.safestring import SafeString, mark_safe

from annotations.models import ClaimState

STATE_NAMES = dict(ClaimState.choices)
STATE_ICONS = {"candidate": "?", "accepted": "●", "dismissed": "–", "orphaned": "⚠"}
VERDICT_ICONS = {"supported": "✓", "disputed": "✗"}
OTHER_VERDICT_ICON = "◆"
# How evidence or a match bears on a claim; shown with its label, never alone.
STANCE_ICONS = {"supports": "✓", "disputes": "≠", "context": "ℹ"}
CONFLICT_ICON = "⚠"


class Mark(NamedTuple):
    pk: int
    number: int
    start: int
    end: int
    state: str
    state_label: str
    verdict_slug: str
    verdict_name: str

    @property
    def icon(self) -> str:
        if self.verdict_slug:
            return VERDICT_ICONS.get(self.verdict_slug, OTHER_VERDICT_ICON)
        return STATE_ICONS.get(self.state, "?")

    @property
    def label(self) -> str:
        text = f"Claim {self.number}: {self.state_label.lower()}"
        if self.verdict_name:
            text += f", {self.verdict_name.lower()}"
        return text


def claim_icon(claim) -> str:
    """The icon of a claim as the side panel shows it (same as the badge)."""
    verdict = claim.final_verdict
    if verdict is not None:
        return VERDICT_ICONS.get(verdict.slug, OTHER_VERDICT_ICON)
    return STATE_ICONS.get(claim.state, "?")


def anchored(text: str, claim) -> bool:
    """Whether the claim's span still points at its quote in this text."""
    return claim.end <= len(text) and text[claim.start : claim.end] == claim.quote


def marks_for(text: str, claims) -> list[Mark]:
    """Marks for the claims (numbered in reading order) that sit in the text.
    Orphaned claims whose quote is no longer there are listed, not marked."""
    marks = []
    for claim in claims:
        if not anchored(text, claim):
            continue
        verdict = claim.final_verdict
        marks.append(
            Mark(
                pk=claim.pk,
                number=claim.number,
                start=claim.start,
                end=claim.end,
                state=claim.state,
                state_label=STATE_NAMES.get(claim.state, claim.state),
                verdict_slug=verdict.slug if verdict else "",
                verdict_name=verdict.name if verdict else "",
            )
        )
    return marks


def highlight(text: str, marks: list[Mark]) -> SafeString:
    """HTML for ``text`` with ``marks`` highlighted (every character escaped)."""
    if not marks:
        return mark_safe(escape(text, quote=False))  # noqa: S308 - escaped
    starting: dict[int, list[Mark]] = {}
    ending: dict[int, list[Mark]] = {}
    # Outer claims first, so a badge reads in the order the spans open.
    for mark in sorted(marks, key=lambda m: (m.start, m.start - m.end)):
        starting.setdefault(mark.start, []).append(mark)
        ending.setdefault(mark.end, []).append(mark)
    cuts = sorted({0, len(text), *starting, *ending})
    active: dict[int, Mark] = {}
    opening = ""  # the tag that opens a segment covered by the active marks
    out: list[str] = []
    for left, right in pairwise(cuts):
        ended, started = ending.get(left, ()), starting.get(left, ())
        for mark in ended:
            active.pop(mark.pk, None)
        for mark in started:
            active[mark.pk] = mark
            out.append(_badge(mark))
        chunk = escape(text[left:right], quote=False)
        if not active:
            out.append(chunk)
            continue
        if ended or started:
            opening = _segment_tag(active)
        out.append(f"{opening}{chunk}</span>")
    return mark_safe("".join(out))  # noqa: S308 - every piece is escaped above


def _segment_tag(active: dict[int, Mark]) -> str:
    """A segment takes its look from the innermost claim covering it."""
    if len(active) == 1:  # most of the text
        (inner,) = active.values()
        ids = str(inner.pk)
    else:
        inner = min(active.values(), key=lambda m: (m.end - m.start, -m.start))
        ids = " ".join(map(str, active))
    verdict = f" v-{inner.verdict_slug}" if inner.verdict_slug else ""
    return (
        f'<span class="hl s-{inner.state}{verdict} depth-{min(len(active), 3)}" '
        f'data-claims="{ids}" data-claim="{inner.pk}">'
    )


def _badge(mark: Mark) -> str:
    verdict = f" v-{escape(mark.verdict_slug)}" if mark.verdict_slug else ""
    return (
        f'<a class="badge s-{mark.state}{verdict}" id="hl-{mark.pk}" '
        f'href="?claim={mark.pk}#claim-{mark.pk}" data-claim="{mark.pk}" '
        f'data-icon="{mark.number}{mark.icon}" aria-label="{escape(mark.label)}"></a>'
    )
