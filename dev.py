"""Set up the project and run its two commands, with nothing but Python 3.11+ and pip.

    python3 dev.py demo    create .venv, install the package, run `queue-service demo`
    python3 dev.py test    create .venv, install the package with its dev tools, then run
                           ruff, mypy --strict, import-linter and the whole pytest suite

Extra arguments after `test` go to pytest (`python3 dev.py test -m "not slow"`), which runs on
two workers unless they say otherwise (`-n 0` runs it in one process); after `demo` they go
to `queue-service demo`. Exit status is non-zero when any step fails, and a pytest run
that collects no test counts as a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTEST_NO_TESTS = 5
# Two workers: the unit, contract and system tests share them, the reliability tests run one
# after another on one of them (their conftest groups them), so the suite takes about half as
# long on two cores while the figures of a reliability test are taken beside at most one other.
PYTEST_WORKERS = ("-n", "2", "--dist", "loadgroup")


def run(*argv: str | Path) -> int:
    print("+", " ".join(str(a) for a in argv), flush=True)
    return subprocess.call([str(a) for a in argv], cwd=ROOT)  # noqa: S603 - our own tools


def setup(extra: str) -> None:
    if not (BIN / "python").exists():
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
    python = BIN / "python"
    steps = [
        (python, "-m", "pip", "install", "-q", "--upgrade", "pip"),
        (python, "-m", "pip", "install", "-q", "-e", f".{extra}"),
    ]
    for step in steps:
        if run(*step) != 0:
            sys.exit("setup failed")


def test(pytest_args: list[str]) -> int:
    setup("[dev,bench]")
    checks = [
        ("ruff", (BIN / "ruff", "check", ".")),
        ("ruff format", (BIN / "ruff", "format", "--check", ".")),
        ("mypy", (BIN / "mypy",)),
        ("import-linter", (BIN / "lint-imports",)),
    ]
    failed = [name for name, argv in checks if run(*argv) != 0]
    parallel = (
        () if any(a.startswith(("-n", "--numprocesses")) for a in pytest_args) else PYTEST_WORKERS
    )
    code = run(BIN / "python", "-m", "pytest", *parallel, *pytest_args)
    if code == PYTEST_NO_TESTS:
        print("pytest collected no test: that is a failure", flush=True)
    if code != 0:
        failed.append("pytest")
    if failed:
        print(f"FAILED: {', '.join(failed)}", flush=True)
        return 1
    print("all checks and tests passed", flush=True)
    return 0


def demo(args: list[str]) -> int:
    setup("")
    return run(BIN / "queue-service", "demo", *args)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"test", "demo"}:
        print(__doc__)
        return 2
    command, rest = sys.argv[1], sys.argv[2:]
    return test(rest) if command == "test" else demo(rest)


if __name__ == "__main__":
    sys.exit(main())
