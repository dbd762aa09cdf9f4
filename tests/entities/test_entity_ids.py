"""Entity ids are stable across runs; merges and splits are recorded."""

from __future__ import annotations

import pandas as pd

from resolver.entities.ids import assign_entity_ids


def _clusters(groups: list[list[str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(k, i) for i, g in enumerate(groups) for k in g], columns=["record_key", "cluster"]
    )


def _ids(a) -> dict[str, str]:
    return dict(zip(a.members["record_key"], a.members["entity_id"], strict=True))


def test_first_run_numbers_clusters_by_smallest_key() -> None:
    a = assign_entity_ids(_clusters([["b:1", "a:9"], ["a:1"]]), None, obj="customer", next_number=1)
    assert _ids(a) == {"a:1": "CUS-0000001", "a:9": "CUS-0000002", "b:1": "CUS-0000002"}
    assert set(a.events["event"]) == {"created"}
    assert a.next_number == 3


def test_same_clusters_keep_their_ids_and_record_nothing() -> None:
    first = assign_entity_ids(
        _clusters([["a:1", "b:1"], ["a:2"]]), None, obj="customer", next_number=1
    )
    again = assign_entity_ids(
        _clusters([["a:2"], ["b:1", "a:1"]]),
        first.members,
        obj="customer",
        next_number=first.next_number,
    )
    assert _ids(again) == _ids(first)
    assert again.events.empty
    assert again.next_number == first.next_number


def test_merge_keeps_the_larger_id_and_records_lineage() -> None:
    prev = pd.DataFrame(
        {"record_key": ["a:1", "a:2", "a:3"], "entity_id": ["CUS-1", "CUS-1", "CUS-2"]}
    )
    a = assign_entity_ids(_clusters([["a:1", "a:2", "a:3"]]), prev, obj="customer", next_number=10)
    assert set(_ids(a).values()) == {"CUS-1"}
    ev = a.events.set_index("event")
    assert ev.loc["merged_from", "related"] == "CUS-2"
    assert ev.loc["merged_into", "entity_id"] == "CUS-2"


def test_split_keeps_the_id_on_the_larger_part() -> None:
    prev = pd.DataFrame({"record_key": ["a:1", "a:2", "a:3"], "entity_id": ["CUS-1"] * 3})
    a = assign_entity_ids(
        _clusters([["a:1", "a:2"], ["a:3"]]), prev, obj="customer", next_number=10
    )
    ids = _ids(a)
    assert ids["a:1"] == ids["a:2"] == "CUS-1"
    assert ids["a:3"] == "CUS-0000010"
    events = set(zip(a.events["entity_id"], a.events["event"], a.events["related"], strict=True))
    assert ("CUS-0000010", "split_from", "CUS-1") in events
    assert ("CUS-1", "split_into", "CUS-0000010") in events


def test_new_records_join_existing_ids_and_untouched_entities_keep_theirs() -> None:
    prev = pd.DataFrame({"record_key": ["a:1", "a:2"], "entity_id": ["CUS-1", "CUS-2"]})
    a = assign_entity_ids(
        _clusters([["a:1", "b:7"], ["a:2"], ["c:1"]]), prev, obj="customer", next_number=3
    )
    ids = _ids(a)
    assert ids == {"a:1": "CUS-1", "b:7": "CUS-1", "a:2": "CUS-2", "c:1": "CUS-0000003"}
