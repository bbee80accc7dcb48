"""The house's layers point one way:

    core (ir, dims, lang, ops, tape, symbolic, engines, ...) -> jobs
    -> history, scaling (data only) -> report (all HTML) -> service, cli

Every import of every module is read with ``ast`` (those inside functions
too, since a lazy import is a dependency all the same); one that reaches a
higher layer fails, as does any circle of modules, and production code
never imports the test helpers of ``diffbench/testing.py``."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import diffbench

ROOT = Path(diffbench.__file__).parent
#: package -> layer; every other module of diffbench is core (layer 0)
LAYERS = {"jobs": 1, "history": 2, "scaling": 2, "report": 3, "service": 4, "cli": 4}
NAMES = {0: "core", 1: "jobs", 2: "history/scaling", 3: "report", 4: "service/cli"}
TEST_ONLY = "diffbench.testing"


def module_name(path: Path) -> str:
    parts = ["diffbench", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS.get(parts[1], 0) if len(parts) > 1 else 0


def imports(module: str) -> list[tuple[str, int]]:
    """``[(imported diffbench module, line)]`` anywhere in ``module``;
    ``from pkg import sub`` counts as importing ``pkg.sub`` when that is a module."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
            found += [(m, node.lineno) for m in (subs if len(subs) == len(node.names) else [base, *subs])]
    return [(m, line) for m, line in found if m.split(".")[0] == "diffbench" and m in MODULES]


GRAPH = {m: imports(m) for m in MODULES}


def test_the_walker_sees_imports_inside_functions():
    lazy = [m for m, _ in GRAPH["diffbench.report"]]
    assert "diffbench.report.render" in lazy  # imported inside write_report_file only


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_goes_up_a_layer(module):
    upward = [f"line {line}: {target} ({NAMES[layer(target)]})" for target, line in GRAPH[module]
              if layer(target) > layer(module)]
    assert not upward, f"{module} ({NAMES[layer(module)]}) imports a higher layer: " + "; ".join(upward)


def test_production_code_never_imports_the_test_helpers():
    users = sorted(m for m, found in GRAPH.items() if m != TEST_ONLY and any(t == TEST_ONLY for t, _ in found))
    assert not users, f"{users} import {TEST_ONLY} (for tests and benchmarks only)"


def test_no_circle_of_modules():
    circles = _strongly_connected({m: {t for t, _ in found if t != m} for m, found in GRAPH.items()})
    assert not circles, "modules that import each other: " + "; ".join(" <-> ".join(sorted(c)) for c in circles)


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative; the components with two modules or more."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            nxt = next(edges, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(component)
    return out
