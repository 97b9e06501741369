"""The core's layout (ADR 0016): the domain is pure values and functions. import-linter keeps
asyncio out of it and the layers in order; this keeps coroutines out."""

from __future__ import annotations

import ast
from pathlib import Path

import queue_core.domain

DOMAIN = Path(queue_core.domain.__file__).parent


def test_the_domain_defines_no_coroutine() -> None:
    found = [
        f"{path.name}:{node.lineno} {node.name}"
        for path in sorted(DOMAIN.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.AsyncFunctionDef)
    ]
    assert len(list(DOMAIN.glob("*.py"))) > 10  # the modules were found at all
    assert found == []
