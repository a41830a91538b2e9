"""What an export says of a claim: one ``Record`` per claim, as typed structs.

The JSON and JSONL exports are these records encoded as they are (the JSON
keys are the field names, in this order); CSV, ClaimReview and Web
Annotation are written from them. Structs cost a fraction of dicts to build
and to encode, and ``gc=False`` keeps them out of the garbage collector's
way (a record holds no cycle).
"""

from typing import Any

import msgspec


class RecordArticle(msgspec.Struct, gc=False):
    uuid: str
    id: int
    title: str
    outlet: str
    author: str
    url: str
    published_date: str | None
    language: str


class RecordVerdict(msgspec.Struct, gc=False):
    reviewer: str | None
    verdict: str
    name: str
    rating: int
    rationale: str
    version: int
    created_at: str
    updated_at: str


class FinalVerdict(msgspec.Struct, gc=False):
    verdict: str
    name: str
    rating: int
    # Set by an editor, or followed from the reviewers' agreement.
    decided_by: str
    editor: str | None
    at: str | None


class SourceTarget(msgspec.Struct, gc=False):
    url: str
    title: str
    publisher: str


class ArticleTarget(msgspec.Struct, gc=False):
    uuid: str
    title: str
    url: str


class ClaimTarget(msgspec.Struct, gc=False):
    uuid: str
    quote: str


class RecordEvidence(msgspec.Struct, gc=False):
    uuid: str
    stance: str
    kind: str  # "source", "article" or "claim": the type of target
    target: SourceTarget | ArticleTarget | ClaimTarget
    excerpt: str
    excerpt_start: int | None
    excerpt_end: int | None
    excerpt_prefix: str
    excerpt_suffix: str
    note: str
    created_by: str | None
    created_at: str
    updated_at: str


class RecordMatch(msgspec.Struct, gc=False):
    claim: str  # the other claim's uuid
    article_url: str
    article_title: str
    article_published_date: str | None
    score: float
    state: str
    stance: str


class Provenance(msgspec.Struct, gc=False):
    origin: str
    extractor_version: str | None
    score: float | None
    reasons: Any  # the extractor's, as stored (a list of strings)
    author: str | None
    created_at: str
    updated_at: str


class Record(msgspec.Struct, gc=False):
    uuid: str
    id: int
    project: str
    quote: str
    start: int
    end: int
    prefix: str
    suffix: str
    normalized_text: str
    claim_type: str
    claimant: str
    state: str
    version: int
    article: RecordArticle
    verdicts: list[RecordVerdict]
    final_verdict: FinalVerdict | None
    evidence: list[RecordEvidence]
    matches: list[RecordMatch]
    provenance: Provenance
