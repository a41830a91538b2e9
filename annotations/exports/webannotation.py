"""W3C Web Annotation (JSON-LD): an ``AnnotationCollection`` of pages.

Each claim is one annotation whose target is its span of the article, given
twice as the model recommends: a ``TextQuoteSelector`` (quote, prefix,
suffix) and a ``TextPositionSelector`` (code points, as Python counts them).
Its bodies say what was decided: a ``tagging`` body for the claim type,
``assessing`` bodies for each reviewer's verdict and for the final verdict
(with ``commenting`` bodies for rationales), a ``classifying`` body for the
final verdict, and a ``linking`` body for each piece of evidence, whose
stance (supports, disputes, context) is its ``styleClass``, defined by the
annotation's stylesheet. Times are UTC with ``Z``.

A streamed file holds every annotation in its first page; the API serves
the same collection in pages of ``page_size`` linked by ``next``.
"""

from collections.abc import Iterator

import orjson

from annotations.exports import formats
from annotations.exports.claimreview import Publisher
from annotations.exports.records import ExportScope, build_records, claim_pages, claim_records
from annotations.exports.schema import Record, RecordEvidence

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'

_encode = orjson.dumps
STANCE_STYLESHEET = {
    "type": "CssStylesheet",
    "value": ".supports { color: #1c6b3c } .disputes { color: #a3242b } "
    ".context { color: #5b6673 }",
}


def annotation_id(uuid: str) -> str:
    return f"urn:uuid:{uuid}"


def annotation(record: Record, publisher: Publisher) -> dict:
    provenance = record.provenance
    bodies = [{"type": "TextualBody", "purpose": "tagging", "value": record.claim_type}]
    if record.normalized_text:
        bodies.append(
            {"type": "TextualBody", "purpose": "describing", "value": record.normalized_text}
        )
    for verdict in record.verdicts:
        who = _person(verdict.reviewer)
        bodies.append(
            {
                "type": "TextualBody",
                "purpose": "assessing",
                "value": verdict.verdict,
                "creator": who,
                "created": verdict.created_at,
                "modified": verdict.updated_at,
            }
        )
        if verdict.rationale:
            bodies.append(
                {
                    "type": "TextualBody",
                    "purpose": "commenting",
                    "value": verdict.rationale,
                    "creator": who,
                    "created": verdict.created_at,
                }
            )
    final = record.final_verdict
    if final:
        # The final verdict classifies the claim; reviewers' verdicts assess it.
        bodies.append(
            {
                "type": "TextualBody",
                "purpose": "classifying",
                "value": final.verdict,
                "creator": _person(final.editor) if final.editor else _app(publisher),
                "created": final.at,
            }
        )
    for link in record.evidence:
        bodies.append(_evidence_body(link, publisher))

    assessed = bool(record.verdicts or final)
    if provenance.origin == "extracted":
        creator = {
            "type": "Software",
            "name": f"factcheck extractor {provenance.extractor_version}".strip(),
        }
    else:
        creator = _person(provenance.author or "unknown")
    result = {
        "id": annotation_id(record.uuid),
        "type": "Annotation",
        "motivation": "assessing" if assessed else "tagging",
        "created": provenance.created_at,
        "modified": provenance.updated_at,
        "creator": creator,
        "generator": _app(publisher),
        "body": bodies,
        "target": {
            "type": "SpecificResource",
            "source": record.article.url or publisher.article_url(record),
            "selector": [
                {
                    "type": "TextQuoteSelector",
                    "exact": record.quote,
                    "prefix": record.prefix,
                    "suffix": record.suffix,
                },
                {"type": "TextPositionSelector", "start": record.start, "end": record.end},
            ],
        },
    }
    if record.evidence:
        # An evidence body's styleClass is its stance; the model wants the
        # classes defined by a stylesheet on the annotation.
        result["stylesheet"] = STANCE_STYLESHEET
    return result


def _evidence_body(link: RecordEvidence, publisher: Publisher) -> dict:
    target = link.target
    if link.kind == "claim":
        source = annotation_id(target.uuid)
    else:
        source = getattr(target, "url", "") or f"urn:uuid:{target.uuid}"
    body = {
        "type": "SpecificResource",
        "purpose": "linking",
        "source": source,
        "styleClass": link.stance,
        "creator": _person(link.created_by or "unknown"),
        "created": link.created_at,
        "modified": link.updated_at,
    }
    if link.excerpt_start is not None:
        body["selector"] = [
            {
                "type": "TextQuoteSelector",
                "exact": link.excerpt,
                "prefix": link.excerpt_prefix,
                "suffix": link.excerpt_suffix,
            },
            {
                "type": "TextPositionSelector",
                "start": link.excerpt_start,
                "end": link.excerpt_end,
            },
        ]
    return body


def _person(username: str) -> dict:
    return {"type": "Person", "nickname": username}


def _app(publisher: Publisher) -> dict:
    return {"type": "Software", "name": publisher.name, "homepage": publisher.base_url + "/"}


def collection(
    scope: ExportScope, publisher: Publisher, *, collection_id: str, label: str
) -> Iterator[bytes]:
    """The whole collection as one document, every annotation in its first
    page, streamed. ``total`` is counted first (one query)."""
    total = scope.count()
    head = {
        "@context": ANNO_CONTEXT,
        "id": collection_id,
        "type": "AnnotationCollection",
        "label": label,
        "total": total,
    }
    if not total:
        yield _encode(head) + b"\n"
        return
    page_id = _with_param(collection_id, "page", "1")
    head["last"] = page_id
    first = {"id": page_id, "type": "AnnotationPage", "startIndex": 0}
    yield from formats.array(
        (
            _encode(annotation(record, publisher))
            for page in claim_records(scope)
            for record in page
        ),
        before=_encode(head)[:-1] + b',"first":' + _encode(first)[:-1] + b',"items":[',
        after=b"\n]}}\n",
    )


def collection_page(
    scope: ExportScope,
    publisher: Publisher,
    *,
    collection_id: str,
    label: str,
    page_size: int,
    after: int | None,
    first_page: bool = False,
) -> dict:
    """One page of the paged collection (the API): without ``after``, the
    collection with its first page embedded (or, ``first_page``, that page
    alone); with it, the page that starts after claim ``after``, linked to
    the next one."""
    qs = scope.queryset()
    total = qs.count()
    paged = ExportScope(claims=qs, chunk_size=page_size)
    if after is not None:
        paged = ExportScope(claims=qs.filter(pk__gt=after), chunk_size=page_size)
    rows = next(claim_pages(paged), [])
    items = [annotation(r, publisher) for r in build_records(rows)] if rows else []
    page = {
        "id": _page_id(collection_id, after),
        "type": "AnnotationPage",
        "partOf": collection_id,
        "startIndex": qs.filter(pk__lte=after).count() if after is not None else 0,
        "items": items,
    }
    if rows and len(rows) == page_size and qs.filter(pk__gt=rows[-1][0]).exists():
        page["next"] = _page_id(collection_id, rows[-1][0])
    if after is not None or first_page:
        return {"@context": ANNO_CONTEXT, **page}
    head = {
        "@context": ANNO_CONTEXT,
        "id": collection_id,
        "type": "AnnotationCollection",
        "label": label,
        "total": total,
    }
    if total:
        del page["partOf"]
        head["first"] = page
        head["last"] = _page_id(collection_id, _last_page_after(qs, total, page_size))
    return head


def _last_page_after(qs, total: int, page_size: int) -> int | None:
    start = ((total - 1) // page_size) * page_size
    if start == 0:
        return None
    return qs.order_by("pk").values_list("pk", flat=True)[start - 1]


def _page_id(collection_id: str, after: int | None) -> str:
    if after is None:
        return _with_param(collection_id, "page", "1")
    return _with_param(collection_id, "after", str(after))


def _with_param(url: str, name: str, value: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{name}={value}"
