"""Run the code the emulator stored for the function, as Lambda would: from its zip, with its settings.

Lambda puts the archive's root on the path and imports the module the Handler setting names; here the
archive's top-level package is imported under a name of its own, so the repository's ``handler`` package
(which this process may have imported too) is never the one that runs. The records are rendered by the
archive's own copy of Lambda's JSON log format, at the function's application log level.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import logging
import os
import sys
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Lambda's application log levels, as the Python runtime maps them onto logging's.
LAMBDA_LEVELS = {
    "TRACE": logging.DEBUG,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "ERROR": logging.ERROR,
    "FATAL": logging.CRITICAL,
}


@dataclass
class Invocation:
    request_id: str
    lines: list[str]
    returned: Any = None
    error: str | None = None  # the exception the function raised, if it did (Lambda counts an Error)


@dataclass
class DeployedFunction:
    """The function as deployed: its archive's handler, log level and environment."""

    handler: Callable[[Any, Any], Any]
    logger_name: str
    formatter: logging.Formatter
    level: int
    environment: Mapping[str, str] = field(default_factory=dict)
    package: str = ""  # the name the archive's package was imported under
    function_arn: str | None = None  # the ARN Lambda passes on each invocation's context, when the caller gives it

    def module(self, name: str) -> Any:
        """One of the archive's modules (``notify``, say), as the function imports it."""
        return importlib.import_module(f"{self.package}.{name}")

    def invoke(self, event: Any) -> Invocation:
        request_id = str(uuid.uuid4())
        stream = io.StringIO()
        output = logging.StreamHandler(stream)
        self.formatter.request_id = request_id  # type: ignore[attr-defined]  # the archive's LambdaJsonFormatter
        output.setFormatter(self.formatter)
        saved_environment = {key: os.environ.get(key) for key in self.environment}
        os.environ.update(self.environment)
        logger = logging.getLogger(self.logger_name)
        saved = (logger.handlers[:], logger.level, logger.propagate)
        logger.handlers[:] = [output]
        logger.setLevel(self.level)
        logger.propagate = False
        invocation = Invocation(request_id, [])
        try:
            invocation.returned = self.handler(event, _Context(request_id, self.function_arn))
        except Exception as error:  # noqa: BLE001 - Lambda catches everything a handler raises, and so does this
            invocation.error = f"{type(error).__name__}: {error}"
        finally:
            logger.handlers[:], logger.level, logger.propagate = saved
            for key, value in saved_environment.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        invocation.lines = [line for line in stream.getvalue().split("\n") if line]
        return invocation


class _Context:
    def __init__(self, request_id: str, function_arn: str | None = None) -> None:
        self.aws_request_id = request_id
        if function_arn:
            self.invoked_function_arn = function_arn


def load(code: bytes, handler_setting: str, log_level: str, environment: Mapping[str, str]) -> DeployedFunction:
    """Unpack ``code`` and import the handler ``handler_setting`` names (``package.module.function``)."""
    directory = Path(tempfile.mkdtemp(prefix="rehearse-function-"))
    with zipfile.ZipFile(io.BytesIO(code)) as archive:
        archive.extractall(directory)
    module_path, _, function_name = handler_setting.rpartition(".")
    package, _, module = module_path.partition(".")
    alias = f"deployed_{package}_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(
        alias, directory / package / "__init__.py", submodule_search_locations=[str(directory / package)]
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"the function's archive has no package {package!r} (Handler {handler_setting!r})")
    sys.modules[alias] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sys.modules[alias])
    entry = importlib.import_module(f"{alias}.{module}")
    log_format = importlib.import_module(f"{alias}.log_format")
    return DeployedFunction(
        handler=getattr(entry, function_name),
        logger_name=entry.LOGGER_NAME,
        formatter=log_format.LambdaJsonFormatter(),
        level=LAMBDA_LEVELS[log_level],
        environment=dict(environment),
        package=alias,
    )
