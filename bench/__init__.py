"""Benchmarks of the queue service on real processes: `python -m bench [--quick] [PART ...]`.

Each part starts its own `redis-server`, Twilio emulator and service processes on loopback
ports, measures, stops them, and leaves its figures in `bench/out/<part>.json`; the report
(`docs/benchmarks.md` and its plots) is rebuilt from every part measured. The dialing part is
a simulation instead: the real pacer against a call centre on a fake clock. The ui part
measures the live page's update in this process, against a `redis-server` of its own.
"""

__all__ = ["ALONE", "PARTS", "SIMULATED"]

PARTS = ("pacing", "ceiling", "webhooks", "redis", "scale", "dialing", "ui")
SIMULATED = ("dialing",)  # on a fake clock, in this process: no machine figure depends on it
# Parts whose run on its own keeps the page's other sections (each names its own run).
ALONE = (*SIMULATED, "ui")
