"""End to end, in headless Chromium, against the live server and a real
Celery worker: a reviewer logs in, opens the demo article, accepts a
candidate with the keyboard, sets a verdict with a rationale, confirms and
rejects suggested matches with c and v, selects a span holding an emoji to
add a claim, links evidence, and selects the excerpt of evidence in another
article; then the database is checked. Screenshots of the dashboard and the
review page go to docs/."""

import re

import pytest
from django.core.management import call_command
from django.db.models import Q
from playwright.sync_api import expect

from annotations.models import Article, Claim, ClaimMatch, EvidenceLink, Verdict
from tests.integration.worker import purge_broker, running_worker, wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]

DEMO_TITLE = "Warehouse fire forces evacuation of Veloria harbour district"
EMOJI_TEXT = (
    "Kraków's fire chief Zoë Nowak said 🔥 crews fought 12 blazes in March, up from 7 a "
    "year earlier.\n\nThe city council said it would hire 40 more firefighters by 2027, "
    "according to its budget 👍🏽."
)
QUOTE = "🔥 crews fought 12 blazes in March"
# After the emoji: JavaScript counts one more (UTF-16) than the code points stored.
PASSAGE = "it would hire 40 more firefighters by 2027"
RATIONALE = "Fire service figures: 120 firefighters from four stations, as stated."

# Selects ``quote`` in the article text as a person would with the mouse,
# then releases the button: the page's own code turns the selection into
# offsets.
SELECT_QUOTE = """
([quote, boxId]) => {
  const box = document.getElementById(boxId || "article-text");
  const start = box.textContent.indexOf(quote);
  const end = start + quote.length;
  const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
  let pos = 0, node, startNode, startOffset, endNode, endOffset;
  while ((node = walker.nextNode())) {
    const length = node.data.length;
    if (!startNode && start < pos + length) { startNode = node; startOffset = start - pos; }
    if (!endNode && end <= pos + length) { endNode = node; endOffset = end - pos; }
    pos += length;
  }
  const range = document.createRange();
  range.setStart(startNode, startOffset);
  range.setEnd(endNode, endOffset);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  box.dispatchEvent(new MouseEvent("mouseup", { bubbles: true }));
  return start;
}
"""


def suggested_matches(article) -> dict[int, list[ClaimMatch]]:
    """The suggested matches of each claim of ``article``, first the one the
    page lists first (best score), as ``claim_matches`` orders them."""
    by_claim = {}
    matches = ClaimMatch.objects.filter(state="suggested").filter(
        Q(left__article=article) | Q(right__article=article)
    )
    for match in matches:
        for claim_id in (match.left_id, match.right_id):
            if Claim.objects.filter(pk=claim_id, article=article).exists():
                by_claim.setdefault(claim_id, []).append(match)
    for found in by_claim.values():
        found.sort(key=lambda m: (-m.score, m.pk))
    return by_claim


def open_claim(page, claim_id) -> None:
    page.locator(f"#claim-{claim_id} .claim-link").click()
    expect(page.locator("#claim-detail")).to_have_attribute("data-claim", str(claim_id))


def current_claim(page) -> int:
    return int(page.locator(".claim-row.is-current").get_attribute("data-claim"))


def no_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"
    )


def test_review_the_demo_article_end_to_end(live_server, page, docs_dir):
    purge_broker()
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    base = live_server.url
    with running_worker():
        wait_for(
            lambda: (
                not Article.objects.filter(project__slug="demo")
                .exclude(extraction_state="done")
                .exists()
            ),
            timeout=120,
        )

        # Log in, go through the dashboard and the queue to the demo article.
        page.goto(base + "/accounts/login/")
        page.get_by_label("Username").fill("demo-reviewer")
        page.get_by_label("Password").fill("factcheck-reviewer")
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("link", name=re.compile("Demo: Veloria")).click()
        page.get_by_role("link", name="Review queue", exact=True).click()
        page.get_by_role("link", name=DEMO_TITLE).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(DEMO_TITLE)
        article = Article.objects.get(title=DEMO_TITLE)

        # j until a candidate is selected, then a: accepted.
        page.keyboard.press("j")
        for _ in range(30):
            if "s-candidate" in page.locator(".claim-row.is-current").get_attribute("class"):
                break
            page.keyboard.press("j")
        claim_id = current_claim(page)
        expect(page.locator("#claim-detail")).to_have_attribute("data-claim", str(claim_id))
        expect(page.locator(f"#hl-{claim_id}")).to_have_class(re.compile("is-current"))
        page.keyboard.press("a")
        expect(page.locator(f"#claim-{claim_id}")).to_have_class(re.compile("s-accepted"))
        expect(page.locator(f"#hl-{claim_id}")).to_have_class(re.compile("s-accepted"))
        assert Claim.objects.get(pk=claim_id, article=article).state == "accepted"

        # r, type a rationale (its letters are not shortcuts while typing).
        page.keyboard.press("r")
        rationale = page.locator(f"#verdict-form-{claim_id} textarea[name=rationale]")
        expect(rationale).to_be_focused()
        page.keyboard.type(RATIONALE)
        mine = Verdict.objects.filter(claim_id=claim_id, reviewer__username="demo-reviewer")
        page.wait_for_timeout(300)
        assert not mine.exists()
        assert Claim.objects.get(pk=claim_id).state == "accepted"

        # The network fails on the first save: the text stays, a message says so.
        page.route("**/verdict/", lambda route: route.abort())
        page.locator(f"#verdict-form-{claim_id}").get_by_label("Disputed").check()
        rationale.focus()
        page.keyboard.press("Control+Enter")
        expect(page.locator("#htmx-error")).to_be_visible()
        expect(page.locator("#htmx-error")).to_contain_text("Nothing you typed was lost")
        expect(rationale).to_have_value(RATIONALE)
        page.unroute("**/verdict/")

        # Esc leaves the field; s saves the verdict supported with the rationale.
        page.keyboard.press("Escape")
        page.keyboard.press("s")
        expect(page.locator("#flash")).to_have_text("Verdict saved: Supported.")
        verdict = mine.get()
        assert (verdict.label.slug, verdict.rationale) == ("supported", RATIONALE)
        expect(page.locator(f"#hl-{claim_id}")).to_have_attribute("data-icon", re.compile("✓$"))

        # ? shows the shortcuts.
        page.keyboard.press("?")
        expect(page.locator("#shortcuts")).to_be_visible()
        page.keyboard.press("Escape")
        expect(page.locator("#shortcuts")).to_be_hidden()

        page.screenshot(path=str(docs_dir / "review.png"))

        # c confirms the selected claim's first suggested match: each claim
        # becomes evidence for the other. v rejects the next one.
        suggested = suggested_matches(article)
        assert suggested, "the demo articles repeat claims: the matcher suggests some"
        order = sorted(suggested, key=lambda pk: (-len(suggested[pk]), pk))
        confirm_claim = order[0]
        first = suggested[confirm_claim][0]
        other = first.right if first.left_id == confirm_claim else first.left
        open_claim(page, confirm_claim)
        expect(page.locator(f"#matches-{confirm_claim} [data-first-suggested]")).to_have_count(1)
        page.keyboard.press("c")
        expect(page.locator("#flash")).to_have_text(
            "Match confirmed: each claim is now evidence for the other."
        )
        first.refresh_from_db()
        assert first.state == "confirmed" and first.decided_by.username == "demo-reviewer"
        link = EvidenceLink.objects.get(claim_id=confirm_claim, target_claim=other)
        assert link.excerpt == other.quote
        assert EvidenceLink.objects.filter(claim=other, target_claim_id=confirm_claim).exists()
        expect(page.locator(f"#evidence-{confirm_claim}")).to_contain_text(other.quote[:40])

        reject_claim = confirm_claim if len(suggested[confirm_claim]) > 1 else order[1]
        rejected = suggested[reject_claim][1 if reject_claim == confirm_claim else 0]
        if reject_claim != confirm_claim:
            open_claim(page, reject_claim)
        page.keyboard.press("v")
        expect(page.locator("#flash")).to_have_text(
            "Match rejected: it will not be proposed again."
        )
        rejected.refresh_from_db()
        assert rejected.state == "rejected"

        # An article with emoji and accents, imported from the web form.
        page.goto(base + "/p/demo/import/")
        page.get_by_label("Title").fill("Kraków fire figures")
        page.get_by_label("Text").fill(EMOJI_TEXT)
        page.get_by_role("button", name="Import").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Kraków fire figures")
        expect(page.locator("#extraction-status")).to_contain_text("Done", timeout=60_000)
        emoji_article = Article.objects.get(title="Kraków fire figures")

        # Select a span holding an emoji; the form fills in; add the claim.
        page.evaluate(SELECT_QUOTE, [QUOTE, "article-text"])
        expect(page.locator("#id_new-quote")).to_have_value(QUOTE)
        page.get_by_role("button", name="Add claim").click()
        expect(page.locator("#flash")).to_have_text("Claim added.")
        added = Claim.objects.get(article=emoji_article, origin="manual")
        text = emoji_article.canonical_text
        assert added.quote == QUOTE
        assert (added.start, added.end) == (text.index(QUOTE), text.index(QUOTE) + len(QUOTE))
        assert text[added.start : added.end] == QUOTE
        expect(page.locator("#claim-detail")).to_have_attribute("data-claim", str(added.pk))

        # e: link a URL; then an article found by the autocomplete.
        page.keyboard.press("e")
        url_field = page.locator(f"#evform-{added.pk} input[type=url]")
        expect(url_field).to_be_focused()
        page.keyboard.type("https://fire-service.example/reports/march")
        page.get_by_role("button", name="Link evidence").click()
        expect(page.locator("#flash")).to_have_text("Evidence linked.")
        page.locator(f"#ev-q-{added.pk}").fill("Veloria harbour")
        target = page.locator(f"#targets-{added.pk} input[value^='article:']").first
        expect(target).to_be_visible()
        target.check()
        # The links listed have their own stance (in their edit forms): this one is the new link's.
        page.locator(f"#evidence-{added.pk} .evidence-add").get_by_label("Context").check()
        page.get_by_role("button", name="Link evidence").click()
        expect(page.get_by_role("heading", name="Evidence (2)")).to_be_visible()
        links = EvidenceLink.objects.filter(claim=added).select_related("source")
        assert {(link.stance, link.source.url if link.source else None) for link in links} == {
            ("supports", "https://fire-service.example/reports/march"),
            ("context", None),
        }
        assert links.get(stance="context").target_article.project.slug == "demo"

        # A person typing in the search box gets results too.
        search = page.locator(f"#ev-q-{added.pk}")
        search.click()
        page.keyboard.press("Control+A")
        page.keyboard.press("Backspace")
        expect(page.locator(f"#targets-{added.pk} input")).to_have_count(0)
        page.keyboard.type("Veloria", delay=60)
        expect(search).to_have_value("Veloria")
        expect(page.locator(f"#targets-{added.pk} input[value^='article:']").first).to_be_visible()

        # Narrow screens and 200% zoom: no sideways scrolling.
        for width in (390, 700):
            page.set_viewport_size({"width": width, "height": 900})
            assert no_horizontal_scroll(page), width
        page.set_viewport_size({"width": 1400, "height": 900})

        # Back on the demo claim: cite the Kraków article, then select the
        # excerpt in its text, after an emoji, on the excerpt page.
        page.goto(f"{base}/p/demo/articles/{article.pk}/?claim={claim_id}")
        page.locator(f"#ev-q-{claim_id}").fill("Kraków fire")
        target = page.locator(f"#targets-{claim_id} input[value='article:{emoji_article.pk}']")
        expect(target).to_be_visible()
        target.check()
        page.locator(f"#evidence-{claim_id} .evidence-add").get_by_label("Supports").check()
        page.get_by_role("button", name="Link evidence").click()
        expect(page.locator("#flash")).to_have_text("Evidence linked.")
        cited = EvidenceLink.objects.get(claim_id=claim_id, target_article=emoji_article)
        page.locator(f"#evlink-{cited.pk}").get_by_role("link", name="Select the excerpt").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Excerpt of “Kraków fire figures”"
        )
        page.evaluate(SELECT_QUOTE, [PASSAGE, "excerpt-text"])
        expect(page.locator("#excerpt-quote")).to_have_value(PASSAGE)
        page.get_by_role("button", name="Save excerpt").click()
        expect(page.locator("#excerpt-form .flash")).to_have_text("Excerpt saved.")
        expect(page.locator(f"#excerpt-text mark[data-links='{cited.pk}']")).to_have_text(PASSAGE)
        cited.refresh_from_db()
        text = emoji_article.canonical_text
        start = text.index(PASSAGE)
        assert (cited.excerpt, cited.excerpt_start, cited.excerpt_end) == (
            PASSAGE,
            start,
            start + len(PASSAGE),
        )
        assert text[cited.excerpt_start : cited.excerpt_end] == PASSAGE
        assert cited.version == 2
        page.get_by_role("link", name="Back to the claim").click()
        expect(page.locator(f"#evlink-{cited.pk} .excerpt-quote")).to_contain_text(PASSAGE)

        page.goto(base + "/p/demo/")
        expect(page.get_by_role("heading", name="Final verdicts")).to_be_visible()
        page.screenshot(path=str(docs_dir / "dashboard.png"), full_page=True)
    assert page.js_errors == []
