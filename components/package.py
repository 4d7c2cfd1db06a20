"""The Pulumi package: EcsTaskEventLogger for every Pulumi language, hosted by the Python SDK's component provider.

``provider/`` is the plugin (``PulumiPlugin.yaml``, ``runtime: python``); its
``__main__.py`` calls ``serve``. Pulumi's analyzer infers the schema from the
annotations and docstrings of ``EcsTaskEventLoggerArgs`` and the component's
outputs; ``provider/schema.json`` is a checked-in copy (``python -m
components.generate`` rewrites it, a test fails when it drifts).
"""

from __future__ import annotations

import json
from typing import Any

from pulumi.provider.experimental import component_provider_host
from pulumi.provider.experimental.component import ComponentProvider

from .event_logger import PACKAGE_NAME, EcsTaskEventLogger

COMPONENTS: list[type[EcsTaskEventLogger]] = [EcsTaskEventLogger]
# The package's version, the one place it is kept: the schema carries it (provider/schema.json), and the SDK that
# `pulumi package add` generates reports it. Without it the component provider host says 0.0.0.
PACKAGE_VERSION = "0.1.0"


def provider() -> ComponentProvider:
    """The provider the plugin serves: construct() builds the component from another language's inputs."""
    return ComponentProvider(list(COMPONENTS), PACKAGE_NAME, version=PACKAGE_VERSION)


def schema() -> dict[str, Any]:
    """The package schema, as `pulumi package get-schema provider` would print it."""
    served = provider().schema
    assert served is not None
    result: dict[str, Any] = json.loads(served)
    return result


def serve() -> None:
    """Run the plugin: the Pulumi engine starts it and calls GetSchema and Construct over gRPC."""
    component_provider_host(list(COMPONENTS), name=PACKAGE_NAME, version=PACKAGE_VERSION)
