"""Stable entity ids: a new run's cluster inherits the id of the earlier entity it
overlaps most; merges, splits, creations and retirements are recorded as events."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
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
    g = c.groupby("cluster")["record_key"]
    info = pd.DataFrame({"first_key": g.min(), "size": g.size()}).sort_values(
        "first_key", kind="stable"
    )
    has_previous = previous is not None and len(previous) > 0
    if has_previous:
        ov = c.merge(previous[["record_key", "entity_id"]], on="record_key", how="inner")
        counts = ov.groupby(["cluster", "entity_id"]).size().rename("overlap").reset_index()
        counts = counts.join(info["first_key"], on="cluster")
        counts = counts.sort_values(
            ["overlap", "first_key", "entity_id"], ascending=[False, True, True], kind="stable"
        ).reset_index(drop=True)
        inherit = _greedy_match(counts)
    else:
        counts = pd.DataFrame(columns=["cluster", "entity_id", "overlap"])
        inherit = pd.Series(dtype=object)

    # ids: inherited, else new numbers in order of each cluster's smallest record key
    info["entity_id"] = pd.Series(info.index.map(inherit), index=info.index, dtype=object)
    new = info["entity_id"].isna().to_numpy()
    numbers = next_number + np.cumsum(new) - 1
    info.loc[new, "entity_id"] = [f"{prefix}{n:07d}" for n in numbers[new]]
    number = next_number + int(new.sum())
    ids = info["entity_id"]

    events: list[dict] = []
    drew_from = counts.groupby("cluster")["entity_id"].nunique() if has_previous else None
    if not has_previous:
        events = [
            _event(e, "created", [], n)
            for e, n in zip(info["entity_id"], info["size"], strict=True)
        ]
    if has_previous:
        fresh = info.index.difference(drew_from.index)
        for cluster in fresh:
            events.append(_event(ids[cluster], "created", [], info.at[cluster, "size"]))
        # the few clusters and entities that changed: lineage lists for them only
        changed_clusters = set(drew_from.index[drew_from > 1]) | (
            set(drew_from.index) - set(inherit.index)
        )
        fanout = counts.groupby("entity_id")["cluster"].nunique()
        split_entities = set(fanout.index[fanout > 1])
        sub = counts[counts["cluster"].isin(changed_clusters)]
        sources = sub.groupby("cluster")["entity_id"].agg(lambda s: sorted(set(s)))
        tsub = counts[counts["entity_id"].isin(split_entities)]
        targets = tsub.groupby("entity_id")["cluster"].agg(list)
        for cluster, drew in sources.items():
            entity_id, size = ids[cluster], info.at[cluster, "size"]
            if cluster not in inherit.index:
                events.append(_event(entity_id, "split_from", drew, size))
            else:
                others = [e for e in drew if e != entity_id]
                if others:
                    events.append(_event(entity_id, "merged_from", others, size))
        for entity_id, clusters_of in targets.items():
            keeper = inherit.index[inherit == entity_id]
            if len(keeper):
                split_off = sorted(ids[k] for k in clusters_of if k != keeper[0])
                events.append(
                    _event(entity_id, "split_into", split_off, info.at[keeper[0], "size"])
                )
        gone = set(previous["entity_id"]) - set(ids)
        all_targets = counts[counts["entity_id"].isin(gone)].groupby("entity_id")["cluster"]
        went_to = all_targets.agg(list) if len(gone) else pd.Series(dtype=object)
        for entity_id in sorted(gone):
            went = sorted({ids[k] for k in went_to.get(entity_id, [])})
            events.append(_event(entity_id, "merged_into" if went else "retired", went, 0))

    members = c.assign(entity_id=c["cluster"].map(ids))[["record_key", "entity_id"]]
    ev = pd.DataFrame(events, columns=["entity_id", "event", "related", "members"])
    return Assignment(members=members.reset_index(drop=True), events=ev, next_number=number)


def _greedy_match(counts: pd.DataFrame) -> pd.Series:
    """cluster -> inherited entity id: edges taken in ``counts``' order, each cluster and
    each earlier entity at most once. Computed in rounds of locally dominant edges (an
    edge first in order for both its cluster and its entity), which gives exactly the
    sequential greedy result, in a few vectorised passes instead of a Python loop."""
    # integer codes: set operations on numpy ints, not on arrow strings
    c_codes, c_names = pd.factorize(counts["cluster"])
    e_codes, e_names = pd.factorize(counts["entity_id"])
    remaining = pd.DataFrame({"c": c_codes, "e": e_codes})
    taken_c, taken_e = [], []
    while len(remaining):
        best_for_cluster = remaining.drop_duplicates("c", keep="first").index
        best_for_entity = remaining.drop_duplicates("e", keep="first").index
        chosen = remaining.loc[best_for_cluster.intersection(best_for_entity)]
        taken_c.append(chosen["c"].to_numpy())
        taken_e.append(chosen["e"].to_numpy())
        remaining = remaining[
            ~np.isin(remaining["c"].to_numpy(), chosen["c"].to_numpy())
            & ~np.isin(remaining["e"].to_numpy(), chosen["e"].to_numpy())
        ]
    if not taken_c:
        return pd.Series(dtype=object)
    cs, es = np.concatenate(taken_c), np.concatenate(taken_e)
    return pd.Series(np.asarray(e_names, dtype=object)[es], index=np.asarray(c_names)[cs])


def _event(entity_id: str, event: str, related: list[str], members: int) -> dict:
    return {
        "entity_id": entity_id,
        "event": event,
        "related": ",".join(related),
        "members": int(members),
    }
