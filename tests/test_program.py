"""__main__.py run the way the Pulumi CLI runs it, with stack config, under mocks."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

import pulumi_aws
import pytest
import yaml
from config_refusals import cli_refusal, config_error
from resource_types import STACK_OUTPUTS
from user_docs import user_docs

from components import CONFIG_KEYS, ConfigError
from components.event_logger import EcsTaskEventLoggerArgs
from components.settings import base_type, item_type
from components.stack_config import SETTINGS, UNSET_VALUES
from rehearse.mocks import ACCOUNT, CLUSTER_ARN, REGION, ROOT, RecordingMocks, Run, run_program, stack_config
from rehearse.pulumi_cli import stack_file_values

# What a stack with the default settings exports: every output but the Slack channel's and the Action Logs group's.
EXPORTS = STACK_OUTPUTS - {"slackChannelConfigurationArn", "actionLogGroupName"}


@pytest.fixture(autouse=True)
def no_region_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)


@pytest.fixture(scope="module")
def deployed() -> Run:
    return run_program(stack_config(clusterArn=CLUSTER_ARN))


def resource(run: Run, short_type: str) -> dict[str, Any]:
    (found,) = [r for r in run.mocks.resources if r.type.endswith(short_type)]
    return found.inputs


def test_exports_every_documented_output_with_real_values(deployed: Run) -> None:
    outputs = deployed.outputs
    assert set(outputs) == EXPORTS
    function = deployed.one("aws:lambda/function:Function").outputs
    rule = deployed.one("aws:cloudwatch/eventRule:EventRule").outputs
    group = deployed.one("aws:cloudwatch/logGroup:LogGroup").outputs
    role = deployed.one("aws:iam/role:Role").outputs
    assert outputs["functionName"] == function["name"]
    assert outputs["functionArn"] == function["arn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function['name']}"
    assert outputs["logGroupName"] == group["name"]
    assert outputs["ruleName"] == rule["name"]
    assert outputs["ruleArn"] == rule["arn"]
    assert outputs["roleArn"] == role["arn"]
    assert json.loads(outputs["eventPattern"])["$or"][0]["detail"] == {"clusterArn": [CLUSTER_ARN]}
    assert outputs["tailLogsCommand"] == f"aws logs tail {group['name']} --follow --region {REGION}"
    queues = {q.name: q.outputs["url"] for q in deployed.of_type("aws:sqs/queue:Queue")}
    assert outputs["deadLetterQueueUrl"] == queues["ecs-task-events-undelivered"]
    assert outputs["failedEventsQueueUrl"] == queues["ecs-task-events-failed"]
    assert outputs["alarmTopicArn"] == deployed.one("aws:sns/topic:Topic").outputs["arn"]
    assert sorted(outputs["alarmNames"]) == sorted(
        a.outputs["name"] for a in deployed.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    )
    assert sorted(outputs["queryNames"]) == sorted(
        q.inputs["name"] for q in deployed.of_type("aws:cloudwatch/queryDefinition:QueryDefinition")
    )


def test_defaults_apply_without_the_cli(deployed: Run) -> None:
    function = resource(deployed, ":Function")
    assert resource(deployed, ":LogGroup")["retentionInDays"] == 30
    assert function["loggingConfig"]["applicationLogLevel"] == "INFO"
    assert function["loggingConfig"]["systemLogLevel"] == "WARN"
    assert function["memorySize"] == 128
    assert function["architectures"] == ["arm64"]
    assert function["timeout"] == 5
    assert function.get("tags") in (None, {})


def test_every_config_key_reaches_the_resources() -> None:
    tuned = run_program(
        stack_config(
            clusterArn=CLUSTER_ARN,
            logRetentionDays="90",
            logLevel="warning",
            systemLogLevel="INFO",
            memorySizeMb="256",
            architecture="x86_64",
            timeoutSeconds="4",
            tags='{"team": "platform", "cost-centre": "42"}',
        )
    )
    function = resource(tuned, ":Function")
    assert resource(tuned, ":LogGroup")["retentionInDays"] == 90
    assert function["loggingConfig"]["applicationLogLevel"] == "WARN"
    assert function["loggingConfig"]["systemLogLevel"] == "INFO"
    assert function["memorySize"] == 256
    assert function["architectures"] == ["x86_64"]
    assert function["timeout"] == 4
    assert function["tags"] == resource(tuned, ":Role")["tags"] == {"team": "platform", "cost-centre": "42"}


def test_region_falls_back_to_the_environment_then_the_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    config = {"ecs-task-events:clusterArn": CLUSTER_ARN.replace(REGION, "us-east-2")}
    monkeypatch.setenv("AWS_REGION", "us-east-2")
    from_environment = RecordingMocks(region="us-east-2")
    assert "--region us-east-2" in run_program(config, from_environment).outputs["tailLogsCommand"]
    assert "aws:index/getRegion:getRegion" not in from_environment.calls  # the environment answered
    monkeypatch.delenv("AWS_REGION")
    mocks = RecordingMocks(region="us-east-2")
    assert "us-east-2" in run_program(config, mocks).outputs["tailLogsCommand"]
    assert mocks.calls == ["aws:index/getRegion:getRegion", "aws:index/getCallerIdentity:getCallerIdentity"]
    with pytest.raises(ConfigError, match="is in region us-east-2 but this stack deploys to eu-west-1"):
        run_program(config, RecordingMocks(region="eu-west-1"))


BAD_CLUSTER_ARNS = {
    "short name": ("demo", "looks like a cluster name"),
    "task ARN": (f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/demo/5e1c2a9b", "is an ECS task ARN, not a cluster ARN"),
    "service ARN": (f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/demo/orders", "is an ECS service ARN"),
    "other service": (f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/demo", "ARN of the 'eks' service, not ECS"),
    "short account": (f"arn:aws:ecs:{REGION}:11112222333:cluster/demo", "account id '11112222333' is not 12 digits"),
    "letters in account": (f"arn:aws:ecs:{REGION}:11112222333x:cluster/demo", "is not 12 digits"),
    "bad region": (f"arn:aws:ecs:europe:{ACCOUNT}:cluster/demo", "region 'europe' is not a region name"),
    "leading space": (f" {CLUSTER_ARN}", "has surrounding spaces"),
    "trailing newline": (f"{CLUSTER_ARN}\n", "has surrounding spaces"),
    "other region": (CLUSTER_ARN.replace(REGION, "us-east-1"), "is in region us-east-1 but this stack deploys"),
    "bad name": (f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/my cluster", "cluster name is not 1-255"),
}


@pytest.mark.parametrize("case", BAD_CLUSTER_ARNS, ids=list(BAD_CLUSTER_ARNS))
def test_bad_cluster_arn_fails_before_anything_is_created(case: str) -> None:
    value, complaint = BAD_CLUSTER_ARNS[case]
    mocks = RecordingMocks()
    with pytest.raises(ConfigError) as raised:
        run_program(stack_config(clusterArn=value), mocks)
    message = str(raised.value)
    assert complaint in message
    assert f"ecs-task-events:clusterArn = {value!r}" in message  # names the key and the value
    assert "Fix: pulumi config set clusterArn arn:aws:ecs:eu-west-1:" in message
    assert mocks.resources == []


@pytest.mark.parametrize("given", [{}, {"clusterArn": ""}, {"clusterArns": []}], ids=["none", "empty", "empty list"])
def test_missing_cluster_arn_says_how_to_set_it(given: dict[str, Any]) -> None:
    """No cluster key, or Pulumi.yaml's defaults ("" and []), which the CLI sets on every stack that lacks them."""
    message = config_error(stack_config(**given))
    assert re.search(
        r"ecs-task-events:clusterArn = \(not set\): it is required.*Fix: pulumi config set clusterArn", message
    )


def test_bare_cluster_name_gets_a_fix_with_that_name() -> None:
    with pytest.raises(
        ConfigError, match=r"Fix: pulumi config set clusterArn arn:aws:ecs:eu-west-1:ACCOUNT_ID:cluster/demo"
    ):
        run_program(stack_config(clusterArn="demo"))


BAD_SETTINGS = {
    "retention 8": ("logRetentionDays", "8", "8 days is not a retention CloudWatch Logs accepts"),
    "retention 0": ("logRetentionDays", "0", "0 (never expire) is not allowed"),
    "log level": ("logLevel", "VERBOSE", "'VERBOSE' is not a log level Lambda accepts"),
    "system level": ("systemLogLevel", "ERROR", "use one of DEBUG, INFO, WARN"),
    "memory": ("memorySizeMb", "64", "64 MB is outside what Lambda accepts"),
    "architecture": ("architecture", "amd64", "'amd64' is not a Lambda architecture"),
    "timeout": ("timeoutSeconds", "901", "901 seconds is outside"),
    "tags not json": ("tags", "team=platform", "is not a JSON object"),
    "tags not object": ("tags", '["team"]', "is not a map of tag names"),
}


def test_a_setting_of_the_wrong_type_meets_the_cli_first_then_the_program() -> None:
    """The CLI refuses a non-integer for an integer key (ValidateConfigValue uses strconv.Atoi); past the CLI the
    program refuses it too, naming the value and the fix."""
    config = stack_config(clusterArn=CLUSTER_ARN, logRetentionDays="a month")
    assert "configuration key 'logRetentionDays' must be of type 'integer'" in cli_refusal(config)
    message = config_error(config, past_the_cli=True)
    assert "ecs-task-events:logRetentionDays = 'a month': 'a month' is not a whole number" in message
    assert "Fix: pulumi config set logRetentionDays 30" in message


@pytest.mark.parametrize("case", BAD_SETTINGS, ids=list(BAD_SETTINGS))
def test_bad_setting_fails_before_anything_is_created(case: str) -> None:
    key, value, complaint = BAD_SETTINGS[case]
    mocks = RecordingMocks()
    with pytest.raises(ConfigError) as raised:
        run_program(stack_config(clusterArn=CLUSTER_ARN, **{key: value}), mocks)
    message = str(raised.value)
    assert f"ecs-task-events:{key} = {value!r}: {complaint}" in message or complaint in message
    assert f"ecs-task-events:{key} = {value!r}" in message
    assert f"Fix: pulumi config set {key} " in message
    assert mocks.resources == []


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(ConfigError) as raised:
        run_program(stack_config(logRetentionDays="8", logLevel="LOUD"))
    lines = str(raised.value).splitlines()
    assert lines[0] == "invalid stack config, nothing was deployed:"
    assert [line.split(" ", 4)[3] for line in lines[1:]] == [
        "ecs-task-events:clusterArn",
        "ecs-task-events:logRetentionDays",
        "ecs-task-events:logLevel",
    ]


def project_config() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]


def test_pulumi_yaml_declares_every_key_with_type_and_description() -> None:
    declared = project_config()
    assert set(declared) == set(CONFIG_KEYS)
    for key, declaration in declared.items():
        assert declaration["type"] in ("string", "integer", "boolean", "array"), key
        assert len(declaration["description"]) > 20, key


def test_pulumi_yaml_defaults_match_the_code() -> None:
    """The CLI applies Pulumi.yaml's defaults (createConfigValue in pulumi/pulumi sdk/go/common/workspace/config.go),
    the component applies the code's: through the stack config, each declared default must mean the code's default.
    A setting with no default of its own declares the value the program reads as unset."""
    declared = project_config()
    defaults = {name: spec.default for name, spec in EcsTaskEventLoggerArgs.__dataclass_fields__.items()}
    for setting in SETTINGS:
        assert "default" in declared[setting.key], f"{setting.key}: the CLI would require it on every stack"
        value = declared[setting.key]["default"]
        text = (
            str(value).lower()
            if isinstance(value, bool)
            else json.dumps(value)
            if isinstance(value, list)
            else str(value)
        )
        if defaults[setting.field] is None:
            assert text == UNSET_VALUES[setting.key], setting.key
            continue
        expected = {} if setting.key == "tags" else defaults[setting.field]
        parsed = setting.parse(text)
        if isinstance(expected, tuple | list):  # a list setting: () and [] are the same empty list
            parsed, expected = list(parsed), list(expected)
        assert parsed == expected, setting.key
    assert (declared["clusterArn"]["default"], declared["clusterArns"]["default"]) == ("", [])


def test_pulumi_yaml_types_agree_with_the_program() -> None:
    """The CLI type-checks config against Pulumi.yaml before the program runs: both must mean the same type. A
    switch whose default depends on other settings is a string (auto, true or false): YAML has no such boolean."""
    declared = project_config()
    annotations = {name: spec.type for name, spec in EcsTaskEventLoggerArgs.__dataclass_fields__.items()}
    # tags: a JSON string; the organisation's OUs and regions: lists of strings
    expected = {"int": "integer", "bool": "boolean", "str": "string", "Mapping": "string", "Sequence": "array"}
    for setting in SETTINGS:
        # The annotations are types the analyzer reads (int | None, pulumi.Input[str] | None), not strings.
        annotation = base_type(annotations[setting.field]).__name__
        if UNSET_VALUES[setting.key] == "auto":
            assert declared[setting.key]["type"] == "string", setting.key
            assert (setting.parse("true"), setting.parse("false")) == (True, False)
            continue
        if annotation == "Sequence":
            # A list of names is a list in the stack file; a list of objects (the CLI has no object type) JSON text.
            if item_type(annotations[setting.field]) is str:
                assert declared[setting.key] == {**declared[setting.key], "type": "array", "items": {"type": "string"}}
            else:
                assert declared[setting.key]["type"] == "string", setting.key
            assert list(setting.parse("[]")) == [], setting.key
            with pytest.raises(ValueError, match="is not a JSON list"):
                setting.parse('{"a": 1}')
            continue
        assert declared[setting.key]["type"] == expected[annotation], setting.key
        if declared[setting.key]["type"] == "integer":
            with pytest.raises(ValueError, match="is not a whole number"):
                setting.parse("thirty")
        if declared[setting.key]["type"] == "boolean":
            assert (setting.parse("true"), setting.parse("false")) == (True, False)
    assert declared["clusterArns"] == {**declared["clusterArns"], "type": "array", "items": {"type": "string"}}
    assert (declared["clusterArn"]["type"], declared["allClusters"]["type"]) == ("string", "boolean")


def test_example_stack_file_deploys() -> None:
    stack = stack_file_values((ROOT / "Pulumi.dev.yaml").read_text())
    deployed = run_program(stack)
    assert set(deployed.outputs) == EXPORTS
    assert resource(deployed, ":Function")["tags"] == json.loads(str(stack["ecs-task-events:tags"]))


def _camel_to_snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def test_no_deprecated_pulumi_aws_inputs(deployed: Run) -> None:
    """pulumi-aws 7 renamed things (is_enabled -> state, ...); none of the old names may be used."""
    checked = 0
    for registered in deployed.mocks.resources:
        if not registered.type.startswith("aws:"):
            continue
        module_path, class_name = registered.type.split(":")[1].split("/")[0], registered.type.split(":")[2]
        module = importlib.import_module(f"pulumi_aws.{'lambda_' if module_path == 'lambda' else module_path}")
        args_class = getattr(module, f"{class_name}Args")
        for key in registered.inputs:
            prop = getattr(args_class, _camel_to_snake(key), None)
            assert isinstance(prop, property), f"{registered.type}: unknown input {key}"
            assert "_pulumi_deprecated_callable" not in prop.fget.__dict__, f"{registered.type}.{key} is deprecated"
            checked += 1
    assert checked >= 20
    # And the check does see a deprecated input when there is one.
    deprecated: Any = vars(pulumi_aws.cloudwatch.EventRuleArgs)["is_enabled"]
    assert "_pulumi_deprecated_callable" in deprecated.fget.__dict__


def test_program_file_is_thin() -> None:
    """__main__.py reads config, builds the component, exports; the logic lives in components/."""
    source = (ROOT / "__main__.py").read_text()
    assert "EcsTaskEventLogger(" in source
    assert "aws." not in source.replace('pulumi.Config("aws")', "")
    assert len(source.splitlines()) < 40


def test_readme_lists_every_config_key_and_output() -> None:
    readme = user_docs()
    for key in CONFIG_KEYS:
        assert f"`{key}`" in readme, key
    for output in EXPORTS:
        assert f"`{output}`" in readme, output
    assert Path(ROOT / ".ci" / "run").exists()


def readme_commands() -> list[str]:
    """The shell commands in the README's sh blocks, continuation lines joined."""
    blocks = re.findall(r"```sh\n(.*?)```", user_docs(), flags=re.DOTALL)
    return [line for block in blocks for line in block.replace("\\\n", " ").splitlines() if line.strip()]


def test_readme_aws_cli_commands_name_the_stacks_region() -> None:
    """A different default region in the user's AWS CLI must not send a command to the wrong region."""
    calls = [line for line in readme_commands() if re.search(r"(^|[#(]\s*|: )aws [a-z]", line)]
    assert len(calls) >= 3, calls
    for line in calls:
        assert "--region" in line, line


def test_readme_tear_down_keeps_the_example_stack_file() -> None:
    assert any(line.startswith("pulumi stack rm dev --preserve-config") for line in readme_commands())
    assert not any(re.fullmatch(r"pulumi stack rm dev\s*(#.*)?", line.strip()) for line in readme_commands())


def test_readme_deploy_steps_do_not_set_the_placeholder_cluster() -> None:
    placeholder = "arn:aws:ecs:eu-west-1:111122223333:cluster/demo"
    assert placeholder in (ROOT / "Pulumi.dev.yaml").read_text()
    setting = [line for line in readme_commands() if line.startswith("pulumi config set clusterArn")]
    assert setting and all(placeholder not in line for line in setting)
    assert any(line.startswith("aws ecs list-clusters") for line in readme_commands())


def test_preview_registers_the_same_resources_without_running_the_applies(deployed: Run) -> None:
    """`pulumi preview` runs the program with unknown outputs; it must not fail on them."""
    previewed = run_program(stack_config(clusterArn=CLUSTER_ARN), preview=True)
    assert sorted((r.type, r.name) for r in previewed.mocks.resources) == sorted(
        (r.type, r.name) for r in deployed.mocks.resources
    )
