"""The import rules that keep the layers apart (docs/architecture.md, "Layers"): data flows
HTTP -> api -> services -> auth/db, never back. Read from the source with an AST walk, imports
inside functions included (they used to hide a cycle); imports under `if TYPE_CHECKING` are
left out, they never run."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "backend" / "leadflow"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {_module_name(path): path for path in PACKAGE_ROOT.rglob("*.py")}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from _import_nodes(node)


def imported_modules(module: str) -> set[str]:
    """Every module `module` imports, with `from package import submodule` resolved."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*anchor, base] if base else anchor)
        found.add(base)
        found.update(
            f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES
        )
    return found


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _violations(sources: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module in MODULES
        if any(_within(module, source) for source in sources)
        for target in imported_modules(module)
        if any(_within(target, banned) for banned in forbidden)
    )


@pytest.mark.parametrize(
    ("sources", "forbidden"),
    [
        (("leadflow.db", "leadflow.auth"), ("leadflow.services",)),
        (
            (
                "leadflow.services",
                "leadflow.auth",
                "leadflow.db",
                "leadflow.errors",
                "leadflow.global_ids",
            ),
            ("leadflow.api", "strawberry", "graphql", "starlette"),
        ),
        (("leadflow.db.migrations",), ("leadflow",)),
    ],
    ids=["db-auth-below-services", "domain-below-api", "migrations-frozen"],
)
def test_lower_layers_do_not_import_upper_ones(
    sources: tuple[str, ...], forbidden: tuple[str, ...]
) -> None:
    assert _violations(sources, forbidden) == []


def _api_graph() -> dict[str, set[str]]:
    api = [module for module in MODULES if _within(module, "leadflow.api")]
    return {
        module: {
            target
            for target in imported_modules(module)
            if target in MODULES and _within(target, "leadflow.api") and target != module
        }
        for module in api
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a path (first module repeated at the end), or []."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str]:
        state[module] = "open"
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[module] = "done"
        return []

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)):
            return cycle
    return []


def test_api_has_no_import_cycle() -> None:
    # A package's __init__ importing its own modules is not a cycle by itself; Python resolves
    # `leadflow.api.types` before its children, so the graph keeps those edges.
    assert find_cycle(_api_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def _optional_actor_parameters(module: str) -> list[str]:
    """Functions whose `actor` parameter admits None (annotation or default)."""
    tree = ast.parse(MODULES[module].read_text())
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        arguments = node.args
        positional = [*arguments.posonlyargs, *arguments.args]
        defaults = dict(
            zip(
                [a.arg for a in positional[len(positional) - len(arguments.defaults) :]],
                arguments.defaults,
                strict=True,
            )
        )
        defaults.update(
            {
                a.arg: d
                for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)
                if d
            }
        )
        for argument in [*positional, *arguments.kwonlyargs]:
            if argument.arg != "actor":
                continue
            annotation = ast.unparse(argument.annotation) if argument.annotation else ""
            default = defaults.get("actor")
            if (
                "None" in annotation
                or "Optional" in annotation
                or (isinstance(default, ast.Constant) and default.value is None)
            ):
                found.append(f"{module}.{node.name}({annotation})")
    return found


def test_no_service_takes_none_as_actor() -> None:
    """`None` used to pass every permission check; the system acts as a named SystemActor.
    (services.audit.record's `actor` may be None: a failed login of an unknown email has no
    actor; it records, it decides nothing.)"""
    found = [
        function
        for module in MODULES
        if _within(module, "leadflow.services") or _within(module, "leadflow.auth")
        for function in _optional_actor_parameters(module)
        if not function.startswith("leadflow.services.audit.record(")
    ]
    assert found == []


def test_creating_a_user_exists_once() -> None:
    """Only services.users inserts users; the API, the CLI and the demo call it."""
    creators = sorted(
        module
        for module, path in MODULES.items()
        if any(call in path.read_text() for call in ("User.create(", "User.bulk_create("))
    )
    assert creators == ["leadflow.services.users"]
