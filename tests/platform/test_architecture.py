"""Dependency direction: graphql → domain apps → platform. Domain code never imports the GraphQL layer."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "mutualaid"
# Project wiring mounts the API; it is not domain code.
WIRING = {"platform/urls_public.py", "platform/urls_town.py", "platform/management/commands/graphql_sdl.py"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_domain_code_never_imports_the_graphql_layer():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("graphql/") or relative in WIRING:
            continue
        if any(
            name == "mutualaid.graphql" or name.startswith("mutualaid.graphql.") for name in _imports(path)
        ):
            offenders.append(relative)
    assert offenders == []
