"""The shape of the code: apps in layers, each importing only from layers below it, and no import cycles.

Layers, lowest first. The shared base (`platform`) knows no app; the composition root (`project`) sits on top of
everything. A new app must be placed in ``LAYERS`` before it can import anything.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "mutualaid"

LAYERS: list[set[str]] = [
    {"platform"},
    {"tenants"},
    {"drg"},
    {"policies"},
    {"funds"},
    {"enrolment_index"},
    {"enrolment"},
    {"claims_queue"},
    {"claims"},
    {"payouts"},
    {"disclosure"},
    {"reporting"},
    {"graphql", "web"},
    {"project"},
    {"__init__"},  # the package itself loads the Celery app, as Django projects do
]
LAYER_OF = {app: index for index, apps in enumerate(LAYERS) for app in apps}


def _module_name(path: Path) -> str:
    parts = ["mutualaid", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.relative_to(PACKAGE).parts
    }


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Every project module ``path`` imports, at module level or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from a.b import c`` imports the module a.b.c when c is a module, else a.b.
            targets = [
                f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules else node.module
                for alias in node.names
            ]
        else:
            continue
        found.update(target for target in targets if target in modules)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules) - {name} for name, path in modules.items()}


def _app(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and (PACKAGE / parts[1]).is_dir()) else "__init__"


def test_every_app_has_a_layer():
    apps = {_app(module) for module in _modules()}
    assert sorted(apps - LAYER_OF.keys()) == []


def test_no_app_imports_a_higher_layer():
    upward = sorted(
        f"{module} → {target}"
        for module, targets in _graph().items()
        for target in targets
        if LAYER_OF.get(_app(target), 99) > LAYER_OF.get(_app(module), -1)
    )
    assert upward == []


def test_apps_of_one_layer_do_not_import_each_other():
    sideways = sorted(
        f"{module} → {target}"
        for module, targets in _graph().items()
        for target in targets
        if _app(target) != _app(module) and LAYER_OF.get(_app(target)) == LAYER_OF.get(_app(module))
    )
    assert sideways == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles_between_modules():
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_domain_code_never_imports_the_graphql_layer():
    below_graphql = {app for app, layer in LAYER_OF.items() if layer < LAYER_OF["graphql"]}
    offenders = sorted(
        module
        for module, targets in _graph().items()
        if _app(module) in below_graphql and any(_app(target) == "graphql" for target in targets)
    )
    assert offenders == []
