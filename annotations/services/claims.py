"""Claims a reviewer adds, decides, edits and judges.

Every change to an existing claim or verdict names the version it was based
on. A write based on an older version raises ``StaleWrite`` carrying the
current state, so the second of two reviewers is shown the other's change
instead of silently overwriting it.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotations.extraction.spans import SpanError, make_span
from annotations.models import (
    Article,
    Claim,
    ClaimOrigin,
    ClaimState,
    ClaimType,
    DeletedClaim,
    Membership,
    Role,
    Verdict,
    VerdictLabel,
)

EDITABLE_FIELDS = {"state", "claim_type", "claimant", "normalized_text"}
REVIEWABLE_STATES = {ClaimState.CANDIDATE, ClaimState.ACCEPTED, ClaimState.DISMISSED}


class ClaimRejected(Exception):
    """A claim change that cannot be saved; ``str()`` is for the user."""


class StaleWrite(Exception):
    """The object changed since the version the write was based on."""

    def __init__(self, current):
        self.current = current
        who = getattr(current, "changed_by_name", "") or "someone else"
        super().__init__(f"{who} changed this in the meantime (now version {current.version}).")


def require_role(project, user, role: str) -> Membership:
    membership = Membership.objects.filter(project=project, user=user).first()
    if membership is None or not membership.has_role(role):
        raise PermissionDenied(f"this needs the {Role(role).label.lower()} role in {project}")
    return membership


def claim_create_manual(
    *,
    article: Article,
    start: int,
    end: int,
    quote: str,
    user,
    claim_type: str = ClaimType.OTHER,
    claimant: str = "",
    normalized_text: str = "",
) -> Claim:
    """A span the reviewer selected. ``article.canonical_text[start:end]`` must
    equal ``quote`` exactly (offsets in code points)."""
    require_role(article.project, user, Role.REVIEWER)
    try:
        span = make_span(article.canonical_text, start, end, quote)
    except SpanError as exc:
        raise ClaimRejected(str(exc)) from None
    existing = Claim.objects.filter(article=article, start=span.start, end=span.end).first()
    if existing:
        raise ClaimRejected(
            f"this span is already claim {existing.pk} ({existing.get_state_display().lower()})"
        )
    claim = Claim(
        article=article,
        start=span.start,
        end=span.end,
        quote=span.quote,
        prefix=span.prefix,
        suffix=span.suffix,
        origin=ClaimOrigin.MANUAL,
        claim_type=claim_type,
        claimant=claimant,
        normalized_text=normalized_text,
        state=ClaimState.ACCEPTED,
        created_by=user,
    )
    _validate(claim)
    claim._history_user = user
    try:
        with transaction.atomic():
            claim.save()
    except IntegrityError:
        raise ClaimRejected("this span was just added by someone else") from None
    return claim


def claims_delete(*, claims) -> int:
    """Delete ``claims`` (a queryset), remembering each (``DeletedClaim``) so
    that incremental exports can report it. Returns how many went."""
    with transaction.atomic():
        deleted_claims_record(claims=claims)
        _, deleted = claims.delete()  # with their verdicts, evidence and matches
    return deleted.get(Claim._meta.label, 0)


def deleted_claims_record(*, claims) -> None:
    """Remember ``claims`` (a queryset) as deleted: for deletions the
    database makes itself, by cascade (an article's claims)."""
    now = timezone.now()
    DeletedClaim.objects.bulk_create(
        (
            DeletedClaim(uuid=uuid, project_id=project_id, deleted_at=now)
            for uuid, project_id in claims.values_list("uuid", "article__project_id").iterator()
        ),
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["uuid"],
        update_fields=["deleted_at", "project"],
    )


def claims_touch(*, claim_ids) -> None:
    """Mark claims changed (``updated_at``) when something their export
    record shows changed outside the claim row: their evidence, and above
    all what leaves no row with a time (a removed verdict, evidence link or
    match). Incremental exports (``updated_after``) then have them."""
    Claim.objects.filter(pk__in=set(claim_ids)).update(updated_at=timezone.now())


def claim_update(*, claim: Claim, user, expected_version: int, **changes) -> Claim:
    """Change a claim's state, type, claimant or normalized wording."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ClaimRejected(f"these fields cannot be changed here: {', '.join(sorted(unknown))}")
    if "state" in changes and changes["state"] not in REVIEWABLE_STATES:
        raise ClaimRejected(f"a claim cannot be set to {changes['state']!r}")
    require_role(claim.article.project, user, Role.REVIEWER)
    with transaction.atomic():
        current = _locked(Claim, claim.pk, expected_version)
        if all(getattr(current, name) == value for name, value in changes.items()):
            return current  # nothing to change: not a new version
        for name, value in changes.items():
            setattr(current, name, value)
        _validate(current)
        _save_new_version(current, user)
    return current


def claim_accept(*, claim: Claim, user, expected_version: int) -> Claim:
    return claim_update(
        claim=claim, user=user, expected_version=expected_version, state=ClaimState.ACCEPTED
    )


def claim_dismiss(*, claim: Claim, user, expected_version: int) -> Claim:
    return claim_update(
        claim=claim, user=user, expected_version=expected_version, state=ClaimState.DISMISSED
    )


def verdict_set(
    *,
    claim: Claim,
    reviewer,
    label: str,
    rationale: str = "",
    expected_version: int | None = None,
) -> Verdict:
    """Set the reviewer's own verdict on a claim (one per reviewer and claim).

    ``expected_version`` is the version of the reviewer's verdict the form
    showed (None if it showed none). Judging a candidate accepts it: a claim
    worth a verdict is worth checking.
    """
    project = claim.article.project
    require_role(project, reviewer, Role.REVIEWER)
    verdict_label = _label(project, label)
    with transaction.atomic():
        current_claim = Claim.objects.select_for_update().get(pk=claim.pk)
        verdict = Verdict.objects.filter(claim=current_claim, reviewer=reviewer).first()
        if verdict is None:
            if expected_version not in (None, 0):
                raise StaleWrite(_with_author(current_claim))
            verdict = Verdict(claim=current_claim, reviewer=reviewer)
        else:
            if expected_version is not None and verdict.version != expected_version:
                raise StaleWrite(_with_author(verdict))
            if verdict.label_id == verdict_label.pk and verdict.rationale == rationale:
                return verdict
            verdict.version += 1
        verdict.label = verdict_label
        verdict.rationale = rationale
        verdict._history_user = reviewer
        verdict.save()
        if current_claim.state == ClaimState.CANDIDATE:
            current_claim.state = ClaimState.ACCEPTED
        _follow_reviewers(current_claim)
        _save_new_version(current_claim, reviewer)
    return verdict


def verdict_delete(*, verdict: Verdict, reviewer, expected_version: int | None = None) -> None:
    """Withdraw the reviewer's own verdict; the claim's final verdict follows
    the verdicts left (unless an editor decided it). ``expected_version`` is
    the version the reviewer was shown: a verdict changed since (from another
    tab) is not withdrawn unseen. One withdrawn already is left as it is."""
    if verdict.reviewer_id != reviewer.pk:
        raise PermissionDenied("only its reviewer can withdraw a verdict")
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=verdict.claim_id)
        verdict = Verdict.objects.filter(pk=verdict.pk).first()
        if verdict is None:
            return
        if expected_version is not None and verdict.version != expected_version:
            raise StaleWrite(_with_author(verdict))
        verdict._history_user = reviewer
        verdict.delete()
        _follow_reviewers(claim)
        _save_new_version(claim, reviewer)


def claim_set_final_verdict(
    *, claim: Claim, editor, label: str | None, expected_version: int
) -> Claim:
    """An editor's final verdict (``None`` hands it back to the reviewers'
    agreement)."""
    project = claim.article.project
    require_role(project, editor, Role.EDITOR)
    verdict_label = _label(project, label) if label else None
    with transaction.atomic():
        current = _locked(Claim, claim.pk, expected_version)
        if verdict_label is None:
            current.final_verdict_by = None
            current.final_verdict_at = None
            _follow_reviewers(current)
        else:
            current.final_verdict = verdict_label
            current.final_verdict_by = editor
            current.final_verdict_at = timezone.now()
            if current.state == ClaimState.CANDIDATE:
                current.state = ClaimState.ACCEPTED
        _save_new_version(current, editor)
    return current


def _follow_reviewers(claim: Claim) -> None:
    """Unless an editor decided, the final verdict is the reviewers' verdict
    when they all agree, and none while they disagree."""
    if claim.final_verdict_by_id is not None:
        return
    labels = set(Verdict.objects.filter(claim=claim).values_list("label_id", flat=True))
    claim.final_verdict_id = labels.pop() if len(labels) == 1 else None
    claim.final_verdict_at = timezone.now() if claim.final_verdict_id else None


def _label(project, slug: str) -> VerdictLabel:
    label = VerdictLabel.objects.filter(project=project, slug=slug).first()
    if label is None:
        known = ", ".join(project.verdict_labels.values_list("slug", flat=True))
        raise ClaimRejected(f"unknown verdict {slug!r} (this project has: {known})")
    return label


def _locked(model, pk: int, expected_version: int):
    current = model.objects.select_for_update().get(pk=pk)
    if current.version != expected_version:
        raise StaleWrite(_with_author(current))
    return current


def _with_author(obj):
    """Attach who made the latest change, for the conflict message."""
    latest = obj.history.select_related("history_user").first() if hasattr(obj, "history") else None
    user = latest.history_user if latest else None
    obj.changed_by_name = user.get_username() if user else ""
    return obj


def _save_new_version(claim: Claim, user) -> None:
    claim.version += 1
    claim._history_user = user
    claim.save()


# Relations are set by the services from objects they loaded, never from
# input: checking that each still exists would cost a query apiece.
_RELATIONS = [f.name for f in Claim._meta.concrete_fields if f.is_relation]


def _validate(claim: Claim) -> None:
    try:
        claim.full_clean(exclude=_RELATIONS, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ClaimRejected("; ".join(exc.messages)) from None
