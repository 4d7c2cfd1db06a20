"""Run Pulumi code under mocks and keep what it registered, for assertions.

The mocks answer like AWS would in the ways the program depends on: every
resource gets a physical name (autonamed with a suffix when the program sets
none) and an ARN in the stack's account and region. ``run`` waits until every
registration and output has settled before it returns, so tests assert on a
finished deployment, never on one still in flight.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import runpy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import pulumi
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.proto import source_pb2

from .pulumi_cli import StackValue, as_text, config_for_program

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = ROOT / "__main__.py"
PROJECT = "ecs-task-events"
STACK = "dev"
ACCOUNT = "111122223333"
REGION = "eu-west-1"
ORGANIZATION_ID = "o-a1b2c3d4e5"  # the stack account's organisation, where the program looks it up
CLUSTER_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/demo"

P = ParamSpec("P")
T = TypeVar("T")

# Resource types whose physical name the AWS provider generates when none is given.
AUTONAMED = {
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:iam/role:Role",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:lambda/function:Function",
    "aws:cloudwatch/eventRule:EventRule",
    "aws:sqs/queue:Queue",
    "aws:sns/topic:Topic",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:cloudwatch/logMetricFilter:LogMetricFilter",
    "aws:dynamodb/table:Table",
    "aws:cloudwatch/eventBus:EventBus",
    "aws:cloudformation/stackSet:StackSet",
}


@dataclass
class Registered:
    type: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    id: str = ""
    region: str = ""  # where the AWS provider creates it: its ``region`` input, else its provider's, else the stack's


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self, region: str = REGION, account: str = ACCOUNT, organization_id: str = ORGANIZATION_ID) -> None:
        self.organization_id = organization_id  # the stack account's organisation, as DescribeOrganization says
        self.region = region
        self.account = account
        self.resources: list[Registered] = []
        self.calls: list[str] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        outputs = dict(args.inputs)
        region = self._region_of(args)
        physical = outputs.get("name")
        if physical is None and outputs.get("namePrefix") and args.typ in AUTONAMED:
            # The provider appends a unique suffix to a name prefix (26 characters for a log group).
            physical = outputs["namePrefix"] + hashlib.sha256(args.name.encode()).hexdigest()[:26]
            outputs["name"] = physical
        if physical is None and args.typ in AUTONAMED:
            suffix = hashlib.sha256(args.name.encode()).hexdigest()[:7]
            physical = f"{args.name}-{suffix}"
            outputs["name"] = physical
        arn = self._arn(args.typ, physical or args.name, region)
        if args.typ == "aws:cloudwatch/eventRule:EventRule" and outputs.get("eventBusName") not in (None, "default"):
            arn = f"arn:aws:events:{region}:{self.account}:rule/{outputs['eventBusName']}/{physical}"
        if arn:
            outputs["arn"] = arn
        if args.typ == "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration":
            outputs["chatConfigurationArn"] = (
                f"arn:aws:chatbot::{self.account}:chat-configuration/slack-channel/{outputs['configurationName']}"
            )
        if args.typ == "aws:sqs/queue:Queue":
            outputs["url"] = f"https://sqs.{region}.amazonaws.com/{self.account}/{physical}"
        # Ids as the AWS provider sets them: a queue's URL, a topic's ARN, otherwise the physical name.
        resource_id = outputs.get("url") or (arn if args.typ == "aws:sns/topic:Topic" else None)
        resource_id = resource_id or physical or f"{args.name}-id"
        self.resources.append(Registered(args.typ, args.name, dict(args.inputs), outputs, resource_id, region))
        return resource_id, outputs

    def _region_of(self, args: pulumi.runtime.MockResourceArgs) -> str:
        """The resource's ``region`` input, else its explicit provider's region (a provider reference is
        ``URN::ID``), else the stack's."""
        if args.inputs.get("region"):
            return str(args.inputs["region"])
        provider_id = (args.provider or "").rpartition("::")[2]
        for resource in self.resources:
            if resource.type == "pulumi:providers:aws" and resource.id == provider_id and resource.inputs.get("region"):
                return str(resource.inputs["region"])
        return self.region

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        self.calls.append(args.token)
        if args.token == "aws:index/getRegion:getRegion":
            return {"region": self.region, "name": self.region, "id": self.region}, []
        if args.token == "aws:organizations/getOrganization:getOrganization":  # DescribeOrganization's part
            arn = f"arn:aws:organizations::{self.account}:organization/{self.organization_id}"
            return {"id": self.organization_id, "arn": arn}, []
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": self.account, "arn": f"arn:aws:iam::{self.account}:root", "id": self.account}, []
        raise NotImplementedError(f"no mock for {args.token}")

    def _arn(self, typ: str, name: str, region: str) -> str | None:
        where = f"{region}:{self.account}"
        return {
            "aws:cloudwatch/logGroup:LogGroup": f"arn:aws:logs:{where}:log-group:{name}",
            "aws:iam/role:Role": f"arn:aws:iam::{self.account}:role/{name}",
            "aws:lambda/function:Function": f"arn:aws:lambda:{where}:function:{name}",
            "aws:cloudwatch/eventRule:EventRule": f"arn:aws:events:{where}:rule/{name}",
            "aws:cloudwatch/eventBus:EventBus": f"arn:aws:events:{where}:event-bus/{name}",
            "aws:cloudformation/stackSet:StackSet": f"arn:aws:cloudformation:{where}:stackset/{name}:1",
            "aws:sqs/queue:Queue": f"arn:aws:sqs:{where}:{name}",
            "aws:sns/topic:Topic": f"arn:aws:sns:{where}:{name}",
            "aws:ecs/cluster:Cluster": f"arn:aws:ecs:{where}:cluster/{name}",
            "aws:cloudwatch/metricAlarm:MetricAlarm": f"arn:aws:cloudwatch:{where}:alarm:{name}",
            "aws:dynamodb/table:Table": f"arn:aws:dynamodb:{where}:table/{name}",
            # CloudWatch Logs' delivery ARNs ("Logs sent to CloudWatch Logs", CloudWatch Logs User Guide).
            "aws:cloudwatch/logDeliverySource:LogDeliverySource": f"arn:aws:logs:{where}:delivery-source:{name}",
            "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": (
                f"arn:aws:logs:{where}:delivery-destination:{name}"
            ),
            "aws:cloudwatch/logDelivery:LogDelivery": f"arn:aws:logs:{where}:delivery:{name}",
        }.get(typ)

    # Queries for assertions.

    def of_type(self, typ: str) -> list[Registered]:
        return [resource for resource in self.resources if resource.type == typ]

    def one(self, typ: str) -> Registered:
        found = self.of_type(typ)
        assert len(found) == 1, f"expected one {typ}, found {len(found)}: {[r.name for r in found]}"
        return found[0]


@dataclass
class Run:
    mocks: RecordingMocks
    monitor: MockMonitor
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def urns(self) -> list[str]:
        return list(self.monitor.resources)

    def one(self, typ: str) -> Registered:
        return self.mocks.one(typ)

    def of_type(self, typ: str) -> list[Registered]:
        return self.mocks.of_type(typ)


def run(
    program: Callable[[], Mapping[str, Any] | None],
    config: Mapping[str, str] | None = None,
    mocks: RecordingMocks | None = None,
    preview: bool = False,
    stack: str = STACK,
) -> Run:
    """Run ``program`` as a deployment (or, with ``preview``, as a preview) and return what it registered and output.

    Tests assert on deployments: in a preview, outputs are unknown and ``apply`` never runs.
    """
    mocks = mocks or RecordingMocks()
    # A fresh root stack per run, so exports of one test never leak into another.
    pulumi_settings.ROOT.set(None)
    monitor = MockMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=preview, monitor=monitor)
    pulumi.runtime.set_all_config(dict(config or {}))
    result = Run(mocks, monitor)

    @pulumi.runtime.test
    def deployment() -> Any:
        exported = program() or {}
        return pulumi.Output.from_input(exported).apply(result.outputs.update)

    with _without_stack_traces(), _monitor_answers_inline():
        deployment()
    return result


class _InlineExecutor(concurrent.futures.ThreadPoolExecutor):
    """Runs what it is given at once, in the caller's thread, and hands back the finished future."""

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # noqa: BLE001 - as a pool thread does: the future carries it to the awaiting call
            future.set_exception(error)
        return future


@contextlib.contextmanager
def _monitor_answers_inline() -> Iterator[None]:
    """The SDK sends each call to the engine (register a resource, an invoke, the stack's outputs) through the
    event loop's default executor, a thread pool (pulumi/runtime/resource.py, run_in_executor), so that a blocking
    gRPC call never stops the loop. The mock monitor answers at once, from memory, so under the mocks each call
    runs in the loop's own thread instead: the same call and the same answer, without a thread hop each. The
    awaiting coroutine still resumes on a later turn of the loop, as it does after a pool thread.
    tests/test_test_bed.py checks that the resources registered are the same either way."""
    loop = asyncio.get_event_loop()
    original = loop._default_executor  # type: ignore[attr-defined]
    loop.set_default_executor(_InlineExecutor(max_workers=1))
    try:
        yield
    finally:
        loop._default_executor = original  # type: ignore[attr-defined]


@contextlib.contextmanager
def _without_stack_traces() -> Iterator[None]:
    """For every resource, the SDK walks the Python stack to send the engine the code that created it
    (pulumi/runtime/resource.py, _get_stack_trace), which only the engine's diagnostics read; the mocks never do.
    That walk was a quarter of a program's evaluation here, so under the mocks every resource gets the empty
    trace, which is what the SDK itself sends when it finds no user frame. tests/test_test_bed.py checks that
    the resources registered are the same either way."""
    original = getattr(pulumi_resource, "_get_stack_trace", None)
    if original is None:
        yield
        return
    pulumi_resource._get_stack_trace = source_pb2.StackTrace
    try:
        yield
    finally:
        pulumi_resource._get_stack_trace = original


def stack_config(**values: StackValue) -> dict[str, StackValue]:
    """A stack's config as its stack file holds it: 'project:key' names, strings (a list as `--path` sets it);
    aws:region set."""
    config: dict[str, StackValue] = {"aws:region": REGION}
    for key, value in values.items():
        config[key if ":" in key else f"{PROJECT}:{key}"] = value
    return config


def run_program(
    config: Mapping[str, StackValue],
    mocks: RecordingMocks | None = None,
    preview: bool = False,
    stack: str = STACK,
    *,
    cli: bool = True,
) -> Run:
    """Run __main__.py the way the CLI would, and collect its stack outputs.

    ``config`` is the stack's, as its stack file holds it. The CLI first checks it against Pulumi.yaml and applies
    the defaults there (rehearse/pulumi_cli.py), raising CliRefused where the CLI would stop before the program;
    ``cli=False`` hands the values to the program as they are, for what only the program can be shown (values of
    the wrong type the CLI refuses first).
    """
    given = config_for_program(config, stack) if cli else {key: as_text(value)[0] for key, value in config.items()}

    def program() -> Mapping[str, Any]:
        runpy.run_path(str(PROGRAM), run_name="__main__")
        root = pulumi_settings.get_root_resource()
        return dict(getattr(root, "outputs", {}))

    return run(program, given, mocks, preview, stack)
