"""Evidence: links from a claim to what bears on it, and URL sources.

A URL source is stored once per project under its canonical URL and fetched
in the background; a link to it is kept even when the fetch fails, so nothing
a reviewer added is lost to a dead page.
"""

import logging
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotations.extraction.cleaning import CleaningError
from annotations.extraction.spans import SpanError, make_span
from annotations.fetching import FetchError
from annotations.models import Article, Claim, EvidenceLink, Membership, Role, Source, Stance
from annotations.services.articles import fetch_page
from annotations.services.claims import StaleWrite, claims_touch, require_role

logger = logging.getLogger(__name__)

# Tracking parameters that make one page look like many.
TRACKING_PARAMS = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "ocid", "cmpid")


class EvidenceRejected(Exception):
    """An evidence link that cannot be saved; ``str()`` is for the user, and
    ``field`` names the input at fault, when one is."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


def canonical_url(url: str) -> str:
    url = url.strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise EvidenceRejected(f"{url[:200]!r} is not a valid http(s) URL", field="url") from None
    parts = urlsplit(url)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(TRACKING_PARAMS)
    ]
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(query), ""))


def source_get_or_create(*, project, url: str) -> tuple[Source, bool]:
    """The project's one Source for this URL; a new one is fetched after commit."""
    url = canonical_url(url)
    source, created = Source.objects.get_or_create(project=project, url=url)
    if created:
        from annotations import tasks

        transaction.on_commit(lambda: tasks.fetch_source.delay(source.pk))
    return source, created


def source_fetch(*, source_id: int) -> Source | None:
    """Fetch and snapshot a source (what the worker calls). A failure is kept
    on the source with its reason, and can be retried."""
    source = Source.objects.filter(pk=source_id).first()
    if source is None:
        return None
    try:
        page, _raw, snapshot = fetch_page(source.url)
    except (FetchError, CleaningError) as exc:
        logger.info("source %s (%s) could not be fetched: %s", source.pk, source.url, exc)
        Source.objects.filter(pk=source.pk).update(
            fetch_state=Source.FetchState.FAILED,
            fetch_error=str(exc)[:1000],
            updated_at=timezone.now(),
        )
        source.refresh_from_db()
        return source
    source.final_url = page.final_url[:2000]
    source.title = snapshot.title[:500]
    source.publisher = snapshot.outlet[:200]
    source.published_date = snapshot.published
    source.text = snapshot.text
    source.content_hash = Article.hash_text(snapshot.text)
    source.retrieved_at = timezone.now()
    source.fetch_state = Source.FetchState.FETCHED
    source.fetch_error = ""
    source.save()
    return source


def source_refetch(*, source: Source) -> None:
    from annotations import tasks

    Source.objects.filter(pk=source.pk).update(fetch_state=Source.FetchState.PENDING)
    transaction.on_commit(lambda: tasks.fetch_source.delay(source.pk))


def evidence_link_create(
    *,
    claim: Claim,
    user,
    stance: str,
    url: str = "",
    target_article: Article | None = None,
    target_claim: Claim | None = None,
    note: str = "",
    excerpt: str = "",
    excerpt_start: int | None = None,
    excerpt_end: int | None = None,
) -> EvidenceLink:
    """Link ``claim`` to exactly one of a URL, another article or another
    claim of the same project. A link to a claim quotes that claim's words
    unless it is given another excerpt."""
    project = claim.article.project
    require_role(project, user, Role.REVIEWER)
    if stance not in Stance.values:
        raise EvidenceRejected(f"stance must be one of {', '.join(Stance.values)}", field="stance")
    if sum(bool(t) for t in (url, target_article, target_claim)) != 1:
        raise EvidenceRejected("give exactly one of a URL, an article or a claim")
    no_excerpt = not excerpt and excerpt_start is None and excerpt_end is None
    if target_claim is not None and no_excerpt:
        excerpt = target_claim.quote
        text = target_claim.article.canonical_text
        if text[target_claim.start : target_claim.end] == excerpt:
            excerpt_start, excerpt_end = target_claim.start, target_claim.end

    link = EvidenceLink(claim=claim, stance=stance, note=note, created_by=user)
    with transaction.atomic():
        if url:
            link.source, _ = source_get_or_create(project=project, url=url)
        elif target_article is not None:
            if target_article.project_id != project.pk:
                raise EvidenceRejected("the article is not in this project")
            if target_article.pk == claim.article_id:
                raise EvidenceRejected("a claim cannot cite its own article")
            link.target_article = target_article
        else:
            if target_claim.article.project_id != project.pk:
                raise EvidenceRejected("the claim is not in this project")
            if target_claim.pk == claim.pk:
                raise EvidenceRejected("a claim cannot cite itself")
            link.target_claim = target_claim
        _set_excerpt(link, excerpt, excerpt_start, excerpt_end)
        link._history_user = user
        try:
            with transaction.atomic():
                link.save()
        except IntegrityError:
            raise EvidenceRejected("this claim already links to that evidence") from None
        claims_touch(claim_ids=[claim.pk])
    return link


def evidence_link_update(
    *, link: EvidenceLink, user, expected_version: int, **changes
) -> EvidenceLink:
    allowed = {"stance", "note", "excerpt", "excerpt_start", "excerpt_end"}
    if set(changes) - allowed:
        raise EvidenceRejected(f"only {', '.join(sorted(allowed))} can be changed")
    _require_change_right(link, user)
    with transaction.atomic():
        current = EvidenceLink.objects.select_for_update().get(pk=link.pk)
        if current.version != expected_version:
            raise StaleWrite(current)
        if "stance" in changes:
            if changes["stance"] not in Stance.values:
                raise EvidenceRejected(
                    f"stance must be one of {', '.join(Stance.values)}", field="stance"
                )
            current.stance = changes["stance"]
        if "note" in changes:
            current.note = changes["note"]
        if {"excerpt", "excerpt_start", "excerpt_end"} & set(changes):
            _set_excerpt(
                current,
                changes.get("excerpt", ""),
                changes.get("excerpt_start"),
                changes.get("excerpt_end"),
            )
        current.version += 1
        current._history_user = user
        current.save()
        claims_touch(claim_ids=[current.claim_id])
    return current


def evidence_link_delete(*, link: EvidenceLink, user, expected_version: int | None = None) -> None:
    """Remove an evidence link. ``expected_version``, if given, is the version
    the user was shown: a link changed since is not removed unseen. One
    removed already is left as it is."""
    _require_change_right(link, user)
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=link.claim_id)
        link = EvidenceLink.objects.filter(pk=link.pk).first()
        if link is None:
            return
        if expected_version is not None and link.version != expected_version:
            raise StaleWrite(link)
        link._history_user = user
        link.delete()
        claims_touch(claim_ids=[claim.pk])


def evidence_link_changeable(link: EvidenceLink, *, membership: Membership) -> bool:
    """Whether the member may edit or remove the link (of their project): the
    reviewer who added it may, and editors and admins may change anyone's."""
    if membership.has_role(Role.EDITOR):
        return True
    return membership.has_role(Role.REVIEWER) and link.created_by_id == membership.user_id


def _require_change_right(link: EvidenceLink, user) -> None:
    membership = require_role(link.claim.article.project, user, Role.REVIEWER)
    if not evidence_link_changeable(link, membership=membership):
        raise PermissionDenied(
            "only the reviewer who linked this evidence, or an editor, can change it"
        )


def _set_excerpt(link: EvidenceLink, excerpt: str, start: int | None, end: int | None) -> None:
    """An excerpt with offsets must match the target's text exactly; without
    offsets (a source not fetched yet) the quoted words are kept as given."""
    link.excerpt_start = link.excerpt_end = None
    link.excerpt_prefix = link.excerpt_suffix = ""
    link.excerpt = excerpt.strip()
    if start is None and end is None:
        return
    if start is None or end is None:
        field = "excerpt_end" if end is None else "excerpt_start"
        raise EvidenceRejected("an excerpt needs both its start and its end", field=field)
    text = _target_text(link)
    if not text:
        raise EvidenceRejected(
            "the source has no text yet to take an excerpt from", field="excerpt_start"
        )
    try:
        span = make_span(text, start, end, excerpt or None)
    except SpanError as exc:
        raise EvidenceRejected(str(exc), field="excerpt") from None
    link.excerpt = span.quote
    link.excerpt_start, link.excerpt_end = span.start, span.end
    link.excerpt_prefix, link.excerpt_suffix = span.prefix, span.suffix


def _target_text(link: EvidenceLink) -> str:
    if link.source_id:
        return link.source.text
    if link.target_article_id:
        return link.target_article.canonical_text
    return link.target_claim.article.canonical_text
