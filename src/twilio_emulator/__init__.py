"""A Twilio emulator: Studio v2 executions and Event Streams, speaking Twilio's wire format, and
a call centre whose agents take the answered calls (TaskRouter's events and queue statistics).

`create_app(config)` is the ASGI app; `running_emulator(config)` serves one in-process on a
free loopback port; `python -m twilio_emulator` serves one from the command line. It stands
alone: it knows nothing of the queue service.
"""

from twilio_emulator.app import create_app, emulator_state
from twilio_emulator.callcentre_config import CallCentreConfig
from twilio_emulator.config import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, EmulatorConfig
from twilio_emulator.resources import Execution
from twilio_emulator.server import EmulatorHandle, running_emulator
from twilio_emulator.signing import sign_form, sign_json_body
from twilio_emulator.state import EmulatorState

__all__ = [
    "DEFAULT_ACCOUNT_SID",
    "DEFAULT_AUTH_TOKEN",
    "CallCentreConfig",
    "EmulatorConfig",
    "EmulatorHandle",
    "EmulatorState",
    "Execution",
    "create_app",
    "emulator_state",
    "running_emulator",
    "sign_form",
    "sign_json_body",
]
