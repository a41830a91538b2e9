"""Web pages: function views that read top to bottom (find what the user may
see, handle the form through a service, render). One module per page."""

from annotations.views.across import claims_across
from annotations.views.articles import article_import
from annotations.views.assignment import article_assignment
from annotations.views.claim_actions import (
    claim_create,
    claim_decide,
    claim_edit,
    claim_final_verdict,
    claim_verdict,
    evidence_create,
    match_decide,
    verdict_withdraw,
)
from annotations.views.evidence_actions import evidence_delete, evidence_update
from annotations.views.excerpts import evidence_excerpt
from annotations.views.projects import (
    article_list,
    article_list_assign,
    project_detail,
    project_list,
    project_progress,
)
from annotations.views.review import (
    article_detail,
    article_extract,
    article_next,
    article_status,
    claim_detail,
    evidence_targets,
)
from annotations.views.sources import source_detail, source_retry

__all__ = [
    "article_assignment",
    "article_detail",
    "article_extract",
    "article_import",
    "article_list",
    "article_list_assign",
    "article_next",
    "article_status",
    "claim_create",
    "claim_decide",
    "claim_detail",
    "claim_edit",
    "claim_final_verdict",
    "claim_verdict",
    "claims_across",
    "evidence_create",
    "evidence_delete",
    "evidence_excerpt",
    "evidence_targets",
    "evidence_update",
    "match_decide",
    "project_detail",
    "project_list",
    "project_progress",
    "source_detail",
    "source_retry",
    "verdict_withdraw",
]
