"""Replay what the program registers under Pulumi's mocks against moto, the in-process AWS emulator.

For each registered resource, in registration order (the SDK registers a
resource only once the resources it references have registered), make the
calls the AWS provider would make, with the resource's real inputs. Values
the mocks invented (ARNs, ids, URLs) are swapped for what the emulator
returned before they are used. Every call is checked against every constraint
of the AWS API model (patterns, lengths, enums, ranges: rehearse/api_model.py),
and made in the resource's Region (its ``region`` input, else the stack's),
which must have an endpoint of the service; moto then checks what it
implements: policy grammar, event pattern syntax, that referenced roles and
functions exist.

Where moto does not implement an API, the call's parameters are still checked
against the API model, and the resource is listed in ``not_emulated`` with
the reason, so a test can say so instead of pretending.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pulumi
from botocore.validate import validate_parameters

from . import api_model, clients
from .mocks import Registered, Run

Handler = Callable[["Rehearsal", Registered], None]


def archive_zip(archive: pulumi.AssetArchive) -> bytes:
    """The zip the Pulumi engine builds from an AssetArchive of FileAssets (what Lambda receives)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, asset in sorted(archive.assets.items()):
            if not isinstance(asset, pulumi.FileAsset):
                raise TypeError(f"{name}: only FileAssets are rehearsed, got {type(asset).__name__}")
            bundle.writestr(name, Path(asset.path).read_bytes())
    return buffer.getvalue()


def _tags(inputs: dict[str, Any]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in (inputs.get("tags") or {}).items()]


class Rehearsal:
    def __init__(self, run: Run, region: str) -> None:
        self.run = run
        self.region = region
        self.resource: Registered | None = None  # the resource being rehearsed: its Region is the clients'
        self.swaps: dict[str, str] = {}  # value the mocks invented -> value the emulator returned
        self.not_emulated: dict[str, str] = {}  # resource name -> why it was only checked, not created
        self.created: list[str] = []

    def client(self, service: str) -> Any:
        """A client in the Region of the resource being rehearsed, refused where the service has no endpoint;
        its calls are checked against every constraint of the API model before moto sees them."""
        region = (self.resource.region if self.resource else None) or self.region
        return clients.checked_client(service, region)

    def resolve(self, value: Any) -> Any:
        """``value`` with every mock-invented ARN, id or URL replaced by the emulator's.

        Numbers cross the Pulumi wire as doubles; the provider turns them back
        into the integers its schema says they are, and so does this.
        """
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            for invented in sorted(self.swaps, key=len, reverse=True):
                value = value.replace(invented, self.swaps[invented])
            return value
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if isinstance(value, dict):
            return {key: self.resolve(item) for key, item in value.items()}
        return value

    def swap(self, invented: str | None, real: str) -> None:
        if invented and invented != real:
            self.swaps[invented] = real

    def rehearse(self) -> None:
        for resource in self.run.mocks.resources:
            if resource.type.startswith(("ecs-task-events:", "pulumi:providers:")):
                continue  # the component itself, and providers (their Region is each resource's): nothing in AWS
            handler = HANDLERS.get(resource.type)
            if handler is None:
                raise NotImplementedError(f"no rehearsal for {resource.type} ({resource.name}); add one to HANDLERS")
            self.resource = resource
            try:
                handler(self, resource)
            except Exception as error:
                raise AssertionError(f"AWS refused {resource.type} {resource.name!r}: {error}") from error
            finally:
                self.resource = None
            self.created.append(resource.name)

    def check_only(self, resource: Registered, service: str, operation: str, params: dict[str, Any], why: str) -> None:
        """Check the call against the AWS API model, shape and every constraint, without making it."""
        model = self.client(service).meta.service_model.operation_model(operation)
        validate_parameters(params, model.input_shape)
        api_model.check_call(model, params)
        self.not_emulated[resource.name] = why


def log_group(rehearsal: Rehearsal, resource: Registered) -> None:
    inputs, name = rehearsal.resolve(resource.inputs), resource.outputs["name"]
    logs = rehearsal.client("logs")
    logs.create_log_group(logGroupName=name, **({"tags": inputs["tags"]} if inputs.get("tags") else {}))
    if inputs.get("retentionInDays") is not None:
        logs.put_retention_policy(logGroupName=name, retentionInDays=inputs["retentionInDays"])
    (group,) = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    rehearsal.swap(resource.outputs["arn"], group["arn"].removesuffix(":*"))


def role(rehearsal: Rehearsal, resource: Registered) -> None:
    inputs = rehearsal.resolve(resource.inputs)
    created = rehearsal.client("iam").create_role(
        RoleName=resource.outputs["name"],
        AssumeRolePolicyDocument=inputs["assumeRolePolicy"],
        Description=inputs.get("description", ""),
        Tags=_tags(inputs),
    )
    rehearsal.swap(resource.outputs["arn"], created["Role"]["Arn"])


def role_policy(rehearsal: Rehearsal, resource: Registered) -> None:
    inputs = rehearsal.resolve(resource.inputs)
    rehearsal.client("iam").put_role_policy(
        RoleName=inputs["role"], PolicyName=resource.outputs["name"], PolicyDocument=inputs["policy"]
    )


def queue(rehearsal: Rehearsal, resource: Registered) -> None:
    inputs = rehearsal.resolve(resource.inputs)
    attributes = {"MessageRetentionPeriod": str(inputs["messageRetentionSeconds"])}
    if inputs.get("sqsManagedSseEnabled") is not None:
        attributes["SqsManagedSseEnabled"] = str(inputs["sqsManagedSseEnabled"]).lower()
    if inputs.get("visibilityTimeoutSeconds") is not None:
        attributes["VisibilityTimeout"] = str(inputs["visibilityTimeoutSeconds"])
    if inputs.get("redrivePolicy"):
        attributes["RedrivePolicy"] = inputs["redrivePolicy"]  # moto refuses a target queue it does not hold
    sqs = rehearsal.client("sqs")
    url = sqs.create_queue(QueueName=resource.outputs["name"], Attributes=attributes, tags=inputs.get("tags") or {})
    arn = sqs.get_queue_attributes(QueueUrl=url["QueueUrl"], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rehearsal.swap(resource.outputs["url"], url["QueueUrl"])
    rehearsal.swap(resource.outputs["arn"], arn)


def queue_policy(rehearsal: Rehearsal, resource: Registered) -> None:
    inputs = rehearsal.resolve(resource.inputs)
    rehearsal.client("sqs").set_queue_attributes(QueueUrl=inputs["queueUrl"], Attributes={"Policy": inputs["policy"]})


def function(rehearsal: Rehearsal, resource: Registered) -> None:
    inputs = rehearsal.resolve(resource.inputs)
    logging_config = inputs.get("loggingConfig") or {}
    created = rehearsal.client("lambda").create_function(
        FunctionName=resource.outputs["name"],
        Runtime=inputs["runtime"],
        Role=inputs["role"],
        Handler=inputs["handler"],
        Code={"ZipFile": archive_zip(resource.inputs["code"])},
        Description=inputs.get("description", ""),
        Timeout=inputs["timeout"],
        MemorySize=inputs["memorySize"],
        Architectures=inputs["architectures"],
        LoggingConfig={
            "LogFormat": logging_config["logFormat"],
            "ApplicationLogLevel": logging_config["applicationLogLevel"],
            "SystemLogLevel": logging_config["systemLogLevel"],
            "LogGroup": logging_config["logGroup"],
        },
        Tags=inputs.get("tags") or {},
        **({"Environment": {"Variables": inputs["environment"]["variables"]}} if inputs.get("environment") else {}),
    )
    rehearsal.swap(resource.outputs["arn"], created["FunctionArn"])


def invoke_config(rehearsal: Rehearsal, resource: Registered) -> None:
    inputs = rehearsal.resolve(resource.inputs)
    destination = (inputs.get("destinationConfig") or {}).get("onFailure")
    rehearsal.client("lambda").put_function_event_invoke_config(
        FunctionName=inputs["functionName"],
        MaximumRetryAttempts=inputs["maximumRetryAttempts"],
        MaximumEventAgeInSeconds=inputs["maximumEventAgeInSeconds"],
        **({"DestinationConfig": {"OnFailure": {"Destination": destination["destination"]}}} if destination else {}),
    )


def event_rule(rehearsal: Rehearsal, resource: Registered) -> None:
    inputs = rehearsal.resolve(resource.inputs)
    created = rehearsal.client("events").put_rule(
        Name=resource.outputs["name"],
        **({"EventBusName": inputs["eventBusName"]} if inputs.get("eventBusName") else {}),
        EventPattern=inputs["eventPattern"],
        State=inputs["state"],
        Description=inputs.get("description", ""),
        Tags=_tags(inputs),
    )
    rehearsal.swap(resource.outputs["arn"], created["RuleArn"])


def permission(rehearsal: Rehearsal, resource: Registered) -> None:
    inputs = rehearsal.resolve(resource.inputs)
    rehearsal.client("lambda").add_permission(
        FunctionName=inputs["function"],
        StatementId=resource.name,  # the provider generates one when none is given
        Action=inputs["action"],
        Principal=inputs["principal"],
        SourceArn=inputs["sourceArn"],
        **({"SourceAccount": inputs["sourceAccount"]} if inputs.get("sourceAccount") else {}),
    )


def event_target(rehearsal: Rehearsal, resource: Registered) -> None:
    inputs = rehearsal.resolve(resource.inputs)
    target: dict[str, Any] = {"Id": resource.name[:64], "Arn": inputs["arn"]}
    if inputs.get("retryPolicy"):
        target["RetryPolicy"] = {
            "MaximumRetryAttempts": inputs["retryPolicy"]["maximumRetryAttempts"],
            "MaximumEventAgeInSeconds": inputs["retryPolicy"]["maximumEventAgeInSeconds"],
        }
    if inputs.get("deadLetterConfig"):
        target["DeadLetterConfig"] = {"Arn": inputs["deadLetterConfig"]["arn"]}
    on_bus = {"EventBusName": inputs["eventBusName"]} if inputs.get("eventBusName") else {}
    response = rehearsal.client("events").put_targets(Rule=inputs["rule"], Targets=[target], **on_bus)
    assert response["FailedEntryCount"] == 0, response["FailedEntries"]


def topic(rehearsal: Rehearsal, resource: Registered) -> None:
    inputs = rehearsal.resolve(resource.inputs)
    created = rehearsal.client("sns").create_topic(Name=resource.outputs["name"], Tags=_tags(inputs))
    rehearsal.swap(resource.outputs["arn"], created["TopicArn"])


def topic_policy(rehearsal: Rehearsal, resource: Registered) -> None:
    inputs = rehearsal.resolve(resource.inputs)
    rehearsal.client("sns").set_topic_attributes(
        TopicArn=inputs["arn"], AttributeName="Policy", AttributeValue=inputs["policy"]
    )


def event_bus(rehearsal: Rehearsal, resource: Registered) -> None:
    inputs = rehearsal.resolve(resource.inputs)
    created = rehearsal.client("events").create_event_bus(Name=resource.outputs["name"], Tags=_tags(inputs))
    rehearsal.swap(resource.outputs["arn"], created["EventBusArn"])


def event_bus_policy(rehearsal: Rehearsal, resource: Registered) -> None:
    """The whole policy in one PutPermission call, as the provider's aws_cloudwatch_event_bus_policy makes it."""
    inputs = rehearsal.resolve(resource.inputs)
    rehearsal.client("events").put_permission(EventBusName=inputs["eventBusName"], Policy=inputs["policy"])


def stack_set(rehearsal: Rehearsal, resource: Registered) -> None:
    """CreateStackSet in the stack's account; moto keeps the template body, which the members' stacks run."""
    inputs = rehearsal.resolve(resource.inputs)
    automatic = inputs.get("autoDeployment") or {}
    created = rehearsal.client("cloudformation").create_stack_set(
        StackSetName=resource.outputs["name"],
        Description=inputs.get("description", ""),
        TemplateBody=inputs["templateBody"],
        Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in inputs["parameters"].items()],
        Capabilities=inputs["capabilities"],
        PermissionModel=inputs["permissionModel"],
        AutoDeployment={
            "Enabled": automatic["enabled"],
            "RetainStacksOnAccountRemoval": automatic["retainStacksOnAccountRemoval"],
        },
        CallAs=inputs["callAs"],
        Tags=_tags(inputs),
    )
    rehearsal.swap(resource.outputs["arn"], f"{resource.outputs['arn'].rsplit('/', 1)[0]}/{created['StackSetId']}")


def stack_set_instance(rehearsal: Rehearsal, resource: Registered) -> None:
    """CreateStackInstances for the OUs in one Region. moto's service-managed instances go to the accounts of
    moto's own organisation, which this rehearsal does not create (moto draws its account IDs at random): the
    members' stacks are created by rehearse/member_stacks.py instead."""
    inputs = rehearsal.resolve(resource.inputs)
    rehearsal.client("cloudformation").create_stack_instances(
        StackSetName=inputs["stackSetName"],
        DeploymentTargets={"OrganizationalUnitIds": inputs["deploymentTargets"]["organizationalUnitIds"]},
        Regions=[inputs["stackSetInstanceRegion"]],
        CallAs=inputs["callAs"],
    )


def subscription(rehearsal: Rehearsal, resource: Registered) -> None:
    inputs = rehearsal.resolve(resource.inputs)
    rehearsal.client("sns").subscribe(
        TopicArn=inputs["topic"], Protocol=inputs["protocol"], Endpoint=inputs["endpoint"]
    )


def metric_filter(rehearsal: Rehearsal, resource: Registered) -> None:
    inputs = rehearsal.resolve(resource.inputs)
    transformation = inputs["metricTransformation"]
    rehearsal.client("logs").put_metric_filter(
        logGroupName=inputs["logGroupName"],
        filterName=resource.outputs["name"],
        filterPattern=inputs["pattern"],
        metricTransformations=[
            {
                "metricName": transformation["name"],
                "metricNamespace": transformation["namespace"],
                "metricValue": transformation["value"],
                "unit": transformation["unit"],
                **({"dimensions": transformation["dimensions"]} if transformation.get("dimensions") else {}),
            }
        ],
    )


def metric_alarm(rehearsal: Rehearsal, resource: Registered) -> None:
    inputs = rehearsal.resolve(resource.inputs)
    rehearsal.client("cloudwatch").put_metric_alarm(
        AlarmName=resource.outputs["name"],
        AlarmDescription=inputs["alarmDescription"],
        Namespace=inputs["namespace"],
        MetricName=inputs["metricName"],
        Dimensions=[{"Name": key, "Value": value} for key, value in (inputs.get("dimensions") or {}).items()],
        Statistic=inputs["statistic"],
        Period=inputs["period"],
        EvaluationPeriods=inputs["evaluationPeriods"],
        Threshold=inputs["threshold"],
        ComparisonOperator=inputs["comparisonOperator"],
        TreatMissingData=inputs["treatMissingData"],
        AlarmActions=inputs["alarmActions"],
        Tags=_tags(inputs),
    )


def table(rehearsal: Rehearsal, resource: Registered) -> None:
    inputs = rehearsal.resolve(resource.inputs)
    dynamodb = rehearsal.client("dynamodb")
    created = dynamodb.create_table(
        TableName=resource.outputs["name"],
        BillingMode=inputs["billingMode"],
        KeySchema=[{"AttributeName": inputs["hashKey"], "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": a["name"], "AttributeType": a["type"]} for a in inputs["attributes"]],
        Tags=_tags(inputs),
    )["TableDescription"]
    if inputs.get("ttl"):
        dynamodb.update_time_to_live(
            TableName=resource.outputs["name"],
            TimeToLiveSpecification={
                "AttributeName": inputs["ttl"]["attributeName"],
                "Enabled": inputs["ttl"]["enabled"],
            },
        )
    rehearsal.swap(resource.outputs["arn"], created["TableArn"])


def slack_channel(rehearsal: Rehearsal, resource: Registered) -> None:
    inputs = rehearsal.resolve(resource.inputs)
    rehearsal.check_only(
        resource,
        "chatbot",
        "CreateSlackChannelConfiguration",
        {
            "SlackTeamId": inputs["slackTeamId"],
            "SlackChannelId": inputs["slackChannelId"],
            "SnsTopicArns": inputs["snsTopicArns"],
            "IamRoleArn": inputs["iamRoleArn"],
            "ConfigurationName": inputs["configurationName"],
            "LoggingLevel": inputs["loggingLevel"],
            "GuardrailPolicyArns": inputs["guardrailPolicyArns"],
        },
        "moto does not implement AWS Chatbot; the call was checked against the API model only",
    )


def query_definition(rehearsal: Rehearsal, resource: Registered) -> None:
    inputs = rehearsal.resolve(resource.inputs)
    rehearsal.check_only(
        resource,
        "logs",
        "PutQueryDefinition",
        {"name": inputs["name"], "queryString": inputs["queryString"], "logGroupNames": inputs["logGroupNames"]},
        "moto does not implement logs PutQueryDefinition; the call was checked against the API model only",
    )


def dashboard(rehearsal: Rehearsal, resource: Registered) -> None:
    inputs = rehearsal.resolve(resource.inputs)
    response = rehearsal.client("cloudwatch").put_dashboard(
        DashboardName=inputs["dashboardName"], DashboardBody=inputs["dashboardBody"]
    )
    assert not response.get("DashboardValidationMessages"), response["DashboardValidationMessages"]


# What PutResourcePolicy takes ("This API has the following restrictions", CloudWatch Logs API Reference, as
# botocore's logs model documents the operation): these actions, and service principals only.
RESOURCE_POLICY_ACTIONS = frozenset({"logs:PutLogEvents", "logs:CreateLogStream"})


def documented_log_types(service: str) -> tuple[str, ...]:
    """The log types PutDeliverySource's logType takes for ``service`` ("Amazon ECS"), as the API model documents
    them ("For Amazon ECS, the valid value is ACTION_LOGS."): the model declares only a pattern for the member."""
    member = boto3.client("logs", region_name="us-east-1").meta.service_model.operation_model("PutDeliverySource")
    text = re.sub(r"<[^>]+>", "", member.input_shape.members["logType"].documentation)
    found = re.search(rf"For {re.escape(service)}, the valid values? (?:is|are) ([^.]+)\.", text)
    return tuple(re.findall(r"[A-Z][A-Z0-9_]+", found[1])) if found else ()


def log_resource_policy(rehearsal: Rehearsal, resource: Registered) -> None:
    inputs = rehearsal.resolve(resource.inputs)
    document = json.loads(inputs["policyDocument"])
    for statement in document["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if not set(actions) <= RESOURCE_POLICY_ACTIONS or set(statement.get("Principal") or {}) != {"Service"}:
            raise api_model.ModelViolation(
                f"AWS would refuse logs PutResourcePolicy: {actions} for {statement.get('Principal')}; it takes "
                f"only {sorted(RESOURCE_POLICY_ACTIONS)} for service principals (CloudWatch Logs API Reference)"
            )
    params = {"policyDocument": inputs["policyDocument"]}
    params |= (
        {"resourceArn": inputs["resourceArn"]} if inputs.get("resourceArn") else {"policyName": inputs["policyName"]}
    )
    rehearsal.check_only(
        resource,
        "logs",
        "PutResourcePolicy",
        params,
        "moto does not implement log-group resource policies (PutResourcePolicy with resourceArn); the call was "
        "checked against the API model and the operation's documented restrictions only",
    )


def log_delivery_source(rehearsal: Rehearsal, resource: Registered) -> None:
    inputs = rehearsal.resolve(resource.inputs)
    arn = inputs["resourceArn"]
    if arn.split(":")[2:3] == ["ecs"]:
        # "Getting started with Amazon ECS Action Logs": the source's resource is the cluster, of this account and
        # Region; the log type is the one the API model documents for Amazon ECS.
        if not re.fullmatch(rf"arn:[\w-]+:ecs:{rehearsal.region}:\d{{12}}:cluster/[\w-]+", arn):
            raise api_model.ModelViolation(f"AWS would refuse logs PutDeliverySource: {arn!r} is not a cluster ARN")
        allowed = documented_log_types("Amazon ECS")
        if inputs["logType"] not in allowed:
            raise api_model.ModelViolation(
                f"AWS would refuse logs PutDeliverySource: logType {inputs['logType']!r} for an ECS cluster; the API "
                f"model documents {', '.join(allowed) or 'none'} for Amazon ECS"
            )
    rehearsal.check_only(
        resource,
        "logs",
        "PutDeliverySource",
        {"name": inputs["name"], "resourceArn": arn, "logType": inputs["logType"], **_tags_map(inputs)},
        "moto does not know ECS as a delivery source (its PutDeliverySource lists other services); the call was "
        "checked against the API model and the log type it documents for Amazon ECS only",
    )


def log_delivery_destination(rehearsal: Rehearsal, resource: Registered) -> None:
    inputs = rehearsal.resolve(resource.inputs)
    target = inputs["deliveryDestinationConfiguration"]["destinationResourceArn"]
    created = rehearsal.client("logs").put_delivery_destination(
        name=inputs["name"],
        outputFormat=inputs["outputFormat"],
        deliveryDestinationConfiguration={"destinationResourceArn": target},
        **_tags_map(inputs),
    )["deliveryDestination"]
    rehearsal.swap(resource.outputs["arn"], created["arn"])


def log_delivery(rehearsal: Rehearsal, resource: Registered) -> None:
    inputs = rehearsal.resolve(resource.inputs)
    logs = rehearsal.client("logs")
    destinations = {d["arn"] for d in logs.describe_delivery_destinations()["deliveryDestinations"]}
    if inputs["deliveryDestinationArn"] not in destinations:
        raise api_model.ModelViolation(f"no delivery destination {inputs['deliveryDestinationArn']!r}")
    sources = {
        s.inputs.get("name") for s in rehearsal.run.of_type("aws:cloudwatch/logDeliverySource:LogDeliverySource")
    }
    if inputs["deliverySourceName"] not in {rehearsal.resolve(name) for name in sources}:
        raise api_model.ModelViolation(f"no delivery source {inputs['deliverySourceName']!r}")
    rehearsal.check_only(
        resource,
        "logs",
        "CreateDelivery",
        {
            "deliverySourceName": inputs["deliverySourceName"],
            "deliveryDestinationArn": inputs["deliveryDestinationArn"],
            **_tags_map(inputs),
        },
        "moto cannot hold an ECS delivery source, so it cannot pair one; the call was checked against the API model "
        "and against the destination moto holds and the sources registered",
    )


# What the mapping's role must be allowed on the queue (Lambda Developer Guide, "Using Lambda with Amazon SQS":
# execution role permissions); CreateEventSourceMapping fails without them.
QUEUE_READER_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")


def event_source_mapping(rehearsal: Rehearsal, resource: Registered) -> None:
    """What CreateEventSourceMapping checks for a queue, checked here; the mapping itself is not created.

    moto's mapping would invoke the function on every SendMessage through its Docker runner, which this machine
    has not; the rehearsal plays Lambda's poller itself (rehearse/org_play.py). Lambda refuses a mapping whose
    queue's visibility timeout is shorter than the function's timeout, and one whose role cannot read the queue
    ("Using Lambda with Amazon SQS"), so both are checked against what moto holds, and so is that the queue is in
    the function's Region, which the same page requires.
    """
    inputs = rehearsal.resolve(resource.inputs)
    queue_arn, function_name = inputs["eventSourceArn"], inputs["functionName"]
    sqs, lambda_client = rehearsal.client("sqs"), rehearsal.client("lambda")
    url = sqs.get_queue_url(QueueName=queue_arn.rsplit(":", 1)[-1])["QueueUrl"]
    visibility = int(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]["VisibilityTimeout"]
    )
    configuration = lambda_client.get_function_configuration(FunctionName=function_name)
    if queue_arn.split(":")[3] != configuration["FunctionArn"].split(":")[3]:
        raise api_model.ModelViolation(
            f"Lambda would refuse CreateEventSourceMapping: the queue {queue_arn} is not in the function's Region "
            '("The Lambda function and the Amazon SQS queue must be in the same AWS Region")'
        )
    if visibility < configuration["Timeout"]:
        raise api_model.ModelViolation(
            f"Lambda would refuse CreateEventSourceMapping: the queue's visibility timeout {visibility} s is less than "
            f"the function's timeout {configuration['Timeout']} s"
        )
    role_arn = configuration["Role"]
    role_name, account = role_arn.rsplit("/", 1)[-1], role_arn.split(":")[4]
    from .bus_policy import Principal, decide  # noqa: PLC0415 - only the organisation's relay queue needs them
    from .member_stacks import role_policies  # noqa: PLC0415

    policies = role_policies(role_name)
    allowed = {
        action
        for action in QUEUE_READER_ACTIONS
        if decide(
            principal=Principal(role_arn, account, None),
            action=action,
            resource=queue_arn,
            resource_account=account,
            resource_policy=None,
            identity_policies=policies,
        ).allowed
    }
    missing = [action for action in QUEUE_READER_ACTIONS if action not in allowed]
    if missing:
        raise api_model.ModelViolation(
            f"Lambda would refuse CreateEventSourceMapping: role {role_name} may not {', '.join(missing)} "
            f"on {queue_arn}"
        )
    rehearsal.check_only(
        resource,
        "lambda",
        "CreateEventSourceMapping",
        {
            "EventSourceArn": queue_arn,
            "FunctionName": function_name,
            "BatchSize": inputs["batchSize"],
            "FunctionResponseTypes": inputs["functionResponseTypes"],
        },
        "moto's event source mapping invokes the function through Docker on every message; the call was checked "
        "against the API model, the queue's visibility timeout and the role's policies, and the rehearsal polls the "
        "queue and invokes the function itself",
    )


def _tags_map(inputs: dict[str, Any]) -> dict[str, Any]:
    return {"tags": inputs["tags"]} if inputs.get("tags") else {}


HANDLERS: dict[str, Handler] = {
    "aws:cloudwatch/logGroup:LogGroup": log_group,
    "aws:iam/role:Role": role,
    "aws:iam/rolePolicy:RolePolicy": role_policy,
    "aws:sqs/queue:Queue": queue,
    "aws:sqs/queuePolicy:QueuePolicy": queue_policy,
    "aws:lambda/function:Function": function,
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": invoke_config,
    "aws:cloudwatch/eventRule:EventRule": event_rule,
    "aws:lambda/permission:Permission": permission,
    "aws:cloudwatch/eventTarget:EventTarget": event_target,
    "aws:sns/topic:Topic": topic,
    "aws:sns/topicSubscription:TopicSubscription": subscription,
    "aws:sns/topicPolicy:TopicPolicy": topic_policy,
    "aws:cloudwatch/eventBus:EventBus": event_bus,
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": event_bus_policy,
    "aws:cloudformation/stackSet:StackSet": stack_set,
    "aws:cloudformation/stackSetInstance:StackSetInstance": stack_set_instance,
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": metric_filter,
    "aws:cloudwatch/metricAlarm:MetricAlarm": metric_alarm,
    "aws:cloudwatch/queryDefinition:QueryDefinition": query_definition,
    "aws:cloudwatch/dashboard:Dashboard": dashboard,
    "aws:dynamodb/table:Table": table,
    "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration": slack_channel,
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": log_resource_policy,
    "aws:cloudwatch/logDeliverySource:LogDeliverySource": log_delivery_source,
    "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination": log_delivery_destination,
    "aws:cloudwatch/logDelivery:LogDelivery": log_delivery,
    "aws:lambda/eventSourceMapping:EventSourceMapping": event_source_mapping,
}


def function_zip(function_name: str, account: str, region: str) -> bytes:
    """The code the emulator stored for a function: the emulator's state, read directly (no network)."""
    from moto.awslambda.models import lambda_backends  # noqa: PLC0415 - only with moto active

    return lambda_backends[account][region].get_function(function_name).code_bytes


def policy_statements(lambda_client: Any, function_name: str) -> list[dict[str, Any]]:
    return json.loads(lambda_client.get_policy(FunctionName=function_name)["Policy"])["Statement"]


def rule_matches(rule_name: str, event: dict[str, Any], account: str, region: str, bus: str | None = None) -> bool:
    """Would the emulator route ``event`` to this rule (of the default bus, or of ``bus``)? moto's own matcher,
    on the rule it stored.

    (moto's TestEventPattern API returns nothing, so the matcher it uses for PutEvents is asked directly.)
    """
    from moto.events.models import events_backends  # noqa: PLC0415 - only with moto active

    rule = events_backends[account][region].describe_rule(rule_name, bus)
    return bool(rule.event_pattern.matches_event(event))  # type: ignore[arg-type]  # moto's TypedDict
