"""Adapters: thin translators between the core ports and Redis, Twilio and HTTP."""
