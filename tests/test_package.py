"""The component as a Pulumi package for other languages: the schema Pulumi's analyzer infers, the plugin's entry
point, and the provider's construct path run under mocks with inputs as another language's program sends them."""

from __future__ import annotations

import inspect
import json
import re
import runpy
from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
import yaml
from google.protobuf import struct_pb2  # type: ignore[import-untyped]
from pulumi.provider.server import ProviderServicer
from pulumi.runtime import rpc
from pulumi.runtime.proto import ConstructRequest
from resource_types import OPTIONAL_OUTPUTS, STACK_OUTPUTS

from components import EcsTaskEventLoggerArgs, generate, package
from components.event_logger import COMPONENT_TYPE, PACKAGE_NAME, EcsTaskEventLogger
from components.settings import declared
from rehearse.mocks import ACCOUNT, CLUSTER_ARN, REGION, ROOT, RecordingMocks, Run, run, run_program, stack_config

PLUGIN = ROOT / "provider"
PropertyDependencies = ConstructRequest.PropertyDependencies
NAME = "ecs-task-events"  # the stack program's component name, so the resource names compare


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return package.schema()


def component(schema: dict[str, Any]) -> dict[str, Any]:
    resource: dict[str, Any] = schema["resources"][COMPONENT_TYPE]
    return resource


def test_checked_in_files_are_what_the_declaration_renders() -> None:
    """schema.json, Pulumi.yaml's config block and the README's table: `python -m components.generate` rewrites them."""
    for path, text in generate.rendered().items():
        assert path.read_text() == text, f"{path.name} drifted; run .venv/bin/python -m components.generate"
    assert generate.main(["--check"]) == 0


def test_the_drift_check_sees_a_changed_declaration(monkeypatch: pytest.MonkeyPatch) -> None:
    original = generate.render_schema()
    monkeypatch.setattr(generate, "render_schema", lambda: original.replace("Default: 30.", "Default: 14."))
    assert generate.main(["--check"]) == 1


def test_schema_types_and_plain_inputs(schema: dict[str, Any]) -> None:
    inputs = component(schema)["inputProperties"]
    assert set(inputs) == {setting.key for setting in declared()}
    assert component(schema)["requiredInputs"] == []  # clusterArns or allClustersPrefix, checked by the component
    assert inputs["clusterArns"]["type"] == "array" and inputs["clusterArns"]["plain"] is True
    assert inputs["clusterArns"]["items"]["type"] == "string" and "plain" not in inputs["clusterArns"]["items"]
    for key in ("allClustersPrefix", "alarmTopicArn", "alertEmail"):  # may be outputs of other resources
        assert inputs[key]["type"] == "string" and "plain" not in inputs[key], key
    types = {int: "integer", bool: "boolean", str: "string"}
    for setting in declared():
        if setting.type in types and not setting.accepts_outputs:
            assert inputs[setting.key] == {**inputs[setting.key], "type": types[setting.type], "plain": True}
    assert inputs["tags"]["type"] == "object" and inputs["tags"]["additionalProperties"]["type"] == "string"


def test_schema_outputs_are_the_components(schema: dict[str, Any]) -> None:
    outputs = component(schema)["properties"]
    assert set(outputs) == STACK_OUTPUTS
    optional = OPTIONAL_OUTPUTS
    assert component(schema)["required"] == sorted(set(outputs) - optional)
    assert outputs["ruleNames"]["type"] == "array" and outputs["ruleNames"]["items"]["type"] == "string"


def test_every_input_and_output_is_described_and_defaults_are_the_codes(schema: dict[str, Any]) -> None:
    resource = component(schema)
    assert resource["description"] == EcsTaskEventLogger.__doc__
    for key, prop in [*resource["inputProperties"].items(), *resource["properties"].items()]:
        assert len(prop.get("description", "")) >= 15, key
        assert "\n" not in prop["description"] and "  " not in prop["description"], key
    descriptions = {key: prop["description"] for key, prop in resource["inputProperties"].items()}
    for setting in declared():
        if isinstance(setting.default, (bool, int, str)):
            shown = str(setting.default).lower() if isinstance(setting.default, bool) else str(setting.default)
            assert descriptions[setting.key].endswith(f"Default: {shown}."), setting.key


def test_type_token_provider_and_schema_name_agree(schema: dict[str, Any]) -> None:
    assert schema["name"] == PACKAGE_NAME == COMPONENT_TYPE.split(":")[0]
    assert list(schema["resources"]) == [COMPONENT_TYPE] == [f"{PACKAGE_NAME}:index:{EcsTaskEventLogger.__name__}"]
    assert component(schema)["isComponent"] is True
    provider = package.provider()
    provider.validate_resource_type(PACKAGE_NAME, COMPONENT_TYPE)
    assert json.loads(provider.schema or "{}") == schema


def test_the_plugin_manifest_and_entry_point_host_the_component(monkeypatch: pytest.MonkeyPatch) -> None:
    assert yaml.safe_load((PLUGIN / "PulumiPlugin.yaml").read_text()) == {"runtime": "python"}
    assert "-r ../requirements.txt" in (PLUGIN / "requirements.txt").read_text().splitlines()
    hosted: list[tuple[list[Any], str, str]] = []
    monkeypatch.setattr(
        package,
        "component_provider_host",
        lambda components, name, version: hosted.append((components, name, version)),
    )
    runpy.run_path(str(PLUGIN / "__main__.py"), run_name="imported")  # importing alone starts nothing
    assert hosted == []
    runpy.run_path(str(PLUGIN / "__main__.py"), run_name="__main__")
    assert hosted == [([EcsTaskEventLogger], PACKAGE_NAME, package.PACKAGE_VERSION)]
    # The stack program stays the root's: its own manifest and entry point, none of the plugin's.
    assert not (ROOT / "PulumiPlugin.yaml").exists()
    assert yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["runtime"]["name"] == "python"


# What a program in another language sends: camelCase names, numbers as floats (JSON has no integers).
SETTINGS = {"logRetentionDays": 7, "memorySizeMb": 256, "tags": {"team": "platform"}, "alertEmail": "a@example.com"}
SAME_CONFIG = stack_config(
    clusterArn=CLUSTER_ARN,
    logRetentionDays="7",
    memorySizeMb="256",
    tags='{"team": "platform"}',
    alertEmail="a@example.com",
)


def wire(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Plain inputs as the engine hands them to the provider: a protobuf Struct, deserialized by the SDK's server."""
    struct = struct_pb2.Struct()
    struct.update(json.loads(json.dumps(inputs)))
    for key, value in struct.items():
        if isinstance(value, float):
            assert value == int(value)  # floats on the wire
        del key
    return rpc.deserialize_properties(struct, keep_unknowns=True)


async def wire_outputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Inputs holding outputs of other resources, through the SDK's own serialization and the server's deserialization
    (the mock monitor has no output values, so a property with dependencies arrives as one output, as from older
    engines; unknown during a preview)."""
    deps: dict[str, list[pulumi.Resource]] = {}
    struct = await rpc.serialize_properties(dict(inputs), deps, keep_output_values=True)
    urns = {key: [await resource.urn.future() for resource in resources] for key, resources in deps.items()}
    dependencies = {key: PropertyDependencies(urns=[urn for urn in found if urn]) for key, found in urns.items()}
    return await ProviderServicer._construct_inputs(struct, dependencies)


async def unknown_on_the_wire(inputs: Mapping[str, Any], unknown: Mapping[str, pulumi.Resource]) -> dict[str, Any]:
    """What a preview sends for a value another resource will only produce in the update: the unknown sentinel,
    with a dependency on that resource; the SDK's server makes it an output whose value is unknown."""
    struct = struct_pb2.Struct()
    struct.update(dict(inputs))
    urns = {key: await resource.urn.future() for key, resource in unknown.items()}
    dependencies = {key: PropertyDependencies(urns=[urn]) for key, urn in urns.items() if urn}
    return await ProviderServicer._construct_inputs(struct, dependencies)


def construct(inputs: Mapping[str, Any] | Callable[[], Any]) -> Callable[[], Any]:
    """A program that calls the provider's construct as the engine would; returns the component's state."""

    def program() -> Any:
        provider = package.provider()
        given = inputs() if callable(inputs) else inputs
        if inspect.isawaitable(given):  # inputs still travelling through the SDK's serialization

            async def later() -> Any:
                return provider.construct(NAME, COMPONENT_TYPE, await given, None).state

            return pulumi.Output.from_input(later())
        return provider.construct(NAME, COMPONENT_TYPE, given, None).state

    return program


def children(deployed: Run) -> dict[tuple[str, str], dict[str, Any]]:
    """Every AWS resource the logger registered, by type and name, with its inputs (the archive by its files)."""
    return {
        (r.type, r.name): {
            k: sorted(v.assets) if isinstance(v, pulumi.AssetArchive) else v for k, v in r.inputs.items()
        }
        for r in deployed.mocks.resources
        if r.type.startswith("aws:") and r.name.startswith(f"{NAME}-")  # not the program's cluster or topic
    }


def test_construct_with_plain_inputs_registers_what_the_stack_program_registers() -> None:
    stack = run_program(SAME_CONFIG)
    constructed = run(construct(wire({"clusterArns": [CLUSTER_ARN], **SETTINGS})))
    assert children(constructed) == children(stack)
    assert len(children(stack)) > 25
    assert constructed.outputs == stack.outputs  # the schema's outputs, the names the stack exports


def test_construct_without_a_setting_takes_the_default() -> None:
    stack = run_program(stack_config(clusterArn=CLUSTER_ARN))
    constructed = run(construct(wire({"clusterArns": [CLUSTER_ARN]})))
    assert children(constructed) == children(stack)


def with_cluster(*more_arns: str, **extra: Any) -> Callable[[], dict[str, Any]]:
    """A TypeScript-like program: a cluster, and its ARN (an output) handed to the logger, as output values."""

    def inputs() -> dict[str, Any]:
        cluster = aws.ecs.Cluster("demo")
        return {"clusterArns": [cluster.arn, *more_arns], **SETTINGS, **extra}

    return inputs


def with_cluster_on_the_wire(*more_arns: str, **extra: Any) -> Callable[[], Any]:
    def inputs() -> Any:
        cluster = aws.ecs.Cluster("demo")
        return wire_outputs({"clusterArns": [cluster.arn, *more_arns], **SETTINGS, **extra})

    return inputs


@pytest.mark.parametrize("sent", [with_cluster, with_cluster_on_the_wire], ids=["output values", "wire"])
@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_construct_with_a_cluster_arn_from_another_resource(sent: Callable[[], Any], preview: bool) -> None:
    """The same resources as the stack program with that ARN; in a preview the ARN is unknown and nothing fails."""
    stack = run_program(SAME_CONFIG, preview=preview)
    constructed = run(construct(sent()), preview=preview)
    assert sorted(children(constructed)) == sorted(children(stack))
    cluster = constructed.one("aws:ecs/cluster:Cluster")
    assert cluster.outputs["arn"] == CLUSTER_ARN
    if not preview:
        assert children(constructed) == children(stack)
        assert constructed.outputs == stack.outputs


FIFO = f"arn:aws:sns:{REGION}:{ACCOUNT}:oncall.fifo"
OTHER_REGION = CLUSTER_ARN.replace(REGION, "us-east-1").replace("/demo", "/batch")


def python_message(**args: Any) -> str:
    with pytest.raises(ValueError, match="EcsTaskEventLoggerArgs") as raised:
        EcsTaskEventLoggerArgs(**args).validated()
    return str(raised.value)


def fifo_topic(sent: Callable[..., Callable[[], Any]]) -> Callable[[], Any]:
    def inputs() -> Any:
        topic = aws.sns.Topic("oncall", name="oncall.fifo", fifo_topic=True)
        return sent(alarmTopicArn=topic.arn)()

    return inputs


def cluster_of_another_region(sent: Callable[..., Callable[[], Any]]) -> Callable[[], Any]:
    return sent(OTHER_REGION)


BAD_OUTPUTS: dict[str, tuple[Callable[..., Callable[[], Any]], dict[str, Any]]] = {
    "FIFO topic": (fifo_topic, {"alarm_topic_arn": FIFO}),
    "clusters of two regions": (cluster_of_another_region, {"cluster_arns": [CLUSTER_ARN, OTHER_REGION]}),
}


@pytest.mark.parametrize("case", BAD_OUTPUTS, ids=list(BAD_OUTPUTS))
@pytest.mark.parametrize("sent", [with_cluster, with_cluster_on_the_wire], ids=["output values", "wire"])
def test_a_bad_value_known_only_at_deployment_fails_it_with_the_same_message_and_creates_nothing(
    sent: Callable[..., Callable[[], Any]], case: str
) -> None:
    program, python_args = BAD_OUTPUTS[case]
    message = python_message(**{"cluster_arns": [CLUSTER_ARN], **python_args})
    mocks = RecordingMocks()
    with pytest.raises(Exception) as raised:
        run(construct(program(sent)), mocks=mocks)
    assert message in str(raised.value)
    created = sorted(r.type for r in mocks.resources if r.type.startswith("aws:"))
    assert created in (["aws:ecs/cluster:Cluster"], ["aws:ecs/cluster:Cluster", "aws:sns/topic:Topic"])


def test_clusters_known_only_at_deployment_must_fit_in_one_rule() -> None:
    def inputs() -> dict[str, Any]:
        clusters = [aws.ecs.Cluster(f"team-{i:03d}-payments-production-fargate") for i in range(60)]
        return {"clusterArns": [cluster.arn for cluster in clusters]}

    mocks = RecordingMocks()
    with pytest.raises(Exception, match="clusters given as outputs of other resources must fit in one rule") as raised:
        run(construct(inputs), mocks=mocks)
    assert re.search(r"60 clusters need [2-9] EventBridge rules", str(raised.value))
    assert {r.type for r in mocks.resources if r.type.startswith("aws:")} == {"aws:ecs/cluster:Cluster"}


def unknown(**values: Any) -> Callable[[], Any]:
    """A preview of a program whose cluster (and, with topic=True, alarm topic) does not exist yet."""

    def inputs() -> Any:
        cluster = aws.ecs.Cluster("demo")
        unknowns: dict[str, pulumi.Resource] = {"clusterArns": cluster}
        sent = {"clusterArns": [rpc.UNKNOWN], **SETTINGS, **values}
        if values.get("alarmTopicArn") == rpc.UNKNOWN:
            unknowns["alarmTopicArn"] = aws.sns.Topic("oncall", name="oncall.fifo", fifo_topic=True)
        return unknown_on_the_wire(sent, unknowns)

    return inputs


@pytest.mark.parametrize("values", [{}, {"alarmTopicArn": rpc.UNKNOWN}], ids=["cluster", "cluster and topic"])
def test_a_preview_with_unknown_arns_registers_the_same_resources_and_refuses_nothing(values: dict[str, Any]) -> None:
    """`pulumi preview` of a program that creates the cluster: its ARN is unknown, so the checks wait for the update."""
    mocks = RecordingMocks()
    previewed = run(construct(unknown(**values)), mocks=mocks, preview=True)
    config = {
        **SAME_CONFIG,
        **({"ecs-task-events:alarmTopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:oncall"} if values else {}),
    }
    stack = run_program(config, preview=True)
    assert sorted(children(previewed)) == sorted(children(stack))
    function = previewed.one("aws:lambda/function:Function").inputs
    assert function["memorySize"] == 256 and function["tags"] == {"team": "platform"}
