"""ecs-task-events: log every ECS task state change of a cluster to CloudWatch Logs.

Reads the stack config, builds one EcsTaskEventLogger and exports what a
user needs to find and read the logs (see README.md, "Stack outputs").
"""

import pulumi

from components import EcsTaskEventLogger, read_logger_args, stack_region

config = pulumi.Config()
args = read_logger_args(config, region=stack_region(pulumi.Config("aws")))
task_events = EcsTaskEventLogger("ecs-task-events", args)

pulumi.export("functionName", task_events.function_name)
pulumi.export("functionArn", task_events.function_arn)
pulumi.export("logGroupName", task_events.log_group_name)
pulumi.export("ruleName", task_events.rule_name)  # the first rule; ruleNames lists them all
pulumi.export("ruleArn", task_events.rule_arn)
pulumi.export("ruleNames", task_events.rule_names)
pulumi.export("ruleArns", task_events.rule_arns)
pulumi.export("roleArn", task_events.role_arn)
pulumi.export("eventPattern", task_events.event_pattern)
pulumi.export("tailLogsCommand", task_events.tail_logs_command)
# These exist only when their part is on (all are by default).
optional_outputs = {
    "deadLetterQueueUrl": task_events.dead_letter_queue_url,
    "failedEventsQueueUrl": task_events.failed_events_queue_url,
    "alarmTopicArn": task_events.alarm_topic_arn,
    "alarmNames": task_events.alarm_names,
    "queryNames": task_events.query_names,
    "notificationTableName": task_events.notification_table_name,
    "slackChannelConfigurationArn": task_events.slack_channel_configuration_arn,
}
for output_name, value in optional_outputs.items():
    if value is not None:
        pulumi.export(output_name, value)
