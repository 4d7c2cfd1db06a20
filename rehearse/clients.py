"""boto3 clients for the emulator, made once per process and shared by every rehearsal in it.

Making a boto3 client costs about 5 ms (its event hooks copied, its class and endpoint resolver built), and the
rehearsals made hundreds of the same few. A client holds no AWS state: moto answers each request from its
backends for the account it reads from MOTO_ACCOUNT_ID on that request, and a client's fake credentials are the
emulator's. So one client per service and Region serves every rehearsal. They are handed out only while moto
intercepts the calls: a client made outside it could carry the machine's own credentials.
"""

from __future__ import annotations

import functools
from typing import Any

# The global services' Region: IAM has one endpoint, which signs for us-east-1 in the aws partition.
GLOBAL_REGION = "us-east-1"


def client(service: str, region: str) -> Any:
    """The shared client of ``service`` in ``region``; RuntimeError when moto is not intercepting calls."""
    _require_emulator(service)
    return _made(service, region, checked=False)


def checked_client(service: str, region: str) -> Any:
    """Like ``client``, but a client of its own whose every call is first checked against the API model, and that
    is refused where the service has no endpoint in ``region`` (rehearse/api_model.py)."""
    from . import api_model  # noqa: PLC0415 - botocore's models load with the emulator, not with the command

    _require_emulator(service)
    made = _made(service, region, checked=True)
    api_model.check_region(made, region)
    return made


def _require_emulator(service: str) -> None:
    from moto.core.models import botocore_stubber  # noqa: PLC0415 - a dev requirement, only needed here

    if not botocore_stubber.enabled:
        raise RuntimeError(f"a {service} client for the emulator was asked for while no emulator is running")


@functools.cache
def _made(service: str, region: str, *, checked: bool) -> Any:
    import boto3  # noqa: PLC0415 - only the rehearsal's paths call AWS

    from . import api_model  # noqa: PLC0415 - as in checked_client

    made = boto3.client(service, region_name=region)
    return api_model.enforce(made) if checked else made
