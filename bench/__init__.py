"""Benchmarks of the queue service on real processes: `python -m bench [--quick] [PART ...]`.

Each part starts its own `redis-server`, Twilio emulator and service processes on loopback
ports, measures, stops them, and leaves its figures in `bench/out/<part>.json`; the report
(`docs/benchmarks.md` and its plots) is rebuilt from every part measured. The dialing part is
a simulation instead: the real pacer against a call centre on a fake clock.
"""

__all__ = ["PARTS", "SIMULATED"]

PARTS = ("pacing", "ceiling", "webhooks", "redis", "scale", "dialing")
SIMULATED = ("dialing",)  # on a fake clock, in this process: no machine figure depends on it
