"""The composition root and the library face for other campaign services.

`QueueClient` sends commands and reads states and queue events; `DispositionReader` consumes
`call_dispositions`; `create_app` is the packaged service (`uvicorn --factory`); `Settings`
holds every setting.
"""

import importlib.metadata as _metadata

from queue_app.app import create_app
from queue_app.client import ExecutionReport, QueueClient
from queue_app.dispositions import DispositionReader
from queue_app.settings import Settings, SettingsError

try:
    __version__ = _metadata.version("dialer-queue-service")
except _metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "DispositionReader",
    "ExecutionReport",
    "QueueClient",
    "Settings",
    "SettingsError",
    "__version__",
    "create_app",
]
