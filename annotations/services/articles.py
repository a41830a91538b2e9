"""Article import: pasted text, uploaded files, URLs and bulk files.

Every entry point (web form, API, management command, demo loader) ends in
``_article_store``: clean, refuse duplicates, save, and enqueue extraction
once the transaction has committed. A rejected input raises ``ImportRejected``
with a message meant for the person who sent it; nothing is stored half-way.
"""

import dataclasses
import logging
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from annotations.extraction import bulk, cleaning
from annotations.extraction.cleaning import CleanedArticle, CleaningError
from annotations.fetching import FetchError, FetchResult, fetch_url
from annotations.models import (
    Article,
    ImportSource,
    InputFormat,
    Membership,
    Project,
    Role,
    role_at_least,
)
from annotations.services.extraction import extraction_enqueue

logger = logging.getLogger(__name__)

FILE_FORMATS = {
    ".txt": InputFormat.TEXT,
    ".text": InputFormat.TEXT,
    ".html": InputFormat.HTML,
    ".htm": InputFormat.HTML,
    ".md": InputFormat.MARKDOWN,
    ".markdown": InputFormat.MARKDOWN,
}
BULK_EXTENSIONS = (".jsonl", ".ndjson", ".csv")


class ImportRejected(Exception):
    """An input that cannot become an article; ``str()`` is for the user."""

    def __init__(self, message: str, *, existing: Article | None = None):
        super().__init__(message)
        self.message = message
        self.existing = existing

    @property
    def is_duplicate(self) -> bool:
        return self.existing is not None


@dataclass(frozen=True)
class Metadata:
    """What the person importing says about the article; wins over what the
    cleaner found in the text."""

    title: str = ""
    url: str = ""
    outlet: str = ""
    author: str = ""
    published: date | None = None


@dataclass
class RowOutcome:
    line: int
    message: str
    article: Article | None = None


@dataclass
class BulkResult:
    imported: list[RowOutcome] = field(default_factory=list)
    duplicates: list[RowOutcome] = field(default_factory=list)
    rejected: list[RowOutcome] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return (
            f"{len(self.imported)} imported, {len(self.duplicates)} duplicates, "
            f"{len(self.rejected)} rejected"
        )


def article_import_text(
    *,
    project: Project,
    text: str,
    user=None,
    metadata: Metadata = Metadata(),
    import_source: str = ImportSource.PASTE,
) -> Article:
    """Pasted text, plain or as scraped from a page."""
    if len(text.encode("utf-8")) > settings.FACTCHECK_MAX_UPLOAD_BYTES:
        raise ImportRejected(_too_large(settings.FACTCHECK_MAX_UPLOAD_BYTES))
    input_format = InputFormat.SCRAPED if cleaning.looks_scraped(text) else InputFormat.TEXT
    cleaned = _clean(cleaning.clean_plain_text, text)
    return _article_store(
        project=project,
        cleaned=cleaned,
        metadata=metadata,
        original_input=text,
        input_format=input_format,
        import_source=import_source,
        user=user,
    )


def article_import_file(
    *,
    project: Project,
    filename: str,
    data: bytes,
    user=None,
    metadata: Metadata = Metadata(),
    import_source: str = ImportSource.UPLOAD,
) -> Article:
    """An uploaded ``.txt``, ``.html`` or ``.md`` file."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in FILE_FORMATS:
        expected = ", ".join(sorted(set(FILE_FORMATS)))
        raise ImportRejected(f"{filename}: unsupported file type (expected one of {expected})")
    if len(data) > settings.FACTCHECK_MAX_UPLOAD_BYTES:
        raise ImportRejected(f"{filename}: {_too_large(settings.FACTCHECK_MAX_UPLOAD_BYTES)}")
    try:
        raw = cleaning.decode_bytes(data)
    except CleaningError as exc:
        raise ImportRejected(f"{filename}: {exc}") from None
    input_format = FILE_FORMATS[suffix]
    if input_format == InputFormat.HTML:
        cleaned = _clean(cleaning.clean_html, raw, url=metadata.url, name=filename)
    elif input_format == InputFormat.MARKDOWN:
        cleaned = _clean(cleaning.clean_markdown, raw, name=filename)
    else:
        if cleaning.looks_scraped(raw):
            input_format = InputFormat.SCRAPED
        cleaned = _clean(cleaning.clean_plain_text, raw, name=filename)
    return _article_store(
        project=project,
        cleaned=cleaned,
        metadata=metadata,
        original_input=raw,
        input_format=input_format,
        import_source=import_source,
        user=user,
        filename=filename,
    )


def article_import_url(
    *,
    project: Project,
    url: str,
    user=None,
    metadata: Metadata = Metadata(),
    import_source: str = ImportSource.URL,
) -> Article:
    """Fetch a page (safely: no private addresses, timeouts, a size cap)."""
    url = url.strip()
    existing = Article.objects.filter(project=project, url=url).first()
    if existing:
        raise _duplicate(existing, "this URL")
    try:
        page, raw, cleaned = fetch_page(url)
    except FetchError as exc:
        raise ImportRejected(f"could not fetch {url}: {exc}") from None
    except CleaningError as exc:
        raise ImportRejected(f"{url}: {exc}") from None
    input_format = InputFormat.HTML if "html" in page.content_type else InputFormat.TEXT
    return _article_store(
        project=project,
        cleaned=cleaned,
        metadata=dataclasses.replace(metadata, url=url),
        original_input=raw,
        input_format=input_format,
        import_source=import_source,
        user=user,
    )


def fetch_page(url: str) -> tuple[FetchResult, str, CleanedArticle]:
    """Fetch a page with the configured limits and clean it: the page, its
    decoded text and the cleaned article. Used by URL import and by source
    snapshots. Raises FetchError, or CleaningError for unreadable text."""
    page = fetch_url(
        url,
        timeout=settings.FACTCHECK_FETCH_TIMEOUT,
        max_bytes=settings.FACTCHECK_FETCH_MAX_BYTES,
        trusted_hosts=settings.FACTCHECK_TRUSTED_FETCH_HOSTS,
    )
    try:
        raw = page.body.decode(page.charset) if page.charset else cleaning.decode_bytes(page.body)
    except (LookupError, UnicodeDecodeError):
        raise CleaningError("the page is not readable text") from None
    if "html" in page.content_type:
        return page, raw, cleaning.clean_html(raw, url=page.final_url)
    return page, raw, cleaning.clean_plain_text(raw)


def article_import_bulk(
    *,
    project: Project,
    filename: str,
    data: bytes,
    user=None,
    import_source: str = ImportSource.BULK,
    on_row: Callable[[int], None] | None = None,
) -> BulkResult:
    """A JSONL or CSV file, one article per row. Each row is stored in its own
    transaction: the valid rows import even when others are rejected."""
    if not filename.lower().endswith(BULK_EXTENSIONS):
        raise ImportRejected(
            f"{filename}: unsupported bulk file type (expected {', '.join(BULK_EXTENSIONS)})"
        )
    if len(data) > settings.FACTCHECK_MAX_BULK_BYTES:
        raise ImportRejected(f"{filename}: {_too_large(settings.FACTCHECK_MAX_BULK_BYTES)}")
    try:
        text = cleaning.decode_bytes(data)
        rows = list(bulk.parse_bulk(text, filename))
    except CleaningError as exc:
        raise ImportRejected(f"{filename}: {exc}") from None

    result = BulkResult()
    for row in rows:
        if isinstance(row, bulk.RowError):
            result.rejected.append(RowOutcome(row.line, row.message))
        else:
            _import_row(project, row, user, import_source, filename, result)
        if on_row is not None:
            on_row(row.line)
    for outcome in result.rejected:
        logger.info("bulk import %s line %d rejected: %s", filename, outcome.line, outcome.message)
    return result


def bulk_row_count(data: bytes, filename: str) -> int:
    """How many rows a bulk file has (for progress bars); 0 if unreadable."""
    try:
        return sum(1 for _ in bulk.parse_bulk(cleaning.decode_bytes(data), filename))
    except CleaningError:
        return 0


def _import_row(project, row: "bulk.ArticleRow", user, import_source, filename, result):
    metadata = Metadata(
        title=row.title, url=row.url, outlet=row.outlet, author=row.author, published=row.published
    )
    try:
        if row.html:
            cleaned = _clean(cleaning.clean_html, row.html, url=row.url)
            original, input_format = row.html, InputFormat.HTML
        else:
            cleaned = _clean(cleaning.clean_plain_text, row.text)
            original = row.text
            input_format = (
                InputFormat.SCRAPED if cleaning.looks_scraped(row.text) else InputFormat.TEXT
            )
        article = _article_store(
            project=project,
            cleaned=cleaned,
            metadata=metadata,
            original_input=original,
            input_format=input_format,
            import_source=import_source,
            user=user,
            filename=filename,
        )
    except ImportRejected as exc:
        bucket = result.duplicates if exc.is_duplicate else result.rejected
        bucket.append(RowOutcome(row.line, exc.message, exc.existing))
    else:
        result.imported.append(RowOutcome(row.line, "imported", article))


def _clean(cleaner, raw: str, *, name: str = "", **kwargs) -> CleanedArticle:
    try:
        return cleaner(raw, **kwargs)
    except CleaningError as exc:
        raise ImportRejected(f"{name}: {exc}" if name else str(exc)) from None


def _too_large(limit: int) -> str:
    return f"too large (the limit is {limit // 1_000_000} MB)"


def _duplicate(existing: Article, what: str) -> ImportRejected:
    label = existing.title or f"article {existing.pk}"
    return ImportRejected(
        f"{what} is already in the project as “{label}” (article {existing.pk})",
        existing=existing,
    )


def _article_store(
    *,
    project: Project,
    cleaned: CleanedArticle,
    metadata: Metadata,
    original_input: str,
    input_format: str,
    import_source: str,
    user=None,
    filename: str = "",
) -> Article:
    text = unicodedata.normalize("NFC", cleaned.text).strip()
    if not text:
        raise ImportRejected("the article has no text after cleaning")
    # NUL cannot be stored in PostgreSQL text columns; refuse it explicitly.
    if "\x00" in text or "\x00" in original_input:
        raise ImportRejected("the input contains NUL characters: it looks binary")
    url = metadata.url.strip()
    digest = Article.hash_text(text)

    match = Q(content_hash=digest) | Q(url=url) if url else Q(content_hash=digest)
    existing = Article.objects.filter(match, project=project).first()
    if existing:
        what = "this URL" if url and existing.url == url else "the same text"
        raise _duplicate(existing, what)

    article = Article(
        project=project,
        title=(metadata.title or cleaned.title).strip()[:500],
        outlet=(metadata.outlet or cleaned.outlet).strip()[:200],
        author=(metadata.author or cleaned.author).strip()[:300],
        url=url,
        published_date=metadata.published or cleaned.published,
        language=(cleaned.language or "")[:16],
        original_input=original_input,
        input_format=input_format,
        import_source=import_source,
        original_filename=filename[:255],
        imported_by=user if user is not None and user.is_authenticated else None,
        canonical_text=text,
        content_hash=digest,
    )
    try:
        # Uniqueness was checked above, with a friendlier message.
        article.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ImportRejected(_validation_message(exc)) from None
    try:
        with transaction.atomic():
            article.save()
            extraction_enqueue(article=article, user=article.imported_by)
    except IntegrityError:
        # Another import of the same article committed in between.
        existing = Article.objects.filter(match, project=project).first()
        if existing:
            raise _duplicate(existing, "the same article") from None
        raise
    return article


def _validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)


# ----- assignment: whose queue an article is in ----------------------------------


class AssignmentRejected(Exception):
    """An assignment that cannot be made; ``str()`` is for the user."""


def article_assign(*, articles, assignee, user) -> int:
    """Put ``articles`` (all of one project) in ``assignee``'s queue, or in
    nobody's with ``assignee=None``; returns how many articles were updated.

    Editors and admins assign anyone with the reviewer role or higher. A
    reviewer may only take an unassigned article for themselves, or give back
    one of their own; the check and the write are one conditional update, so
    of two reviewers taking the same article at once, one is refused.
    """
    articles = list(articles)
    if not articles:
        raise AssignmentRejected("Select at least one article.")
    projects = {article.project_id for article in articles}
    if len(projects) > 1:
        raise AssignmentRejected("The articles belong to different projects.")
    project_id = projects.pop()
    roles = dict(
        Membership.objects.filter(
            project_id=project_id, user_id__in={user.pk, getattr(assignee, "pk", user.pk)}
        ).values_list("user_id", "role")
    )
    if not role_at_least(roles.get(user.pk), Role.REVIEWER):
        raise PermissionDenied("assigning articles needs the reviewer role")
    if assignee is not None and not role_at_least(roles.get(assignee.pk), Role.REVIEWER):
        raise AssignmentRejected(
            f"{assignee.get_username()} is not a reviewer of this project: only reviewers, "
            "editors and admins can be assigned articles."
        )
    editor = role_at_least(roles[user.pk], Role.EDITOR)
    if not editor and assignee is not None and assignee.pk != user.pk:
        raise PermissionDenied("only editors can assign articles to someone else")
    queryset = Article.objects.filter(project_id=project_id, pk__in=[a.pk for a in articles])
    if not editor:
        # Take what nobody has, or give back what is yours.
        queryset = queryset.filter(Q(assigned_to__isnull=True) | Q(assigned_to=user))
    with transaction.atomic():
        count = queryset.update(assigned_to=assignee, updated_at=timezone.now())
        if not editor and count < len(articles):
            raise AssignmentRejected(_taken_message(articles, user))
    for article in articles:
        article.assigned_to = assignee
    return count


def _taken_message(articles, user) -> str:
    held = (
        Article.objects.filter(pk__in=[a.pk for a in articles])
        .exclude(assigned_to=user)
        .exclude(assigned_to__isnull=True)
        .select_related("assigned_to")
        .first()
    )
    if held is None:
        return "This article is no longer in the project."
    return f"“{held}” is already assigned to {held.assigned_to.get_username()}."
