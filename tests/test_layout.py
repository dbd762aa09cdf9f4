"""The package reads as the data flow: resolver never imports api, imports are made
at the top of a module (a deferred one must name the cycle it breaks), and every
module imports on its own (no cycles)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
STAGES = ["ingest", "normalize", "linkage", "clustering", "entities", "review", "report"]


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imports(path: Path) -> list[tuple[str, ast.AST, bool]]:
    """(module imported, node, inside a function)."""
    tree = ast.parse(path.read_text())
    inside = {
        id(n)
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
        for n in ast.walk(fn)
    }
    out = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            out += [(a.name, n, id(n) in inside) for a in n.names]
        elif isinstance(n, ast.ImportFrom) and n.module:
            out.append((n.module, n, id(n) in inside))
    return out


def test_resolver_never_imports_api() -> None:
    offenders = [
        f"{p.relative_to(ROOT)}:{n.lineno} imports {m}"
        for p in _modules("resolver")
        for m, n, _ in _imports(p)
        if m == "api" or m.startswith("api.")
    ]
    assert offenders == []


def test_importing_the_whole_library_loads_no_api_module() -> None:
    code = (
        "import importlib, pkgutil, sys, resolver\n"
        "for m in pkgutil.walk_packages(resolver.__path__, 'resolver.'):\n"
        "    if not m.name.endswith('__main__'): importlib.import_module(m.name)\n"
        "print(sorted(n for n in sys.modules if n == 'api' or n.startswith('api.')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_a_deferred_import_names_the_cycle_or_optional_package_it_is_for() -> None:
    """Imports live at the top of a module. One inside a function is allowed only
    with a comment on the line above saying why (a cycle, an optional package)."""
    offenders = []
    for package in ("resolver", "api"):
        for p in _modules(package):
            lines = p.read_text().splitlines()
            for m, n, inside in _imports(p):
                if not inside:
                    continue
                above = lines[n.lineno - 2].strip() if n.lineno > 1 else ""
                if not above.startswith("#") and "try:" not in above:
                    offenders.append(f"{p.relative_to(ROOT)}:{n.lineno} {m}")
    assert offenders == []


def _module_name(p: Path) -> str:
    return ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _top_level_imports(path: Path) -> list[str]:
    """Modules a module imports when it is loaded (not under TYPE_CHECKING, not in
    a function)."""
    tree = ast.parse(path.read_text())
    out: list[str] = []
    for n in tree.body:
        if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test):
            continue
        for node in ast.walk(n):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                break
            if isinstance(node, ast.Import):
                out += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                out.append(node.module)
                out += [f"{node.module}.{a.name}" for a in node.names]
    return out


def test_no_import_cycles() -> None:
    """The import graph of resolver and api at load time has no cycle (the root
    package's re-exports aside), so any module can be imported first."""
    paths = {_module_name(p): p for pkg in ("resolver", "api") for p in _modules(pkg)}
    graph = nx.DiGraph()
    for name, path in paths.items():
        graph.add_node(name)
        for target in _top_level_imports(path):
            ancestor = name.startswith(target + ".")  # its own package: loaded first
            if target in paths and target != name and not ancestor:
                graph.add_edge(name, target)
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert cycles == []


def test_tests_mirror_the_package() -> None:
    for stage in [*STAGES, "store"]:
        assert (ROOT / "tests" / stage).is_dir(), f"tests/{stage} is missing"


def test_the_readmes_layout_names_every_package_and_top_level_module() -> None:
    text = (ROOT / "README.md").read_text()
    block = text.split("## Layout", 1)[1].split("```", 2)[1]
    packages = sorted(p.parent.name for p in (ROOT / "resolver").glob("*/__init__.py"))
    missing = [f"{name}/" for name in packages if f"  {name}/" not in block]
    top = sorted(p.name for p in (ROOT / "resolver").glob("*.py") if not p.name.startswith("__"))
    missing += [name for name in top if name not in block]
    assert missing == []


def test_every_package_has_its_tests_folder() -> None:
    packages = sorted(p.parent.name for p in (ROOT / "resolver").glob("*/__init__.py"))
    missing = [name for name in packages if not (ROOT / "tests" / name).is_dir()]
    assert missing == []
