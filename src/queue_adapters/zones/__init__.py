"""Time zone adapters: the zones of a phone number (`ContactZones`)."""

from queue_adapters.zones.phonenumbers_zones import PhonenumbersContactZones

__all__ = ["PhonenumbersContactZones"]
