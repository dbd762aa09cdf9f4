"""Stable entity ids: a new run's cluster inherits the id of the earlier entity it
overlaps most; merges, splits, creations and retirements are recorded as events."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

ID_PREFIX = {"customer": "CUS-", "invoice": "INV-"}


@dataclass
class Assignment:
    """Each record's entity id, the events this run caused, and the next free number."""

    members: pd.DataFrame  # record_key, entity_id
    events: pd.DataFrame  # entity_id, event, related, members
    next_number: int


def assign_entity_ids(
    clusters: pd.DataFrame,
    previous: pd.DataFrame | None,
    *,
    obj: str,
    next_number: int,
) -> Assignment:
    """Give every cluster an entity id.

    ``clusters``: record_key, cluster (any label). ``previous``: record_key, entity_id
    of the last published run (or None). Each earlier id goes to at most one cluster:
    the one holding most of its records (ties: the cluster whose smallest record key
    sorts first). Clusters that inherit nothing get new ids, numbered in order of their
    smallest record key, so the same inputs always give the same ids.
    """
    prefix = ID_PREFIX[obj]
    c = clusters[["record_key", "cluster"]].copy()
    first_key = c.groupby("cluster")["record_key"].min().rename("first_key")
    size = c.groupby("cluster").size().rename("size")
    inherit: dict = {}
    events: list[dict] = []
    if previous is not None and len(previous):
        ov = c.merge(previous[["record_key", "entity_id"]], on="record_key", how="inner")
        counts = ov.groupby(["cluster", "entity_id"]).size().rename("overlap").reset_index()
        counts = counts.join(first_key, on="cluster")
        counts = counts.sort_values(
            ["overlap", "first_key", "entity_id"], ascending=[False, True, True], kind="stable"
        )
        used: set[str] = set()
        for cluster, entity_id in zip(counts["cluster"], counts["entity_id"], strict=True):
            if cluster in inherit or entity_id in used:
                continue
            inherit[cluster] = entity_id
            used.add(entity_id)
        # lineage: which earlier entities each cluster drew from, and vice versa
        sources = counts.groupby("cluster")["entity_id"].apply(lambda s: sorted(set(s)))
        targets = counts.groupby("entity_id")["cluster"].apply(lambda s: list(s))
    else:
        sources = pd.Series(dtype=object)
        targets = pd.Series(dtype=object)
        used = set()

    ids: dict = {}
    number = next_number
    for cluster in first_key.sort_values(kind="stable").index:
        if cluster in inherit:
            ids[cluster] = inherit[cluster]
        else:
            ids[cluster] = f"{prefix}{number:07d}"
            number += 1

    for cluster, entity_id in ids.items():
        drew = list(sources.get(cluster, [])) if len(sources) else []
        if not drew:
            events.append(_event(entity_id, "created", [], size[cluster]))
            continue
        others = [e for e in drew if e != entity_id]
        if cluster not in inherit:
            events.append(_event(entity_id, "split_from", drew, size[cluster]))
        elif others:
            events.append(_event(entity_id, "merged_from", others, size[cluster]))
        split_off = [ids[k] for k in targets.get(entity_id, []) if k != cluster]
        if cluster in inherit and split_off:
            events.append(_event(entity_id, "split_into", sorted(split_off), size[cluster]))
    if previous is not None and len(previous):
        gone = set(previous["entity_id"]) - set(ids.values())
        for entity_id in sorted(gone):
            went = sorted({ids[k] for k in targets.get(entity_id, [])})
            events.append(_event(entity_id, "merged_into" if went else "retired", went, 0))

    members = c.assign(entity_id=c["cluster"].map(ids))[["record_key", "entity_id"]]
    ev = pd.DataFrame(events, columns=["entity_id", "event", "related", "members"])
    return Assignment(members=members.reset_index(drop=True), events=ev, next_number=number)


def _event(entity_id: str, event: str, related: list[str], members: int) -> dict:
    return {
        "entity_id": entity_id,
        "event": event,
        "related": ",".join(related),
        "members": int(members),
    }
