"""The ecs-task-events policy pack: `pulumi preview --policy-pack policy` (from the repository root).

The rules themselves live in validators.py, which tests import without
starting the pack (building a PolicyPack starts a server and blocks).
"""

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)
from validators import POLICIES, PolicySpec


def as_policy(spec: PolicySpec) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for violation in spec.check(args.resource_type, args.props):
            report_violation(violation, None)

    level = EnforcementLevel.MANDATORY if spec.mandatory else EnforcementLevel.ADVISORY
    return ResourceValidationPolicy(
        name=spec.name, description=spec.description, validate=validate, enforcement_level=level
    )


PolicyPack(name="ecs-task-events", policies=[as_policy(spec) for spec in POLICIES])
