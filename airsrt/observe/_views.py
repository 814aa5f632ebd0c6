"""What the page shows of a snapshot: the visible part of the tree, search results, one actor.

The page never downloads the whole tree: it says which nodes are expanded (and which page of a
large group it looks at) and gets back just the rows to draw. A node with more than
`GROUP_THRESHOLD` children shows them grouped by class ("Worker x 4,000", with totals); an
expanded group shows `PAGE_SIZE` children at a time. So a tree of a million actors costs the
page what it shows, and the server one pass over the snapshot per refresh.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from airsrt._snapshot import ActorSnapshot, ClusterSnapshot, SupervisorSnapshot, SystemSnapshot

GROUP_THRESHOLD = 50
PAGE_SIZE = 100
MAX_ROWS = 2000
MAX_MATCHES = 200


class TreeIndex:
    """A snapshot's actors by id and by parent (built once per snapshot, on first use)."""

    def __init__(self, snapshot: SystemSnapshot | ClusterSnapshot, rates: Mapping[int, float]) -> None:
        self.snapshot = snapshot
        self.rates = rates
        self.by_id: dict[str, ActorSnapshot] = {}
        self.children: defaultdict[str, list[ActorSnapshot]] = defaultdict(list)
        self.roots: list[ActorSnapshot] = []
        for actor in snapshot.actors:
            actor_id = actor.id
            self.by_id[actor_id] = actor
            parent = actor.parent
            if parent is None:
                self.roots.append(actor)
            else:
                self.children[parent].append(actor)
        self.supervisors: dict[str, SupervisorSnapshot] = {s.actor: s for s in snapshot.supervisors}
        self.loop_time = {n.node: n.loop_time for n in snapshot.nodes}

    def rate(self, actor: ActorSnapshot) -> float | None:
        return self.rates.get(actor.uid)

    def row(self, actor: ActorSnapshot, *, expanded: bool = False, path: bool = False) -> dict[str, Any]:
        """One actor as the page draws it."""
        busy_for = None
        if actor.busy_since is not None:
            busy_for = max(self.loop_time.get(actor.node, actor.busy_since) - actor.busy_since, 0.0)
        row: dict[str, Any] = {
            "type": "actor",
            "id": actor.id,
            "name": actor.name,
            "class": actor.class_name,
            "kind": actor.kind,
            "state": actor.state,
            "depth": actor.depth,
            "mailbox": actor.mailbox,
            "max_mailbox": actor.max_mailbox,
            "processed": actor.processed,
            "rate": self.rate(actor),
            "failed": actor.failed,
            "restarts": actor.restarts,
            "incarnation": actor.incarnation,
            "children": actor.children,
            "child_id": actor.child_id,
            "busy_for": busy_for,
            "handling": actor.handling,
            "expanded": expanded,
        }
        if path:
            row["path"] = actor.path
        return row

    def group_row(
        self, parent: ActorSnapshot, class_name: str | None, members: list[ActorSnapshot],
        *, expanded: bool, offset: int,
    ) -> dict[str, Any]:
        """The children of `parent` of one class, as one row with their totals."""
        states: dict[str, int] = {}
        rate = 0.0
        rated = False
        for member in members:
            states[member.state] = states.get(member.state, 0) + 1
            r = self.rates.get(member.uid)
            if r is not None:
                rate += r
                rated = True
        return {
            "type": "group",
            "id": group_id(parent.id, class_name),
            "parent": parent.id,
            "class": class_name,
            "name": f"{class_name} \u00d7 {len(members):,}",
            "depth": parent.depth + 1,
            "count": len(members),
            "mailbox": sum(m.mailbox for m in members),
            "max_mailbox": max((m.max_mailbox for m in members), default=0),
            "processed": sum(m.processed for m in members),
            "rate": rate if rated else None,
            "failed": sum(m.failed for m in members),
            "restarts": sum(m.restarts for m in members),
            "states": states,
            "expanded": expanded,
            "offset": offset,
            "page_size": PAGE_SIZE,
        }

    def visible_rows(self, expanded: Iterable[str], pages: Mapping[str, int]) -> tuple[list[dict[str, Any]], bool]:
        """The rows of the tree as shown with `expanded` nodes and groups open.

        Args:
            expanded: Ids of expanded actors and groups (a group's id is
                ``"<parent id>|<class>"``).
            pages: The first child shown, per expanded group id.

        Returns:
            The rows, depth first, and whether `MAX_ROWS` cut them short.
        """
        open_ids = set(expanded)
        rows: list[dict[str, Any]] = []
        # Depth first: a stack of actors still to draw (pushed in reverse).
        stack: list[ActorSnapshot] = list(reversed(self.roots))
        while stack:
            if len(rows) >= MAX_ROWS:
                return rows, True
            actor = stack.pop()
            is_open = actor.id in open_ids
            rows.append(self.row(actor, expanded=is_open))
            if not is_open:
                continue
            kids = self.children.get(actor.id, [])
            if len(kids) <= GROUP_THRESHOLD:
                stack.extend(reversed(kids))
                continue
            # Too many to list: one row per class, in order of first appearance.
            by_class: dict[str | None, list[ActorSnapshot]] = {}
            for kid in kids:
                by_class.setdefault(kid.class_name, []).append(kid)
            for class_name, members in by_class.items():
                gid = group_id(actor.id, class_name)
                group_open = gid in open_ids
                offset = clamp_offset(pages.get(gid, 0), len(members))
                rows.append(self.group_row(actor, class_name, members, expanded=group_open, offset=offset))
                if group_open:
                    for member in members[offset:offset + PAGE_SIZE]:
                        if len(rows) >= MAX_ROWS:
                            return rows, True
                        # A grouped child's own subtree opens in the details panel, not inline.
                        rows.append(self.row(member, expanded=False))
        return rows, False

    def search(self, query: str) -> tuple[list[dict[str, Any]], int]:
        """Actors whose name, class or path contains `query` (case-insensitive), with paths."""
        needle = query.strip().lower()
        matches: list[dict[str, Any]] = []
        total = 0
        for actor in self.snapshot.actors:
            if (
                needle in actor.name.lower()
                or (actor.class_name is not None and needle in actor.class_name.lower())
                or needle in actor.path.lower()
            ):
                total += 1
                if len(matches) < MAX_MATCHES:
                    matches.append(self.row(actor, path=True))
        return matches, total

    def details(self, actor_id: str) -> dict[str, Any] | None:
        """Everything about one actor: its row, path, supervisor record and its spec there."""
        actor = self.by_id.get(actor_id)
        if actor is None:
            return None
        row = self.row(actor, path=True)
        row["registered_name"] = actor.registered_name
        row["waiting_senders"] = actor.waiting_senders
        row["parent"] = actor.parent
        row["node"] = actor.node
        sup = self.supervisors.get(actor_id)
        parent_sup = self.supervisors.get(actor.parent) if actor.parent is not None else None
        spec = None
        if parent_sup is not None:
            for child in parent_sup.children:
                if child.actor == actor_id:
                    spec = child.as_dict()
        return {
            "actor": row,
            "supervisor": sup.as_dict() if sup is not None else None,
            "supervised_by": parent_sup.as_dict() if parent_sup is not None else None,
            "spec": spec,
        }


def group_id(parent_id: str, class_name: str | None) -> str:
    return f"{parent_id}|{class_name}"


def clamp_offset(offset: int, count: int) -> int:
    if offset < 0 or offset >= count:
        return 0
    return offset - offset % PAGE_SIZE
