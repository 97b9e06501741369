"""Benchmarks of the queue service on real processes: `python -m bench [--quick] [PART ...]`.

Each part starts its own `redis-server`, Twilio emulator and service processes on loopback
ports, measures, stops them, and leaves its figures in `bench/out/<part>.json`; the report
(`docs/benchmarks.md` and its plots) is rebuilt from every part measured. The dialing part is
a simulation instead: the real pacer against a call centre on a fake clock. The waiting part
drives the storage ports alone on a private `redis-server`.
"""

__all__ = ["PARTS", "SIMULATED", "STANDALONE"]

PARTS = ("pacing", "ceiling", "webhooks", "redis", "scale", "dialing", "waiting")
SIMULATED = ("dialing",)  # on a fake clock, in this process: no machine figure depends on it
# Parts whose section names its own commit and date (and machine, when measured on one): run
# alone, they rebuild their sections and keep the rest of the page as it was.
STANDALONE = (*SIMULATED, "waiting")
