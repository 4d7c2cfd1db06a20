"""ECS Action Logs for the logger's clusters, through CloudWatch Logs' vended log delivery.

ECS records the steps it takes for a service (a deployment's state transitions, its rollback, its lifecycle
hooks; "Monitor Amazon ECS operations with Action Logs", Amazon ECS Developer Guide) only for clusters that opt in,
and it opts in per cluster with the CloudWatch Logs delivery APIs ("Getting started with Amazon ECS Action Logs"):

- a delivery source per cluster (PutDeliverySource): the cluster's ARN as resourceArn, the ECS log type;
- one delivery destination (PutDeliveryDestination): a log group of the logger's own, JSON;
- a delivery per source (CreateDelivery), pairing it with the destination.

The log group keeps the logger's retention and has the resource policy the CloudWatch Logs User Guide gives for
``delivery.logs.amazonaws.com`` (``iam_policies.vended_logs_write_policy``), in place before any delivery: on a
group without one, CloudWatch Logs writes its own when a delivery starts ("Logs sent to CloudWatch Logs"), and the
group's policy would then not be the stack's. ECS names each stream after the sub-resource it acts on
(``service/CLUSTER/SERVICE``), so the clusters can share the group.

A delivery source names one resource: PutDeliverySource takes a wildcard ARN only for the Security Hub and Logs
Insights log types (its resourceArn, CloudWatch Logs API Reference). So only the clusters the logger is given
are covered; with every cluster of the account (allClusters) there is no cluster to name, and actionLogs is
refused (``event_logger``, ``stack_config``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .iam_policies import vended_logs_write_policy

# PutDeliverySource, logType: "For Amazon ECS, the valid value is ACTION_LOGS" (CloudWatch Logs API Reference, as
# botocore's logs model documents it; the AWS CDK's generated ECS cluster log mixin, CfnClusterLogsMixin, uses the
# same). The ECS guide's CLI example writes EcsActionLogs, which botocore's model does not give
# (docs/alarms-and-messages.md, "ECS Action Logs").
LOG_TYPE = "ACTION_LOGS"
# The log format of the destination: the only one the ECS log type offers for a log group (the CDK mixin above).
OUTPUT_FORMAT = "json"
# The handler's environment variable (handler/action_logs.py reads the same name).
GROUP_ENV = "ACTION_LOGS_GROUP"
# Where the ECS console puts Action Logs (/aws/vendedlogs/ecs/action-logs/CLUSTER): the logger's group sits beside.
GROUP_PREFIX = "/aws/vendedlogs/ecs/action-logs/"
# PutDeliverySource, PutDeliveryDestination, CreateDelivery: names of 1 to 60 characters of [\w-] (the API model).
DELIVERY_NAME = re.compile(r"[\w-]{1,60}", re.ASCII)
MAX_DELIVERY_NAME_CHARS = 60
DIGEST_CHARS = 8


def delivery_name(readable: str, *unique: str) -> str:
    """A name PutDeliverySource and PutDeliveryDestination take, unique in the account: readable, then a digest
    of what makes it unique (the project, stack, component and cluster), within 60 characters."""
    digest = hashlib.sha256("\0".join(unique).encode()).hexdigest()[:DIGEST_CHARS]
    kept = re.sub(r"[^\w-]+", "-", readable, flags=re.ASCII).strip("-_") or "ecs-action-logs"
    chosen = f"{kept[: MAX_DELIVERY_NAME_CHARS - DIGEST_CHARS - 1]}-{digest}"
    assert DELIVERY_NAME.fullmatch(chosen), chosen
    return chosen


def source_name(component: str, cluster_arn: str) -> str:
    cluster = cluster_arn.rsplit("/", 1)[-1]
    return delivery_name(f"{component}-{cluster}", pulumi.get_project(), pulumi.get_stack(), component, cluster_arn)


def destination_name(component: str) -> str:
    return delivery_name(f"{component}-action-logs", pulumi.get_project(), pulumi.get_stack(), component)


@dataclass
class ActionLogs:
    log_group: aws.cloudwatch.LogGroup
    sources: list[aws.cloudwatch.LogDeliverySource]
    deliveries: list[aws.cloudwatch.LogDelivery]


def create(
    name: str,
    cluster_arns: Sequence[pulumi.Input[str]],
    *,
    retention_days: pulumi.Input[int] | None,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> ActionLogs:
    """The log group with its policy, the destination, and a source and a delivery per cluster."""
    child = pulumi.ResourceOptions(parent=parent)
    group = aws.cloudwatch.LogGroup(
        f"{name}-action-logs",
        name_prefix=f"{GROUP_PREFIX}{name}-",
        retention_in_days=retention_days,
        tags=dict(tags),
        opts=child,
    )
    policy = aws.cloudwatch.LogResourcePolicy(
        f"{name}-action-logs-policy",
        resource_arn=group.arn,
        policy_document=group.arn.apply(vended_logs_write_policy),
        opts=child,
    )
    destination = aws.cloudwatch.LogDeliveryDestination(
        f"{name}-action-logs-destination",
        name=destination_name(name),
        output_format=OUTPUT_FORMAT,
        delivery_destination_configuration=aws.cloudwatch.LogDeliveryDestinationDeliveryDestinationConfigurationArgs(
            destination_resource_arn=group.arn,
        ),
        tags=dict(tags) or None,
        opts=child,
    )
    sources, deliveries = [], []
    for index, cluster_arn in enumerate(cluster_arns):
        key = cluster_arn.rsplit("/", 1)[-1] if isinstance(cluster_arn, str) else str(index)
        source = aws.cloudwatch.LogDeliverySource(
            f"{name}-action-logs-{key}",
            name=pulumi.Output.from_input(cluster_arn).apply(lambda arn: source_name(name, arn)),
            log_type=LOG_TYPE,
            resource_arn=cluster_arn,
            tags=dict(tags) or None,
            opts=child,
        )
        delivery = aws.cloudwatch.LogDelivery(
            f"{name}-action-logs-{key}-delivery",
            delivery_source_name=source.name,
            delivery_destination_arn=destination.arn,
            tags=dict(tags) or None,
            # The group's own policy first, or CloudWatch Logs writes one of its own when the delivery starts.
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[policy]),
        )
        sources.append(source)
        deliveries.append(delivery)
    return ActionLogs(group, sources, deliveries)
