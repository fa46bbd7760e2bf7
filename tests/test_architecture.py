"""The shape of the package: no import cycles, layers that import only downwards, and the
api facade on top (docs/architecture.md explains the layers).

Every module of edgekit is parsed with `ast` (nothing is imported); every import counts,
including those inside functions and `from edgekit.x import y` where y is a submodule.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "edgekit"
# The command-line layer sits above the api facade and may call it.
API_CALLERS = ("edgekit.cli", "edgekit.commands", "edgekit.__main__")

# Bottom to top, as in docs/architecture.md: a module may import its own layer and the
# layers below it, never one above. Every top-level module or package must be listed.
LAYERS: list[tuple[str, ...]] = [
    ("edgekit", "edgekit.errors", "edgekit.resources", "edgekit.tool_log"),
    # Two leaves that sit low although their packages are higher: the kernel-variant table
    # (boards validate against it) and the one Jinja environment (targets render with it).
    ("edgekit.ir", "edgekit.boards", "edgekit.kernels.variants", "edgekit.codegen.render"),
    ("edgekit.load", "edgekit.passes", "edgekit.memory", "edgekit.quantize", "edgekit.device",
     "edgekit.targets", "edgekit.boot"),
    ("edgekit.kernels",),
    ("edgekit.codegen", "edgekit.profile"),
    ("edgekit.pipeline", "edgekit.reference", "edgekit.inspect", "edgekit.mlperf", "edgekit.docs_table"),
    ("edgekit.build", "edgekit.validate", "edgekit.export"),
    ("edgekit.verify", "edgekit.optimize"),
    ("edgekit.api",),
    ("edgekit.commands", "edgekit.cli", "edgekit.__main__"),
]


def module_files() -> dict[str, Path]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """The edgekit module `name` refers to (a module, or the package of an attribute)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every edgekit module that `module` imports, anywhere in its body."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            # `from edgekit.x import y`: y may be a submodule (then that is what is imported).
            names = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source
                     for alias in node.names]
        else:
            continue
        for name in names:
            if name == "edgekit" or name.startswith("edgekit."):
                target = _known(name, modules)
                if target is not None and target != module:
                    found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = module_files()
    return {m: imports_of(m, p, modules) for m, p in modules.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each as a cycle
    path a -> b -> ... -> a through the component."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_cycle_path(graph, set(c), c[0]) for c in components]


def _cycle_path(graph: dict[str, set[str]], component: set[str], start: str) -> list[str]:
    """A shortest path start -> ... -> start inside one component (breadth first)."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for v in frontier:
            for w in sorted(graph[v] & component):
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start] if v != start else [start, start]
                if w not in previous:
                    previous[w] = v
                    following.append(w)
        frontier = following
    raise AssertionError(f"{start} is in no cycle")


def _describe(cycles: list[list[str]]) -> str:
    """Each cycle, and every module caught in the same knot (its strongly connected component)."""
    graph = import_graph()
    parts = []
    for cycle in cycles:
        knot = {cycle[0]} | {m for m in graph if _reaches(graph, cycle[0], m) and _reaches(graph, m, cycle[0])}
        parts.append(" -> ".join(cycle) + (f" (knot of {len(knot)}: {', '.join(sorted(knot))})"
                                           if len(knot) > len(cycle) - 1 else ""))
    return "; ".join(parts)


def _reaches(graph: dict[str, set[str]], a: str, b: str) -> bool:
    seen, todo = {a}, [a]
    while todo:
        for w in graph[todo.pop()]:
            if w == b:
                return True
            if w not in seen:
                seen.add(w)
                todo.append(w)
    return False


def test_no_module_imports_one_that_imports_it_back() -> None:
    cycles = find_cycles(import_graph())
    assert not cycles, f"import cycles: {_describe(cycles)}"


def layer_of(module: str) -> int | None:
    for level, names in enumerate(LAYERS):
        if any(module == n or module.startswith(n + ".") for n in names if n != "edgekit"):
            return level
    return 0 if module == "edgekit" else None


def test_every_module_imports_only_its_own_layer_and_below() -> None:
    graph = import_graph()
    unplaced = sorted(m for m in graph if layer_of(m) is None)
    assert not unplaced, f"modules in no layer (add their package to LAYERS and docs/architecture.md): {unplaced}"
    upward = sorted(f"{m} -> {d}" for m, deps in graph.items() for d in deps
                    if (layer_of(d) or 0) > (layer_of(m) or 0))
    assert not upward, f"imports of a higher layer: {upward}"


def test_nothing_below_the_command_line_imports_the_api_facade() -> None:
    graph = import_graph()
    callers = sorted(m for m, deps in graph.items() if "edgekit.api" in deps and not m.startswith(API_CALLERS))
    assert not callers, f"edgekit.api is the top of the library, yet imported by {callers}"


def test_memory_planner_knows_no_op_by_name() -> None:
    """An op's memory behaviour is declared by its lowering (MemoryContract), so a new
    kernel needs no edit in edgekit/memory."""
    from edgekit.kernels.lowering import supported_op_types

    names = supported_op_types()
    found = []
    for path in sorted((PACKAGE / "memory").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in names:
                found.append(f"{path.name}:{node.lineno} {node.value!r}")
    assert not found, f"op names in edgekit/memory: {found}"


def test_the_detector_sees_function_level_and_submodule_imports(tmp_path: Path) -> None:
    """The checker itself: a cycle made of a function-level import and a
    `from package import submodule` is found and named."""
    root = tmp_path / "edgekit"
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "sub" / "__init__.py").write_text("")
    (root / "a.py").write_text("def f():\n    from edgekit.sub import b\n")
    (root / "sub" / "b.py").write_text("from .. import a\n")
    (root / "c.py").write_text("import edgekit.a\n")
    modules = {"edgekit": root / "__init__.py", "edgekit.sub": root / "sub" / "__init__.py",
               "edgekit.a": root / "a.py", "edgekit.sub.b": root / "sub" / "b.py", "edgekit.c": root / "c.py"}
    graph = {m: imports_of(m, p, modules) for m, p in modules.items()}
    assert graph["edgekit.a"] == {"edgekit.sub.b"} and graph["edgekit.sub.b"] == {"edgekit.a"}
    assert find_cycles(graph) == [["edgekit.a", "edgekit.sub.b", "edgekit.a"]]
