"""ecs-task-events: log every ECS task state change of a cluster to CloudWatch Logs.

Reads the stack config, builds one EcsTaskEventLogger and exports what a
user needs to find and read the logs (see README.md, "Stack outputs"): the
component's outputs, those of the parts switched off left out.
"""

import pulumi

from components import EcsTaskEventLogger, read_logger_args, stack_region

config = pulumi.Config()
args = read_logger_args(config, region=stack_region(pulumi.Config("aws")))
task_events = EcsTaskEventLogger("ecs-task-events", args)

for output_name, value in task_events.stack_outputs().items():
    pulumi.export(output_name, value)
