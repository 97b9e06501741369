"""Benchmarks of the queue service on real processes: `python -m bench [--quick] [PART ...]`.

Each part starts its own `redis-server`, Twilio emulator and service processes on loopback
ports, measures, stops them, and leaves its figures in `bench/out/<part>.json`; the report
(`docs/benchmarks.md` and `docs/benchmarks-pacing.png`) is rebuilt from every part measured.
"""

__all__ = ["PARTS"]

PARTS = ("pacing", "ceiling", "webhooks", "redis", "scale")
