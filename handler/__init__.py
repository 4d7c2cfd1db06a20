"""The Lambda function that logs ECS task events (entry point: ``handler.app.handler``)."""
