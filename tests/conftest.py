"""Settings for the whole suite."""

from hypothesis import HealthCheck, settings

# The suite runs on shared machines next to real servers: a property's examples are what it
# checks, not how fast they are drawn, so a slow draw or a slow example is not a failure.
settings.register_profile(
    "suite", suppress_health_check=[HealthCheck.too_slow], deadline=None, print_blob=True
)
settings.load_profile("suite")
