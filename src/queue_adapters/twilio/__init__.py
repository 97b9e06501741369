"""Twilio adapters: Studio launches, Event Streams provisioning, and webhook parsing/checks."""

from queue_adapters.twilio.callstatus import CallStatusPost, parse_callstatus, token_is_valid
from queue_adapters.twilio.events import ParsedBatch, WebhookFact, parse_event_batch
from queue_adapters.twilio.http_client import (
    AiohttpAsyncHttpClient,
    LastResponse,
    TransportFailure,
    rewrite_twilio_url,
)
from queue_adapters.twilio.launcher import StudioCallLauncher
from queue_adapters.twilio.provisioning import EventStreamsProvisioner, ProvisioningError
from queue_adapters.twilio.provisioning_report import (
    CONTRACT_EVENT_TYPES,
    ProvisioningReport,
    eventstreams_destination,
)
from queue_adapters.twilio.rest import TwilioRest, open_twilio_rest
from queue_adapters.twilio.signatures import (
    SIGNATURE_HEADER,
    signed_url,
    verify_event_streams_signature,
    verify_form_signature,
)

__all__ = [
    "CONTRACT_EVENT_TYPES",
    "SIGNATURE_HEADER",
    "AiohttpAsyncHttpClient",
    "CallStatusPost",
    "EventStreamsProvisioner",
    "LastResponse",
    "ParsedBatch",
    "ProvisioningError",
    "ProvisioningReport",
    "StudioCallLauncher",
    "TransportFailure",
    "TwilioRest",
    "WebhookFact",
    "eventstreams_destination",
    "open_twilio_rest",
    "parse_callstatus",
    "parse_event_batch",
    "rewrite_twilio_url",
    "signed_url",
    "token_is_valid",
    "verify_event_streams_signature",
    "verify_form_signature",
]
