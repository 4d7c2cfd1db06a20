"""How IAM compares an ARN with a pattern, for the conditions the program writes with wildcards.

No emulator evaluates a Lambda or SQS resource policy's conditions (moto stores them), so the tests hold each
pattern to the documented rules here, under both readings AWS gives of a SourceArn pattern:

- ArnLike (IAM User Guide, "IAM JSON policy elements: Condition operators"): "Each of the six colon-delimited
  components of the ARN is checked separately and each can include multi-character match wildcards (*) or
  single-character match wildcards (?)". GetPolicy shows a Lambda permission's SourceArn under ArnLike.
- StringLike (same page: the whole string, * and ? as above): botocore's lambda model says of AddPermission's
  SourceArn, "Lambda configures the comparison using the StringLike operator".

A test passes only when both readings agree, so a pattern that leans on either reading's leniency fails.
"""

from __future__ import annotations

import re


def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)


def string_like(value: str, pattern: str) -> bool:
    return _wildcard(pattern).fullmatch(value) is not None


def arn_like(value: str, pattern: str) -> bool:
    values, patterns = value.split(":", 5), pattern.split(":", 5)
    if len(values) != 6 or len(patterns) != 6:
        return False
    return all(string_like(part, wanted) for part, wanted in zip(values, patterns, strict=True))


def admits(pattern: str, arn: str) -> bool:
    """Whether the condition admits ``arn``; raises when the two readings disagree."""
    by_arn, by_string = arn_like(arn, pattern), string_like(arn, pattern)
    if by_arn != by_string:
        raise AssertionError(f"ArnLike says {by_arn}, StringLike says {by_string} for {arn!r} against {pattern!r}")
    return by_arn
