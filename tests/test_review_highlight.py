"""The highlighted text: pure functions, no database."""

import html
import re
from types import SimpleNamespace

from annotations.views.highlighting import Mark, anchored, highlight

TEXT = "Zoë said 🔥 fires rose 40% in Kraków. Officials disagreed & said <none>."


def mark(pk, start, end, state="accepted", verdict=""):
    return Mark(
        pk=pk,
        number=pk,
        start=start,
        end=end,
        state=state,
        state_label=state.title(),
        verdict_slug=verdict,
        verdict_name=verdict.title(),
    )


def visible_text(fragment: str) -> str:
    """What the browser's textContent gives: the badges hold no text."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def test_text_content_is_exactly_the_canonical_text():
    marks = [mark(1, 0, 8), mark(2, 9, 36, "candidate"), mark(3, 20, 50, "dismissed")]
    out = highlight(TEXT, marks)
    assert visible_text(out) == TEXT
    assert "<none>" not in out and "&lt;none&gt;" in out  # escaped


def test_nested_and_crossing_spans_are_cut_into_segments():
    # 2 crosses 3; 4 sits inside 2
    marks = [mark(2, 9, 36, "candidate"), mark(3, 20, 50, "dismissed"), mark(4, 11, 16)]
    out = highlight(TEXT, marks)
    segments = re.findall(r'<span class="([^"]+)" data-claims="([^"]+)" data-claim="(\d+)">', out)
    covering = [claims.split() for _, claims, _ in segments]
    assert ["2"] in covering
    assert sorted(["2", "4"]) in [sorted(c) for c in covering]
    assert sorted(["2", "3"]) in [sorted(c) for c in covering]
    assert ["3"] in covering
    # The innermost claim gives a segment its look; the depth shows overlap.
    inner = next(s for s in segments if sorted(s[1].split()) == ["2", "4"])
    assert inner[2] == "4" and "s-accepted" in inner[0] and "depth-2" in inner[0]
    # Every claim gets one badge, where it starts.
    assert [int(pk) for pk in re.findall(r'id="hl-(\d+)"', out)] == [2, 4, 3]


def test_badges_carry_an_icon_and_a_label_besides_colour():
    out = highlight(TEXT, [mark(1, 0, 8, verdict="supported"), mark(2, 9, 20, "dismissed")])
    assert 'data-icon="1✓"' in out and 'aria-label="Claim 1: accepted, supported"' in out
    assert 'data-icon="2–"' in out and 'aria-label="Claim 2: dismissed"' in out
    assert "v-supported" in out


def test_orphans_whose_words_are_gone_are_not_marked():
    claim = SimpleNamespace(start=0, end=4, quote="Zoe ")
    assert not anchored(TEXT, claim)
    assert anchored(TEXT, SimpleNamespace(start=0, end=3, quote="Zoë"))
    assert not anchored(TEXT, SimpleNamespace(start=len(TEXT), end=len(TEXT) + 3, quote="abc"))


def test_no_claims_is_plain_escaped_text():
    assert highlight("a < b", []) == "a &lt; b"
