"""Infrastructure of ecs-task-events: the component and what feeds it."""

from .event_logger import EcsTaskEventLogger, EcsTaskEventLoggerArgs
from .stack_config import CONFIG_KEYS, ConfigError, read_logger_args, stack_region

__all__ = [
    "CONFIG_KEYS",
    "ConfigError",
    "EcsTaskEventLogger",
    "EcsTaskEventLoggerArgs",
    "read_logger_args",
    "stack_region",
]
