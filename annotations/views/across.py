"""Claims across outlets: the claims that matches (confirmed or suggested)
connect, in groups, with the outlets that carry each and where they disagree.

A group is a connected component of the graph whose nodes are claims and
whose edges are the project's matches that were not rejected. The graph is
read as bare ids in one query and grouped here; only the claims of the
groups on the page are then read, in a second query.
"""

from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from annotations.models import Claim, ClaimMatch, Stance
from annotations.views.access import get_project_for_user
from annotations.views.highlighting import CONFLICT_ICON, STANCE_ICONS

GROUPS_PER_PAGE = 20


@dataclass
class Edge:
    left: int
    right: int
    stance: str
    number_conflict: bool
    state: str

    @property
    def disagrees(self) -> bool:
        return self.stance == Stance.DISPUTES or self.number_conflict


@dataclass
class Group:
    claim_ids: set = field(default_factory=set)
    edges: list = field(default_factory=list)
    outlets: dict = field(default_factory=dict)  # article id -> outlet (or title)
    claims: list = field(default_factory=list)
    disputes: list = field(default_factory=list)

    @property
    def outlet_names(self) -> list[str]:
        return sorted(set(self.outlets.values()), key=str.casefold)

    @property
    def disagrees(self) -> bool:
        return any(edge.disagrees for edge in self.edges)

    @property
    def confirmed(self) -> int:
        return sum(edge.state == ClaimMatch.State.CONFIRMED for edge in self.edges)


@require_GET
def claims_across(request, slug):
    project, membership = get_project_for_user(request, slug)
    only_disputed = request.GET.get("disagree") == "on"
    # Suggested matches chain: A~B and B~C put A and C in one group though
    # nobody said they are the same. Reviewers can look at what was confirmed.
    only_confirmed = request.GET.get("confirmed") == "on"
    groups = match_groups(project, confirmed_only=only_confirmed)
    if only_disputed:
        groups = [group for group in groups if group.disagrees]
    page = Paginator(groups, GROUPS_PER_PAGE).get_page(request.GET.get("page"))
    _load_claims(page.object_list)
    context = {
        "project": project,
        "membership": membership,
        "page": page,
        "group_total": len(groups),
        "only_disputed": only_disputed,
        "only_confirmed": only_confirmed,
        "conflict_icon": CONFLICT_ICON,
    }
    return render(request, "annotations/claims_across.html", context)


def match_groups(project, *, confirmed_only: bool = False) -> list[Group]:
    """The connected components, most outlets first (one query)."""
    matches = ClaimMatch.objects.filter(left__article__project=project)
    if confirmed_only:
        matches = matches.filter(state=ClaimMatch.State.CONFIRMED)
    else:
        matches = matches.exclude(state=ClaimMatch.State.REJECTED)
    rows = matches.order_by().values_list(
        "left_id",
        "right_id",
        "stance",
        "number_conflict",
        "state",
        "left__article_id",
        "left__article__outlet",
        "left__article__title",
        "right__article_id",
        "right__article__outlet",
        "right__article__title",
    )
    parent: dict[int, int] = {}

    def root(node: int) -> int:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]  # path halving
            node = parent[node]
        return node

    edges, outlets = [], {}
    for left, right, stance, conflict, state, *articles in rows:
        edges.append(Edge(left, right, stance, conflict, state))
        for claim_id, (article_id, outlet, title) in (
            (left, articles[:3]),
            (right, articles[3:]),
        ):
            outlets[claim_id] = (article_id, outlet or title or f"Article {article_id}")
        a, b = root(left), root(right)
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups: dict[int, Group] = {}
    for edge in edges:
        group = groups.setdefault(root(edge.left), Group())
        group.edges.append(edge)
        for claim_id in (edge.left, edge.right):
            group.claim_ids.add(claim_id)
            article_id, outlet = outlets[claim_id]
            group.outlets[article_id] = outlet
    return sorted(
        groups.values(),
        key=lambda g: (
            -len(set(g.outlets.values())),
            -len(g.outlets),
            -len(g.claim_ids),
            min(g.claim_ids),
        ),
    )


def _load_claims(groups) -> None:
    """The claims of ``groups`` with their articles (one query), in each
    group by outlet and reading order, and each group's disagreements."""
    ids = {pk for group in groups for pk in group.claim_ids}
    if not ids:
        return
    claims = {
        claim.pk: claim
        for claim in Claim.objects.filter(pk__in=ids)
        .select_related("article")
        .only(
            "pk",
            "quote",
            "prefix",
            "suffix",
            "state",
            "start",
            "article__id",
            "article__title",
            "article__outlet",
            "article__published_date",
        )
    }
    for group in groups:
        disputing = set()
        for edge in group.edges:
            if not edge.disagrees:
                continue
            left, right = claims[edge.left], claims[edge.right]
            disputing |= {edge.left, edge.right}
            group.disputes.append(
                {
                    "left": left,
                    "right": right,
                    "stance_icon": STANCE_ICONS[edge.stance],
                    "stance": Stance(edge.stance).label,
                    "number_conflict": edge.number_conflict,
                    "state": ClaimMatch.State(edge.state).label,
                }
            )
        group.claims = sorted(
            (claims[pk] for pk in group.claim_ids),
            key=lambda c: ((c.article.outlet or c.article.title).casefold(), c.article_id, c.start),
        )
        for claim in group.claims:
            claim.disputed = claim.pk in disputing
