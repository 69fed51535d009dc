"""Check the project's module import graph for cycles and unexplained function-local imports.

Run it as ``python -m tests.import_graph`` from the repository root. It walks the AST of
``manage.py`` and every module of the project's packages (not ``tests/``; a migration
only when it imports a project module), builds the dependency graph counting imports
inside functions too, and prints:

* every import cycle: a strongly connected component of more than one module, with one
  concrete loop through it and the line of each edge;
* every function-local import of another project module without a comment on its line
  or on the line above saying why it is local.

The exit status is 1 when it finds either, 0 when the graph is clean.

How imports are resolved:

* relative imports are resolved against the importing module's package;
* ``from pkg import name`` where ``pkg/name.py`` (or ``pkg/name/``) exists counts as
  importing the submodule ``pkg.name`` (as well as ``pkg`` itself);
* importing ``a.b.c`` also runs ``a/__init__.py`` and ``a/b/__init__.py``, so it counts
  as importing those packages too — except a module's own parent packages, which
  Python has always loaded before the module itself, so they are no dependency;
* a package's ``__init__.py`` is a module like the others (named after the package);
* imports under ``if TYPE_CHECKING:`` count: a cycle through annotations is still a
  cycle in the design, even if Python never runs it.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "plexkiosk", "requests_app", "library", "downloads")
SCRIPTS = ("manage.py",)


@dataclass(frozen=True)
class Edge:
    """One import statement from one project module to another."""

    source: str
    target: str
    line: int
    local: bool
    explained: bool


@dataclass
class Module:
    """A project module: its dotted name, file and whether it is a package's ``__init__``."""

    name: str
    path: Path
    is_package: bool
    edges: list[Edge] = field(default_factory=list)


def module_name(path: Path, root: Path) -> tuple[str, bool]:
    """Return the dotted name of the module at ``path`` and whether it is a package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def project_files(
    root: Path, packages: tuple[str, ...] = PACKAGES, scripts: tuple[str, ...] = SCRIPTS
) -> Iterator[Path]:
    """Yield every Python file of the project, migrations included (filtered later)."""
    for script in scripts:
        if (root / script).is_file():
            yield root / script
    for package in packages:
        yield from sorted((root / package).rglob("*.py"))


def is_migration(name: str) -> bool:
    """Tell whether the module is a Django migration."""
    return ".migrations." in f".{name}." and not name.endswith(".migrations")


class _ImportVisitor(ast.NodeVisitor):
    """Collect every import statement with the function depth it sits at."""

    def __init__(self) -> None:
        self.found: list[tuple[ast.Import | ast.ImportFrom, bool]] = []
        self._depth = 0

    def _enter_function(self, node: ast.AST) -> None:
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1

    visit_FunctionDef = _enter_function
    visit_AsyncFunctionDef = _enter_function
    visit_Lambda = _enter_function

    def visit_Import(self, node: ast.Import) -> None:
        self.found.append((node, self._depth > 0))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.found.append((node, self._depth > 0))


def _has_comment(lines: list[str], node: ast.stmt) -> bool:
    """Tell whether the import's lines, or the line above it, carry a ``#`` comment.

    One comment above a block of imports (blank lines allowed) explains the whole block.
    """
    first = node.lineno - 1
    last = (node.end_lineno or node.lineno) - 1
    candidates = lines[first : last + 1]
    above = first - 1
    while above >= 0 and (
        not lines[above].strip() or lines[above].lstrip().startswith(("import ", "from "))
    ):
        above -= 1
    if above >= 0:
        candidates.append(lines[above])
    for text in candidates:
        # A comment, not a '#' inside a string: good enough for import lines.
        if "#" in text and not text.strip().startswith(("'", '"')):
            comment = text.split("#", 1)[1].strip()
            if comment and not comment.startswith(("noqa", "type:", "pragma")):
                return True
    return False


class Graph:
    """The project's modules and the imports between them."""

    def __init__(
        self,
        root: Path = ROOT,
        packages: tuple[str, ...] = PACKAGES,
        scripts: tuple[str, ...] = SCRIPTS,
    ) -> None:
        self.root = root
        self.modules: dict[str, Module] = {}
        for path in project_files(root, packages, scripts):
            name, is_package = module_name(path, root)
            self.modules[name] = Module(name, path, is_package)
        for module in list(self.modules.values()):
            module.edges = self._edges(module)
        # A migration is part of the graph only when it imports a project module.
        for name in [n for n in self.modules if is_migration(n)]:
            if not self.modules[name].edges:
                del self.modules[name]

    def _resolve_base(self, module: Module, node: ast.ImportFrom) -> str | None:
        """Return the absolute dotted name ``from X import …`` refers to."""
        if node.level == 0:
            return node.module
        package = module.name.split(".") if module.is_package else module.name.split(".")[:-1]
        if node.level - 1 > len(package):
            return None
        base = package[: len(package) - (node.level - 1)]
        if node.module:
            base = [*base, *node.module.split(".")]
        return ".".join(base)

    def _targets(self, module: Module, node: ast.Import | ast.ImportFrom) -> list[str]:
        """Return the project modules one import statement loads, deepest first."""
        named: list[str] = []
        if isinstance(node, ast.Import):
            named = [alias.name for alias in node.names]
        else:
            base = self._resolve_base(module, node)
            if base is None:
                return []
            named.append(base)
            for alias in node.names:
                if alias.name != "*" and f"{base}.{alias.name}" in self.modules:
                    named.append(f"{base}.{alias.name}")
        own_parents = _ancestors(module.name)
        targets: list[str] = []
        for name in named:
            for candidate in [name, *_ancestors(name)]:
                if (
                    candidate in self.modules
                    and candidate != module.name
                    and candidate not in own_parents
                    and candidate not in targets
                ):
                    targets.append(candidate)
        return targets

    def _edges(self, module: Module) -> list[Edge]:
        """Return every edge from ``module`` to another project module."""
        source = module.path.read_text(encoding="utf-8")
        lines = source.splitlines()
        visitor = _ImportVisitor()
        visitor.visit(ast.parse(source, filename=str(module.path)))
        edges = []
        for node, local in visitor.found:
            explained = _has_comment(lines, node) if local else True
            for target in self._targets(module, node):
                edges.append(Edge(module.name, target, node.lineno, local, explained))
        return edges

    def adjacency(self) -> dict[str, list[Edge]]:
        """Return, for each module, its edges to other modules of the graph."""
        return {
            name: [e for e in module.edges if e.target in self.modules]
            for name, module in self.modules.items()
        }

    def cycles(self) -> list[list[str]]:
        """Return the strongly connected components of more than one module, sorted."""
        adjacency = {n: sorted({e.target for e in es}) for n, es in self.adjacency().items()}
        return [sorted(c) for c in _tarjan(adjacency) if len(c) > 1]

    def loop_through(self, component: list[str]) -> list[Edge]:
        """Return one closed walk of edges inside ``component``, starting at its first module."""
        members = set(component)
        adjacency = {n: [e for e in self.adjacency()[n] if e.target in members] for n in component}
        start = component[0]
        # Breadth-first from each successor back to start: the shortest loop through start.
        for first in sorted(adjacency[start], key=lambda e: (e.local, e.target)):
            path = _shortest_path(adjacency, first.target, start)
            if path is not None:
                return [first, *path]
        return []

    def unexplained_local_imports(self) -> list[Edge]:
        """Return function-local imports of project modules with no comment saying why."""
        found: dict[tuple[str, int], Edge] = {}
        for module in self.modules.values():
            for edge in module.edges:
                if edge.local and not edge.explained:
                    found.setdefault((edge.source, edge.line), edge)
        return sorted(found.values(), key=lambda e: (e.source, e.line))


def _ancestors(name: str) -> list[str]:
    """Return the parent packages of a dotted module name, nearest first."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]


def _shortest_path(adjacency: dict[str, list[Edge]], start: str, goal: str) -> list[Edge] | None:
    """Return the shortest list of edges from ``start`` to ``goal``, or None."""
    if start == goal:
        return []
    previous: dict[str, Edge] = {}
    frontier = [start]
    seen = {start}
    while frontier:
        following = []
        for node in frontier:
            for edge in adjacency.get(node, []):
                if edge.target in seen:
                    continue
                seen.add(edge.target)
                previous[edge.target] = edge
                if edge.target == goal:
                    path = [edge]
                    while path[0].source != start:
                        path.insert(0, previous[path[0].source])
                    return path
                following.append(edge.target)
        frontier = following
    return None


def _tarjan(adjacency: dict[str, list[str]]) -> list[list[str]]:
    """Return the strongly connected components of a directed graph (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(adjacency):
        if root in index:
            continue
        work = [(root, iter(adjacency[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(adjacency.get(successor, []))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(component)
    return sorted(components, key=lambda c: sorted(c))


def _where(graph: Graph, edge: Edge) -> str:
    """Return ``path:line`` for an edge's import statement."""
    path = graph.modules[edge.source].path.relative_to(graph.root)
    return f"{path}:{edge.line}"


def report(graph: Graph) -> tuple[list[str], int, int]:
    """Return the report's lines, the number of cycles and of unexplained local imports."""
    lines: list[str] = []
    cycles = graph.cycles()
    lines.append(f"Import cycles: {len(cycles)}")
    for number, component in enumerate(cycles, 1):
        lines.append(f"  cycle {number}: {len(component)} modules: {', '.join(component)}")
        for edge in graph.loop_through(component):
            kind = "function-local" if edge.local else "module-level"
            lines.append(f"    {edge.source} -> {edge.target}  ({_where(graph, edge)}, {kind})")
        members = set(component)
        inner = sorted(
            {
                (e.source, e.target, e.line, e.local)
                for n in component
                for e in graph.adjacency()[n]
                if e.target in members
            }
        )
        lines.append(f"    all {len(inner)} imports inside this cycle:")
        for source, target, line, local in inner:
            edge = Edge(source, target, line, local, True)
            kind = "local" if local else "top"
            lines.append(f"      {source} -> {target}  ({_where(graph, edge)}, {kind})")
    unexplained = graph.unexplained_local_imports()
    lines.append("")
    lines.append(
        f"Function-local imports of project modules with no comment saying why: {len(unexplained)}"
    )
    for edge in unexplained:
        loaded = {e.target for e in graph.modules[edge.source].edges if e.line == edge.line}
        # Name the modules imported, not the packages they sit in.
        targets = sorted(t for t in loaded if not any(u.startswith(f"{t}.") for u in loaded))
        lines.append(f"  {_where(graph, edge)}: {edge.source} imports {', '.join(targets)}")
    lines.append("")
    lines.extend(app_report(graph))
    return lines, len(cycles), len(unexplained)


def app_report(graph: Graph) -> list[str]:
    """Return informational lines on cycles between top-level packages (not counted)."""
    between: dict[tuple[str, str], list[Edge]] = {}
    for name, edges in graph.adjacency().items():
        for edge in edges:
            source, target = name.split(".")[0], edge.target.split(".")[0]
            if source != target:
                between.setdefault((source, target), []).append(edge)
    adjacency: dict[str, list[str]] = {}
    for source, target in between:
        adjacency.setdefault(source, []).append(target)
        adjacency.setdefault(target, [])
    components = [sorted(c) for c in _tarjan(adjacency) if len(c) > 1]
    lines = [
        f"App-level cycles (for information, not counted in the exit status): {len(components)}"
    ]
    for component in components:
        lines.append(f"  {', '.join(component)}")
        for (source, target), edges in sorted(between.items()):
            if source in component and target in component:
                deepest = [
                    e
                    for e in edges
                    if not any(
                        o.line == e.line
                        and o.source == e.source
                        and o.target.startswith(f"{e.target}.")
                        for o in edges
                    )
                ]
                modules = sorted({f"{e.source} -> {e.target}" for e in deepest})
                lines.append(f"    {source} -> {target}: {len(modules)} imports")
                lines.extend(f"      {m}" for m in modules)
    return lines


def main(argv: list[str] | None = None) -> int:
    """Print the report and return 1 when there is any cycle or unexplained local import."""
    graph = Graph(ROOT)
    lines, cycles, unexplained = report(graph)
    print("\n".join(lines))
    return 1 if cycles or unexplained else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
