"""Adapters: thin translators between the core ports and Redis, Twilio, HTTP and phone data."""
