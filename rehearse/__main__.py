"""python3 -m rehearse [EVENT_FILES...] [--config KEY=VALUE ...] [--stack-file FILE] [--json]

Deploys this program, with the stack file's config (Pulumi.dev.yaml by default) and any --config overrides, into
moto, the in-process AWS emulator, then plays ECS events through it: the default sequence, or the events in the
files given (each a JSON object or an array of them). Prints what was caught and why not, the records as
`aws logs tail` shows them, the metric datapoints, the alarms that would fire and the notifications on-call would
get. No AWS account, no credentials, no network.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

import yaml

from . import ROOT
from .play import Report, play, with_overrides
from .pulumi_cli import CliRefused, stack_file_values
from .sequence import default_sequence


def _events(paths: Sequence[str]) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for path in paths:
        document = json.loads(Path(path).read_text())
        for index, event in enumerate(document if isinstance(document, list) else [document]):
            events.append((f"{path}[{index}]" if isinstance(document, list) else path, event))
    return events


def render(report: Report, out: TextIO) -> None:
    write = out.write
    write(f"Deployed into moto: account {report.account}, {report.region}; function {report.function_name}, ")
    write(f"log group {report.log_group}, {len(report.rules)} rule(s)\n\n== Events\n")
    for delivery in report.deliveries:
        if delivery.caught_by:
            outcome = "caught" + (f", the function raised {delivery.error}" if delivery.error else "")
        else:
            outcome = f"not caught: {delivery.why_not}"
        write(f"  {delivery.label}: {delivery.detail_type} {delivery.event_id} -> {outcome}\n")
    write(f"\n== Records in the log group (as `aws logs tail {report.log_group}` shows them)\n")
    for line in report.log_events:
        write(f"{line}\n")
    write("\n== Metric datapoints\n")
    for point in report.datapoints:
        dimensions = ", ".join(f"{key}={value}" for key, value in point.dimensions.items())
        where = f" ({dimensions})" if dimensions else ""
        write(f"  {point.namespace} {point.metric} = {point.value:g}{where}\n")
    write("\n== Alarms\n")
    for alarm in report.alarms:
        values = ", ".join(f"{value:g}" for value in alarm.values) or "no data"
        write(f"  {alarm.state:5} {alarm.name} ({alarm.metric}: {values})\n")
    write("\n== Notifications (as the email would read)\n")
    if not report.notifications:
        write("  (none reached the alarm topic)\n")
    for notification in report.notifications:
        write(f"  Subject: {notification['subject']}\n")
        for line in notification["message"].splitlines():
            write(f"  | {line}\n")
    write("\n== Who played AWS's part\n")
    for note in report.notes:
        write(f"  - {note}\n")


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m rehearse", description=__doc__.split("\n\n")[1])
    parser.add_argument("files", nargs="*", metavar="EVENT_FILE", help="ECS events to play (default: a sample morning)")
    parser.add_argument("--config", action="append", default=[], metavar="KEY=VALUE", help="a config value to override")
    parser.add_argument("--stack-file", default=str(ROOT / "Pulumi.dev.yaml"), help="default: Pulumi.dev.yaml")
    parser.add_argument("--json", action="store_true", help="the same, as one JSON document")
    options = parser.parse_args(argv)
    output = out or sys.stdout
    try:
        stack_file = Path(options.stack_file)
        config = with_overrides(stack_file_values(stack_file.read_text(), stack_file.name), options.config)
        events = _events(options.files) if options.files else default_sequence()
    except (OSError, ValueError, CliRefused, yaml.YAMLError) as error:
        print(f"python3 -m rehearse: {error}", file=sys.stderr)
        return 2
    try:
        report = play(config, events)
    except CliRefused as error:  # what the Pulumi CLI would say before running the program (rehearse/pulumi_cli.py)
        print(
            f"python3 -m rehearse: `pulumi up` would stop here, before the program runs: error: {error}",
            file=sys.stderr,
        )
        return 2
    except ValueError as error:  # the program's own config errors (ConfigError is a RunError, not a ValueError)
        print(f"python3 -m rehearse: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        if type(error).__name__ == "ConfigError":
            print(f"python3 -m rehearse: {error}", file=sys.stderr)
            return 2
        raise
    if options.json:
        json.dump(asdict(report), output, indent=2)
        output.write("\n")
    else:
        render(report, output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
