"""End to end, in headless Chromium, against the live server and a real
Celery worker: a reviewer logs in, opens the demo article, accepts a
candidate with the keyboard, sets a verdict with a rationale, selects a span
holding an emoji to add a claim, links evidence; then the database is
checked. Screenshots of the dashboard and the review page go to docs/."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from annotations.models import Article, Claim, EvidenceLink, Verdict
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
RATIONALE = "Fire service figures: 120 firefighters from four stations, as stated."

# Selects ``quote`` in the article text as a person would with the mouse,
# then releases the button: the page's own code turns the selection into
# offsets.
SELECT_QUOTE = """
(quote) => {
  const box = document.getElementById("article-text");
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

        # An article with emoji and accents, imported from the web form.
        page.goto(base + "/p/demo/import/")
        page.get_by_label("Title").fill("Kraków fire figures")
        page.get_by_label("Text").fill(EMOJI_TEXT)
        page.get_by_role("button", name="Import").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Kraków fire figures")
        expect(page.locator("#extraction-status")).to_contain_text("Done", timeout=60_000)
        emoji_article = Article.objects.get(title="Kraków fire figures")

        # Select a span holding an emoji; the form fills in; add the claim.
        page.evaluate(SELECT_QUOTE, QUOTE)
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
        page.get_by_label("Context").check()
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

        page.goto(base + "/p/demo/")
        expect(page.get_by_role("heading", name="Final verdicts")).to_be_visible()
        page.screenshot(path=str(docs_dir / "dashboard.png"), full_page=True)
    assert page.js_errors == []
