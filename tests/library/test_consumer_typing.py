"""The public API type-checks from a consumer's point of view, under `mypy --strict`."""

from __future__ import annotations

from pathlib import Path

from mypy import api


def test_a_consumer_module_passes_mypy_strict(tmp_path: Path) -> None:
    consumer = Path(__file__).with_name("consumer.py")
    stdout, stderr, status = api.run(
        [
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            "--config-file",
            "/dev/null" if Path("/dev/null").exists() else "",
            str(consumer),
        ]
    )
    assert status == 0, stdout + stderr
