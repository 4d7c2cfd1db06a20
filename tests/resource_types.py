"""The Pulumi type tokens of the resources the program creates, named once for every test."""

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
FUNCTION = "aws:lambda/function:Function"
PERMISSION = "aws:lambda/permission:Permission"
INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
QUERY = "aws:cloudwatch/queryDefinition:QueryDefinition"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"

# Every output a stack can export (EcsTaskEventLogger.stack_outputs()), and those only a part that is on has.
STACK_OUTPUTS = frozenset(
    {
        "functionName",
        "functionArn",
        "logGroupName",
        "ruleName",
        "ruleArn",
        "ruleNames",
        "ruleArns",
        "roleArn",
        "eventPattern",
        "tailLogsCommand",
        "deadLetterQueueUrl",
        "failedEventsQueueUrl",
        "alarmTopicArn",
        "alarmNames",
        "queryNames",
        "logGroupUrl",
        "logsInsightsUrl",
        "dashboardUrl",
        "notificationTableName",
        "slackChannelConfigurationArn",
        "actionLogGroupName",
    }
)
OPTIONAL_OUTPUTS = frozenset(
    {
        "deadLetterQueueUrl",
        "failedEventsQueueUrl",
        "alarmTopicArn",
        "alarmNames",
        "queryNames",
        "dashboardUrl",
        "notificationTableName",
        "slackChannelConfigurationArn",
        "actionLogGroupName",
    }
)
