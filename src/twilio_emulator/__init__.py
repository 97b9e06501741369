"""A Twilio emulator: Studio v2 executions and Event Streams, speaking Twilio's wire format."""
