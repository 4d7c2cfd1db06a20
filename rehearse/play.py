"""Build the stack in moto and play ECS events through it, the way AWS would carry them.

Each step says who played AWS's part: moto where it models the service (the resources, EventBridge's pattern
matching, the log group, SNS and SQS), this project's own code where it does not (moto's PutEvents does not
invoke a Lambda target, and moto runs no metric filters and evaluates no alarms).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import clients, deployed_code
from .held_messages import HeldMessage, OnCallMessages
from .metrics import Datapoint, evaluate_alarm, publish
from .pulumi_cli import StackValue, project
from .sequence import AppStream

PROJECT = "ecs-task-events"
DEFAULT_ACCOUNT = "111122223333"
FUNCTION = "aws:lambda/function:Function"
RULE = "aws:cloudwatch/eventRule:EventRule"
METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
QUEUE = "aws:sqs/queue:Queue"
# The function's environment: its chat topic and its routes (handler/notify.py, handler/routes.py).
CHAT_TOPIC_ENV = "NOTIFY_CHAT_TOPIC_ARN"
ROUTES_ENV = "NOTIFY_ROUTES"

NOTES = (
    "resources: created in moto with the calls the AWS provider makes (boto3 checks each against the AWS API); any "
    "that moto cannot hold are listed last, as only checked",
    "caught or not: moto's EventBridge pattern matcher, on the rules as moto stored them",
    "delivery to the function: done by this command, which calls the handler in this process (moto would run "
    "Lambda code in Docker); the code is the zip moto stored, with the function's environment and the log level "
    "the program set (moto does not echo LoggingConfig)",
    "records: written to the log group in moto",
    "metrics: the stack's metric filters, evaluated by rehearse/filter_patterns.py (moto runs no metric filters); "
    "AWS/Lambda and AWS/SQS figures from the invocations and moto's queues",
    "alarms: each alarm's statistic over its period against its threshold, by rehearse/metrics.py (moto evaluates "
    "no alarms)",
    "notifications: what reached each of the stack's topics in moto (the alarm topic, the chat topic, the routes' "
    "topics, which the rehearsal creates as the teams' own), read through an SQS queue subscribed to each",
    "containers' own logs: the default morning's application streams, written to moto's log groups before the "
    "events play (moto refuses log events older than 14 days, as CloudWatch Logs does)",
)


@dataclass
class Delivery:
    label: str
    event_id: str
    detail_type: str
    caught_by: list[str]
    why_not: str | None = None
    lines: list[str] = field(default_factory=list)
    error: str | None = None
    held: HeldMessage | None = None


@dataclass
class AlarmState:
    name: str
    state: str
    values: list[float]
    metric: str
    description: str


@dataclass
class Report:
    region: str
    account: str
    function_name: str
    log_group: str
    rules: list[str]
    deliveries: list[Delivery]
    datapoints: list[Datapoint]
    alarms: list[AlarmState]
    notifications: list[dict[str, str]]  # each: subject, message, topic, reached (whose topic), event (its label)
    log_events: list[str] = field(default_factory=list)  # the log group's events, read back from moto
    notes: Sequence[str] = NOTES


def with_overrides(config: Mapping[str, StackValue], overrides: Sequence[str]) -> dict[str, StackValue]:
    """``KEY=VALUE`` overrides; a key without a namespace is the project's, as `pulumi config set` takes it.

    A JSON list or object (``--config clusterArns='["arn:..."]'``) is held as a list or an object, as
    `pulumi config set --path` would build it; any other value is a string, as `pulumi config set` stores it.
    """
    given: dict[str, StackValue] = {}
    declared = project().config
    for override in overrides:
        key, separator, value = override.partition("=")
        if not separator or not key:
            raise ValueError(f"--config {override!r}: expected KEY=VALUE, e.g. --config logLevel=DEBUG")
        path = re.fullmatch(r"([\w:]+)\[(\d+)\]", key)
        if path:  # one entry of a list, as `pulumi config set --path 'KEY[i]' VALUE` sets it
            full = path[1] if ":" in path[1] else f"{PROJECT}:{path[1]}"
            listed = given.get(full, config.get(full))
            entries = list(listed) if isinstance(listed, list) else []
            index = int(path[2])
            if index > len(entries):
                raise ValueError(
                    f"--config {override!r}: {path[1]} has {len(entries)} entries; the next is [{len(entries)}]"
                )
            entries[index : index + 1] = [value]
            given[full] = entries
            continue
        full = key if ":" in key else f"{PROJECT}:{key}"
        declaration = declared.get(full.removeprefix(f"{PROJECT}:")) if full.startswith(f"{PROJECT}:") else None
        # A key Pulumi.yaml declares a string (routes, tags) holds JSON as text, as `pulumi config set` stores it.
        text = declaration is not None and declaration.type == "string"
        given[full] = value if text else _structured(value)
    merged = dict(config)
    cluster_keys = {f"{PROJECT}:{key}" for key in ("clusterArn", "clusterArns", "allClusters")}
    if cluster_keys & given.keys():
        # An override of one cluster key replaces the stack file's other ones, as `pulumi config rm` would.
        for key in cluster_keys - given.keys():
            merged.pop(key, None)
    return merged | given


def _structured(value: str) -> StackValue:
    if value.lstrip().startswith(("[", "{")):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        if isinstance(parsed, list | dict):
            return parsed
    return value


def account_of(config: Mapping[str, StackValue]) -> str:
    """The account the stack deploys to, as the credentials would say: the clusters' account."""
    arns = config.get(f"{PROJECT}:clusterArns")
    arn = config.get(f"{PROJECT}:clusterArn") or next(iter(arns if isinstance(arns, list) else []), "")
    parts = str(arn).split(":")
    return parts[4] if len(parts) > 4 and parts[4].isdigit() else DEFAULT_ACCOUNT


@contextmanager
def emulated_aws(region: str, account: str) -> Iterator[None]:
    """moto in this process, as the stack's account and region, with fake credentials: no call leaves it."""
    from moto import mock_aws  # noqa: PLC0415 - a dev requirement, only needed here

    fake = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "MOTO_ACCOUNT_ID": account,
    }
    saved = {key: os.environ.get(key) for key in [*fake, "AWS_PROFILE"]}
    os.environ.update(fake)
    os.environ.pop("AWS_PROFILE", None)
    try:
        with mock_aws():
            yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def explain_miss(event: Mapping[str, Any], patterns: Sequence[Mapping[str, Any]], region: str = "") -> str:
    """Why no rule took the event, in the terms of the first thing every pattern disagrees with, and, for an
    event of another cluster or region than the stack's, the ``--config`` that rehearses a stack it would reach."""
    detail = event.get("detail") if isinstance(event.get("detail"), Mapping) else {}
    assert isinstance(detail, Mapping)
    if all(event.get("source") not in pattern.get("source", [event.get("source")]) for pattern in patterns):
        return f"other source {event.get('source')!r}"
    kind = event.get("detail-type")
    if all(kind not in pattern.get("detail-type", [kind]) for pattern in patterns):
        taken = sorted({kind for pattern in patterns for kind in pattern.get("detail-type", [])})
        return f"other detail-type {event.get('detail-type')!r} (the rules take {', '.join(taken)})"
    cluster = detail.get("clusterArn")
    if cluster:
        event_region = str(event.get("region") or "")
        if region and event_region and event_region != region:
            return (
                f"other cluster {cluster}, of {event_region}: the stack deploys to {region}, and a rule sees only the "
                f"events of its own region. To rehearse that cluster's stack: --config aws:region={event_region} "
                f"--config clusterArn={cluster}"
            )
        return (
            f"other cluster {cluster} (not one of the stack's clusters). To rehearse with it: "
            f"--config clusterArn={cluster}"
        )
    return "no rule's pattern matches it"


@dataclass
class FunctionInMoto:
    """The function as moto stored it, invoked the way EventBridge would invoke it, and what its invocations left:
    the records written to its log group, the AWS/Lambda datapoints, and every message that reached a topic."""

    function: deployed_code.DeployedFunction
    name: str
    log_group: str
    stream: str
    messages: OnCallMessages
    inboxes: list[Inbox]
    logs: Any
    sqs: Any
    lines: list[str] = field(default_factory=list)
    lambda_points: list[Datapoint] = field(default_factory=list)
    notifications: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def from_moto(cls, rehearsal: Any, account: str, region: str) -> FunctionInMoto:
        """Its code and settings as moto holds them, with the ARN Lambda passes on each invocation's context; a log
        stream of its own in its log group (moto does not echo LoggingConfig: the log settings are the program's),
        and a queue on each topic it may publish to."""
        from .aws import function_zip  # noqa: PLC0415 - boto3 and moto load here

        lambda_client, logs, sqs = (clients.client(name, region) for name in ("lambda", "logs", "sqs"))
        registered = rehearsal.run.one(FUNCTION)
        name = registered.outputs["name"]
        settings = lambda_client.get_function_configuration(FunctionName=name)
        logging_config = rehearsal.resolve(registered.inputs["loggingConfig"])
        environment = (settings.get("Environment") or {}).get("Variables") or {}
        function = deployed_code.load(
            function_zip(name, account, region),
            settings["Handler"],
            logging_config["applicationLogLevel"],
            environment,
        )
        function.function_arn = settings["FunctionArn"]
        log_group = str(logging_config["logGroup"])
        stream = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]rehearse"
        logs.create_log_stream(logGroupName=log_group, logStreamName=stream)
        alarm_topic = rehearsal.resolve(rehearsal.run.outputs.get("alarmTopicArn"))
        return cls(
            function=function,
            name=name,
            log_group=log_group,
            stream=stream,
            messages=OnCallMessages(function, environment, region),
            inboxes=subscribe_inboxes(alarm_topic, environment, region),
            logs=logs,
            sqs=sqs,
        )

    def deliver(self, delivery: Delivery, event: dict[str, Any]) -> None:
        """Invoke the function with ``event``; note on ``delivery`` its records, its error and any message held
        back; keep the records, the datapoints and the messages that reached the topics."""
        before = self.messages.status_before(event)
        invocation = self.function.invoke(event)
        delivery.lines, delivery.error = invocation.lines, invocation.error
        delivery.held = self.messages.held_back(delivery.label, event, invocation.returned, before)
        self.notifications += [{**message, "event": delivery.label} for message in read_inboxes(self.sqs, self.inboxes)]
        self.lines.extend(invocation.lines)
        now = _now()
        dimensions = {"FunctionName": self.name}
        self.lambda_points.append(Datapoint("AWS/Lambda", "Invocations", 1.0, dimensions, now))
        self.lambda_points.append(Datapoint("AWS/Lambda", "Errors", float(bool(invocation.error)), dimensions, now))
        self._store(invocation.lines)

    def invoke_unrouted(self, label: str, event: dict[str, Any]) -> Any:
        """An invocation no rule of the logger made (the relay queue's poller handing over members' alarms): its
        records go to the log group, and the messages it sent are kept under ``label``. What it returned."""
        invocation = self.function.invoke(event)
        self._store(invocation.lines)
        self.notifications += [{**message, "event": label} for message in read_inboxes(self.sqs, self.inboxes)]
        return invocation.returned

    def _store(self, lines: Sequence[str]) -> None:
        if lines:
            self.logs.put_log_events(
                logGroupName=self.log_group,
                logStreamName=self.stream,
                logEvents=[{"timestamp": _millis(line), "message": line} for line in lines],
            )

    def datapoints(self, rehearsal: Any) -> list[Datapoint]:
        """The metric filters' datapoints from the records, the function's own, and the queues' depths."""
        filters = [rehearsal.resolve(f.inputs) for f in rehearsal.run.of_type(METRIC_FILTER)]
        return [*publish(filters, self.lines), *self.lambda_points, *_queue_depths(rehearsal, self.sqs)]

    def report_fields(self, rules: Sequence[tuple[str, Any]], points: Sequence[Datapoint]) -> dict[str, Any]:
        """What a report says of the function's run: its name, log group and rules, the datapoints worth showing,
        the messages, and the records as the log group holds them now, as `aws logs tail` prints them."""
        stored = self.logs.filter_log_events(logGroupName=self.log_group)["events"]
        return {
            "function_name": self.name,
            "log_group": self.log_group,
            "rules": [name for name, _ in rules],
            "datapoints": [p for p in points if p.namespace not in ("AWS/Lambda", "AWS/SQS") or p.value],
            "notifications": self.notifications,
            "log_events": [tail_line(event["message"], event["logStreamName"]) for event in stored],
        }


def play(
    config: Mapping[str, StackValue],
    events: Sequence[tuple[str, dict[str, Any]]],
    app_streams: Sequence[AppStream] = (),
) -> Report:
    """Deploy the program with this config into moto, write the containers' ``app_streams`` to their log groups,
    and play ``events`` through it, in order."""
    region = str(config.get("aws:region") or "")
    if not region:
        raise ValueError("no aws:region in the config; pass --config aws:region=eu-west-1 (the clusters' region)")
    account = account_of(config)
    with emulated_aws(region, account):
        from .aws import Rehearsal, rule_matches  # noqa: PLC0415 - boto3 and moto load here
        from .mocks import RecordingMocks, run_program  # noqa: PLC0415

        deployed = run_program(dict(config), RecordingMocks(region=region, account=account))
        rehearsal = Rehearsal(deployed, region)
        rehearsal.rehearse()

        function = FunctionInMoto.from_moto(rehearsal, account, region)
        write_app_streams(function.logs, app_streams)
        rules = [(rule.outputs["name"], json.loads(rule.inputs["eventPattern"])) for rule in deployed.of_type(RULE)]
        deliveries = []
        for label, event in events:
            caught = [name for name, _ in rules if rule_matches(name, event, account, region)]
            delivery = Delivery(label, str(event.get("id")), str(event.get("detail-type")), caught)
            if not caught:
                delivery.why_not = explain_miss(event, [pattern for _, pattern in rules], region)
            else:
                function.deliver(delivery, event)
            deliveries.append(delivery)

        points = function.datapoints(rehearsal)
        alarms = alarm_states(rehearsal, points)
        return Report(
            region=region,
            account=account,
            deliveries=deliveries,
            alarms=alarms,
            **function.report_fields(rules, points),
            notes=(*NOTES, *checked_only_notes(rehearsal.not_emulated)),
        )


def checked_only_notes(not_emulated: Mapping[str, str]) -> list[str]:
    """A line per reason for the resources moto could not hold: checked against the API model, never created."""
    by_reason: dict[str, list[str]] = {}
    for name, why in not_emulated.items():
        by_reason.setdefault(why, []).append(name)
    return [f"not created, only checked: {', '.join(names)}: {why}" for why, names in by_reason.items()]


def alarm_states(rehearsal: Any, points: Sequence[Datapoint]) -> list[AlarmState]:
    """Each alarm's state, by name: its statistic over its period against its threshold (moto evaluates no
    alarms)."""
    alarms = []
    for alarm in rehearsal.run.of_type(ALARM):
        inputs = rehearsal.resolve(alarm.inputs)
        state, values = evaluate_alarm(inputs, points)
        name, metric, description = alarm.outputs["name"], inputs["metricName"], inputs["alarmDescription"]
        alarms.append(AlarmState(name, state, values, metric, description))
    return sorted(alarms, key=lambda alarm: alarm.name)


def _now() -> str:
    """This moment as a record's timestamp, for the figures AWS/Lambda and AWS/SQS would report now."""
    return f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%S}.000Z"


def _millis(line: str) -> int:
    stamp = json.loads(line)["timestamp"]
    return int(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp() * 1000)


def write_app_streams(logs: Any, streams: Sequence[AppStream]) -> None:
    """The containers' own streams, as the awslogs driver writes them; a line CloudWatch Logs refuses (older than
    14 days, or more than 2 hours ahead: "PutLogEvents", CloudWatch Logs API Reference) stops the rehearsal."""
    groups = {group["logGroupName"] for group in logs.describe_log_groups()["logGroups"]}
    for stream in streams:
        if stream.group not in groups:
            logs.create_log_group(logGroupName=stream.group)
            groups.add(stream.group)
        logs.create_log_stream(logGroupName=stream.group, logStreamName=stream.stream)
        events = [{"timestamp": when, "message": text} for when, text in stream.lines]
        rejected = logs.put_log_events(logGroupName=stream.group, logStreamName=stream.stream, logEvents=events)
        if rejected.get("rejectedLogEventsInfo"):
            raise ValueError(
                f"CloudWatch Logs refused lines of {stream.group} {stream.stream}: {rejected['rejectedLogEventsInfo']}"
            )


@dataclass(frozen=True)
class Inbox:
    """An SQS queue subscribed to one topic, and whose topic that is, in the words a report prints."""

    topic: str
    reached: str
    url: str


def subscribe_inboxes(alarm_topic: str | None, variables: Mapping[str, str], region: str) -> list[Inbox]:
    """A queue subscribed to each topic the function may publish to: the alarm topic, the chat topic, each route's
    topic, created in moto first (a team's topic exists before the stack; the stack only publishes to it), and each
    route channel's chat topic, which the stack created."""
    sqs, sns = clients.client("sqs", region), clients.client("sns", region)
    topics: dict[str, str] = {}
    if alarm_topic:
        topics[alarm_topic] = "the alarm topic"
    if variables.get(CHAT_TOPIC_ENV):
        topics[variables[CHAT_TOPIC_ENV]] = "the chat topic"
    for index, route in enumerate(json.loads(variables.get(ROUTES_ENV) or "[]")):
        if route["topicArn"] not in topics:
            topics[route["topicArn"]] = f"routes[{index}]'s topic ({', '.join(route['services'])})"
        if route.get("chatTopicArn") and route["chatTopicArn"] not in topics:
            topics[route["chatTopicArn"]] = f"routes[{index}]'s chat topic ({', '.join(route['services'])})"
    existing = {topic["TopicArn"] for topic in sns.list_topics()["Topics"]}
    inboxes = []
    for index, (topic, reached) in enumerate(topics.items()):
        if topic not in existing:
            created = sns.create_topic(Name=topic.rsplit(":", 1)[-1])["TopicArn"]
            if created != topic:
                raise ValueError(
                    f"routes: topic {topic} is of another account or region than the rehearsal's, which plays one "
                    f"account and region; to rehearse the route, give it {created} in --config routes=..."
                )
        url = sqs.create_queue(QueueName=f"rehearse-inbox-{index}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        inboxes.append(Inbox(topic, reached, str(url)))
    return inboxes


def read_inboxes(sqs: Any, inboxes: Sequence[Inbox]) -> list[dict[str, str]]:
    """What reached each topic since the last read: subject, message, the topic and whose it is."""
    received: list[dict[str, str]] = []
    for inbox in inboxes:
        while messages := sqs.receive_message(QueueUrl=inbox.url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                envelope = json.loads(message["Body"])
                received.append(
                    {
                        "subject": envelope.get("Subject") or "",
                        "message": envelope.get("Message") or "",
                        "topic": inbox.topic,
                        "reached": inbox.reached,
                    }
                )
                sqs.delete_message(QueueUrl=inbox.url, ReceiptHandle=message["ReceiptHandle"])
    return received


def _queue_depths(rehearsal: Any, sqs: Any) -> list[Datapoint]:
    """AWS/SQS ApproximateNumberOfMessagesVisible of the stack's queues, as moto holds them now."""
    now = _now()
    points = []
    for queue in rehearsal.run.of_type(QUEUE):
        url = rehearsal.resolve(queue.outputs["url"])
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        visible = float(attributes["Attributes"]["ApproximateNumberOfMessages"])
        name = url.rsplit("/", 1)[-1]
        points.append(Datapoint("AWS/SQS", "ApproximateNumberOfMessagesVisible", visible, {"QueueName": name}, now))
    return points


def tail_line(line: str, stream: str) -> str:
    """A record as `aws logs tail` prints it: the event's timestamp, the stream, the message."""
    stamp = str(json.loads(line).get("timestamp", ""))
    return f"{stamp.replace('Z', '000+00:00')} {stream} {line}"
