"""The one YAML loader for contracts, rules and settings files: safe, and bounded.

``yaml.safe_load`` builds no objects, but it follows aliases: nine lines of anchors
(``a: &a [x, x, ...]``, ``b: &b [*a, *a, ...]`` ...) make a "billion laughs" document,
cheap to load and exponential to walk — the first deep copy or hash of it runs until
memory is gone. :func:`load_yaml` refuses, before anything walks it, a document
larger than :data:`MAX_BYTES` and one whose aliases would add more than
:data:`MAX_EXPANDED_VALUES` values when expanded (an anchor reused a few times is fine), with an
error naming the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 4 * 1024 * 1024
MAX_EXPANDED_VALUES = 100_000
# libyaml's parser when PyYAML was built with it (same documents, much faster)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class UnsafeYaml(yaml.YAMLError):
    """A YAML document refused before it is built: too large, or an alias bomb."""


def load_yaml(path: Path | str, *, text: str | None = None) -> Any:
    """The document in ``path`` (or ``text``, read from ``path``), as plain data.

    Raises :class:`UnsafeYaml` (a ``yaml.YAMLError``) for an oversized document or an
    alias bomb, and ``yaml.YAMLError`` for invalid YAML; callers name the file (every
    loader reports ``<file>: not valid YAML: <why>``).
    """
    path = Path(path)
    if text is None:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise UnsafeYaml(
                f"refused: {size:,} bytes, over the {MAX_BYTES:,} a YAML file may hold"
            )
        text = path.read_text(encoding="utf-8")
    elif len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise UnsafeYaml(f"refused: over the {MAX_BYTES:,} bytes a YAML file may hold")
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a node graph whose aliases add more than MAX_EXPANDED_VALUES values when
    expanded, or that refers to itself. A node reached twice is an alias; its expanded
    size is counted each time, but computed once (a large document without aliases
    is bounded by MAX_BYTES alone)."""
    sizes: dict[int, int] = {}
    seen: set[int] = set()
    on_path: set[int] = set()
    # iterative post-order walk: (node, children done?)
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            on_path.discard(key)
            total = 1 + sum(sizes[id(c)] for c in children)
            sizes[key] = total
            if total - len(seen) > MAX_EXPANDED_VALUES:  # what the aliases add
                raise UnsafeYaml(
                    "refused: its aliases expand to over "
                    f"{MAX_EXPANDED_VALUES:,} values (a YAML alias bomb?); write the "
                    "values out or use fewer anchors"
                )
            continue
        if key in on_path:
            raise UnsafeYaml("refused: an alias refers to a value that contains it")
        if key in seen:
            if key not in sizes:  # pragma: no cover - a DAG reaches it only when done
                raise UnsafeYaml("refused: an alias refers to a value that contains it")
            continue
        seen.add(key)
        on_path.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in reversed(children) if id(c) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []
