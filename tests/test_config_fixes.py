"""Config mistakes get the right fix: every `Fix:` line, run as the commands it shows, makes the config deploy."""

from __future__ import annotations

import json
import logging
import re

import pulumi
import pytest
from config_refusals import cli_refusal, config_error
from user_docs import user_docs

from components import stack_config as stack_config_module
from rehearse.mocks import ACCOUNT, CLUSTER_ARN, PROJECT, REGION, Run, run_program, stack_config
from rehearse.pulumi_cli import StackValue, config_command

OTHER = CLUSTER_ARN.replace("demo", "batch")
PROBLEM_LINE = re.compile(rf"  - {PROJECT}:(?P<key>\w+) = (?:'.*'|\(not set\)): .+[.?] Fix: (?P<fix>.+)")


def problems(config: dict[str, StackValue], *, past_the_cli: bool = False) -> list[re.Match[str]]:
    """The problem lines of the config error, each checked for the common shape."""
    lines = config_error(config, past_the_cli=past_the_cli).splitlines()
    assert lines[0] == "invalid stack config, nothing was deployed:"
    matches = [PROBLEM_LINE.fullmatch(line) for line in lines[1:]]
    assert all(matches), lines
    return [match for match in matches if match]


def apply_fix(config: dict[str, StackValue], fix: str) -> dict[str, StackValue]:
    """Run the commands of a Fix: line against the config, as the Pulumi CLI would (with --path lists)."""
    commands = fix.split(", to keep only", maxsplit=1)[0].split(", or ", maxsplit=1)[0].split(" (", maxsplit=1)[0]
    for command in commands.split(" && "):
        config = config_command(config, command.replace("ACCOUNT_ID", ACCOUNT).replace("/NAME", "/demo"))
    return config


BROKEN = {
    "retention 8": stack_config(clusterArn=CLUSTER_ARN, logRetentionDays="8"),
    "misspelt key": stack_config(clusterArn=CLUSTER_ARN, logretentiondays="14"),
    "lower-case key": stack_config(clusterarn=CLUSTER_ARN),
    "unknown key": stack_config(clusterArn=CLUSTER_ARN, colour="blue"),
    "duplicate": stack_config(clusterArns=[CLUSTER_ARN, OTHER, CLUSTER_ARN]),
    "three times": stack_config(clusterArns=[CLUSTER_ARN, CLUSTER_ARN, OTHER, CLUSTER_ARN]),
    "bad entry": stack_config(clusterArns=[CLUSTER_ARN, "batch"]),
    "other region": stack_config(clusterArns=[CLUSTER_ARN, OTHER.replace(REGION, "us-east-1")]),
    "all three keys": stack_config(clusterArn=CLUSTER_ARN, clusterArns=[OTHER], allClusters="true"),
    "two keys": stack_config(clusterArn=CLUSTER_ARN, clusterArns=[OTHER]),
    "missing cluster": stack_config(),
    "malformed ARN": stack_config(clusterArn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:demo"),
    "email without alarms": stack_config(clusterArn=CLUSTER_ARN, alarms="false", alertEmail="oncall@example.com"),
    "FATAL with alarms": stack_config(clusterArn=CLUSTER_ARN, logLevel="FATAL"),
    "topic elsewhere": stack_config(clusterArn=CLUSTER_ARN, alarmTopicArn=f"arn:aws:sns:us-east-1:{ACCOUNT}:oncall"),
    "bad container log group": stack_config(clusterArn=CLUSTER_ARN, containerLogGroups=["/ecs/", "my logs"]),
    "route elsewhere": stack_config(
        clusterArn=CLUSTER_ARN,
        routes=json.dumps([{"services": ["payments-*"], "topicArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:payments"}]),
    ),
    "route without topic": stack_config(clusterArn=CLUSTER_ARN, routes='[{"services": ["payments-*"]}]'),
    "route with a malformed channel": stack_config(
        clusterArn=CLUSTER_ARN,
        slackWorkspaceId="T07EA123LEP",
        slackChannelId="C07EZ1ABC23",
        routes=json.dumps(
            [
                {"services": ["search-*"], "topicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:search"},
                {
                    "services": ["payments-*"],
                    "topicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:payments",
                    "slackChannelId": "#payments",
                },
            ]
        ),
    ),
    "lines without groups": stack_config(clusterArn=CLUSTER_ARN, containerLogLines="5"),
    "container logs without messages": stack_config(
        clusterArn=CLUSTER_ARN, containerLogGroups=["/ecs/"], notifications="false"
    ),
}


# Values of the wrong type for Pulumi.yaml's declaration: the CLI refuses them before the program runs, with its
# own message (README, "Deploy"); past the CLI, the program's Fix: line still repairs them.
WRONG_TYPES = {
    "retention words": (stack_config(clusterArn=CLUSTER_ARN, logRetentionDays="a month"), "integer"),
    "list as a plain string": (stack_config(clusterArns=f"{CLUSTER_ARN},{OTHER}"), "array<string>"),
    "list as a JSON string": (stack_config(clusterArns=json.dumps(CLUSTER_ARN)), "array<string>"),
    "list as an object": (stack_config(clusterArns={"a": CLUSTER_ARN}), "array<string>"),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_every_fix_line_fixes_the_problem(case: str) -> None:
    config = BROKEN[case]
    for problem in problems(config):
        config = apply_fix(config, problem["fix"])
    deployed: Run = run_program(config)
    assert deployed.outputs["functionName"]


@pytest.mark.parametrize("case", WRONG_TYPES, ids=list(WRONG_TYPES))
def test_a_value_of_the_wrong_type_meets_the_cli_and_its_fix_line_still_repairs_it(case: str) -> None:
    config, type_name = WRONG_TYPES[case]
    key = next(key for key in config if key.startswith(f"{PROJECT}:") and key != f"{PROJECT}:clusterArn")
    assert cli_refusal(config) == (
        f"validating stack config: Stack 'dev' with configuration key '{key.split(':')[1]}' must be of type "
        f"'{type_name}'"
    )
    for problem in problems(config, past_the_cli=True):
        config = apply_fix(config, problem["fix"])
    assert run_program(config).outputs["functionName"]


def fixes(config: dict[str, StackValue], *, past_the_cli: bool = False) -> list[str]:
    return [problem["fix"] for problem in problems(config, past_the_cli=past_the_cli)]


def test_the_fixes_say_exactly_what_to_run() -> None:
    assert fixes(BROKEN["retention 8"]) == ["pulumi config set logRetentionDays 7"]
    assert fixes(BROKEN["duplicate"]) == ["pulumi config rm --path 'clusterArns[2]'"]
    assert fixes(BROKEN["three times"]) == [
        "pulumi config rm --path 'clusterArns[3]' && pulumi config rm --path 'clusterArns[1]'"
    ]
    assert fixes(BROKEN["all three keys"]) == [
        "pulumi config rm clusterArn && pulumi config rm clusterArns, to keep only allClusters"
    ]
    assert fixes(WRONG_TYPES["list as a plain string"][0], past_the_cli=True) == [
        f"pulumi config rm clusterArns && pulumi config set --path 'clusterArns[0]' {CLUSTER_ARN} "
        f"&& pulumi config set --path 'clusterArns[1]' {OTHER}"
    ]
    assert fixes(BROKEN["misspelt key"]) == [
        "pulumi config rm logretentiondays && pulumi config set logRetentionDays 14"
    ]
    assert fixes(BROKEN["unknown key"]) == ["pulumi config rm colour"]
    assert fixes(BROKEN["lines without groups"]) == [
        "pulumi config set --path 'containerLogGroups[0]' /ecs/ (the groups your containers log to), or "
        "pulumi config set containerLogLines 0"
    ]
    assert fixes(BROKEN["route with a malformed channel"]) == [
        'pulumi config set routes \'[{"services": ["search-*"], "topicArn": '
        f'"arn:aws:sns:{REGION}:{ACCOUNT}:search"}}, {{"services": ["payments-*"], "topicArn": '
        f'"arn:aws:sns:{REGION}:{ACCOUNT}:payments", "slackChannelId": "C0PAYMENTS1"}}]\' '
        "(C0PAYMENTS1: your channel ID)"
    ]
    two_problems = [{"services": ["payments-*"], "topicArn": "payments", "slackChannelId": "#payments"}]
    assert fixes(stack_config(clusterArn=CLUSTER_ARN, routes=json.dumps(two_problems))) == [
        'pulumi config set routes \'[{"services": ["payments-*"], "topicArn": '
        '"arn:aws:sns:eu-west-1:ACCOUNT_ID:payments-oncall", "slackChannelId": "C0PAYMENTS1"}]\''
    ]
    assert fixes(BROKEN["bad container log group"]) == [
        "pulumi config rm containerLogGroups && pulumi config set --path 'containerLogGroups[0]' /ecs/"
    ]


def message(config: dict[str, StackValue]) -> str:
    return config_error(config)


def test_unknown_keys_name_the_closest_setting() -> None:
    assert "ecs-task-events:logretentiondays = '14': this program has no setting 'logretentiondays', so it would " in (
        message(BROKEN["misspelt key"])
    )
    assert "did you mean logRetentionDays?" in message(BROKEN["misspelt key"])
    assert "did you mean clusterArn?" in message(BROKEN["lower-case key"])
    assert "did you mean" not in message(BROKEN["unknown key"])
    assert [stack_config_module.closest_key(key) for key in ("timeout", "retention", "dashbord", "alarmsTopicArn")] == [
        "timeoutSeconds",
        "logRetentionDays",
        "dashboard",
        "alarmTopicArn",
    ]
    assert stack_config_module.closest_key("dbPassword") is None  # not "dashboard": no far-fetched guesses
    # Other namespaces belong to others: the provider's keys are not this program's business.
    assert run_program(stack_config(clusterArn=CLUSTER_ARN, **{"aws:profile": "prod"})).outputs["functionName"]


def test_an_unknown_secret_key_does_not_show_its_value() -> None:
    config = {key: str(value) for key, value in stack_config(clusterArn=CLUSTER_ARN, githubToken="hunter2").items()}
    pulumi.runtime.set_all_config(config, [f"{PROJECT}:githubToken"])
    try:
        found = stack_config_module.Problems(PROJECT)
        stack_config_module._unknown_keys(PROJECT, found)
    finally:
        pulumi.runtime.set_all_config({}, [])
    assert found.lines == [
        f"{PROJECT}:githubToken = '[secret]': this program has no setting 'githubToken', so it would be ignored "
        "(the settings: docs/configuration.md, 'Config'). Fix: pulumi config rm githubToken"
    ]


def test_a_malformed_arn_is_called_malformed() -> None:
    text = message(BROKEN["malformed ARN"])
    assert "it is malformed: its resource part 'demo' has no 'cluster/' before the cluster name" in text
    assert "ECS demo ARN" not in text


def test_a_cluster_of_another_account_deploys_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    placeholder = CLUSTER_ARN.replace(ACCOUNT, "999988887777")
    with caplog.at_level(logging.WARNING):
        deployed = run_program(stack_config(clusterArn=placeholder), preview=True)
    assert deployed.mocks.resources  # legitimate (forwarded events), so not refused
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert any(
        "name account 999988887777, but this stack deploys with the credentials of account 111122223333" in text
        and "aws ecs list-clusters" in text
        for text in warnings
    ), warnings
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        run_program(stack_config(clusterArn=CLUSTER_ARN), preview=True)
    assert not [record for record in caplog.records if "credentials of account" in record.getMessage()]


def test_the_readme_example_error_is_what_the_program_prints() -> None:
    """The README's sample message, line for line (its long lines folded, the retention list shortened)."""
    printed = message(stack_config(clusterArn=CLUSTER_ARN, logretentiondays="14", logRetentionDays="8"))
    readme = user_docs()
    sample = readme.split("invalid stack config, nothing was deployed:\n", 1)[1].split("```", 1)[0]
    shown = [line.strip() for line in re.split(r"\n  - ", "\n" + sample.rstrip()) if line.strip()]
    lines = [line.removeprefix("  - ") for line in printed.splitlines()[1:]]
    assert len(shown) == len(lines) == 2
    for folded, line in zip(shown, lines, strict=True):
        head, tail = " ".join(folded.split()).split(", ... ") if ", ... " in folded else (" ".join(folded.split()), "")
        assert line.startswith(head) and line.endswith(tail), (folded, line)
