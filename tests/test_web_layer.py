"""The web layer's "once for every route" (docs/architecture.md): only `leadflow/web/` (and
app.py, which assembles it) speaks HTTP; requests are authenticated in one module, the client's
address is read in one function, and background tasks are started in one module (jobs.py).
Read from the source with an AST walk, like tests/test_layers.py."""

from __future__ import annotations

import ast

from tests.test_layers import MODULES, _within, imported_modules


def _modules_that(predicate) -> list[str]:
    return sorted(
        module
        for module, path in MODULES.items()
        if any(predicate(node) for node in ast.walk(ast.parse(path.read_text(), str(path))))
    )


def test_only_the_web_layer_speaks_http() -> None:
    speaking = [
        module
        for module in MODULES
        if any(_within(target, "starlette") for target in imported_modules(module))
    ]
    assert [m for m in sorted(speaking) if not _within(m, "leadflow.web")] == ["leadflow.app"]


def test_requests_are_authenticated_in_one_module() -> None:
    authenticating = sorted(
        module
        for module in MODULES
        if {"leadflow.auth.tokens", "leadflow.auth.sessions"} & imported_modules(module)
        and _within(module, "leadflow.web")
    )
    assert authenticating == ["leadflow.web.access", "leadflow.web.login"]

    def calls_authenticate(node: ast.AST) -> bool:
        return isinstance(node, ast.Name | ast.Attribute) and (
            getattr(node, "id", None) or getattr(node, "attr", None)
        ) in {"authenticate_token", "authenticate_session"}

    users = [m for m in _modules_that(calls_authenticate) if not _within(m, "leadflow.auth")]
    assert users == ["leadflow.web.access"]


def test_the_client_address_is_read_in_one_function() -> None:
    def reads_client(node: ast.AST) -> bool:  # `<request>.client.host`
        return (
            isinstance(node, ast.Attribute)
            and node.attr == "host"
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "client"
        )

    assert _modules_that(reads_client) == ["leadflow.web.client"]


def test_background_tasks_start_in_one_module() -> None:
    def starts_task(node: ast.AST) -> bool:
        return isinstance(node, ast.Attribute) and node.attr in {"create_task", "ensure_future"}

    # db.rounds starts no background work: it runs one round of a loop (started in jobs) in a
    # child task the loop awaits, so that what the round leaves in its context dies with it.
    assert _modules_that(starts_task) == ["leadflow.db.rounds", "leadflow.jobs"]
