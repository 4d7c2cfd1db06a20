"""python3 -m rehearse [EVENT_FILES...] [--config KEY=VALUE ...] [--stack-file FILE] [--wrap-detail] [--json]
python3 -m rehearse --organization [EVENT_FILES...] [--config KEY=VALUE ...] [--json]

Deploys this program, with the stack file's config (Pulumi.dev.yaml by default) and any --config overrides, into
moto, the in-process AWS emulator, then plays ECS events through it: the default sequence, or the events in the
files given (each a JSON object or an array of them). Prints what was caught and why not, the records as
`aws logs tail` shows them, the metric datapoints, the alarms that would fire, the notifications on-call would
get and the ones held back. No AWS account, no credentials, no network.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from . import ROOT
from .event_files import EventFileError, read_events
from .metrics import MetricTotal, totals
from .org_morning import OrgEvent, organization_config, organization_sequence
from .org_play import OrgDelivery, OrgReport, play_organization
from .play import PROJECT, Delivery, Report, play, with_overrides
from .pulumi_cli import CliRefused, stack_file_values
from .rehearsal_terms import in_rehearsal_terms, unknown_provider_keys
from .sequence import AppStream, app_streams, default_sequence


def render(report: Report, out: TextIO) -> None:
    write = out.write
    write(f"Deployed into moto: account {report.account}, {report.region}; function {report.function_name}, ")
    write(f"log group {report.log_group}, {len(report.rules)} rule(s)\n\n== Events\n")
    for delivery in report.deliveries:
        outcome = _outcome(delivery)
        write(f"  {delivery.label}: {delivery.detail_type} {delivery.event_id} -> {outcome}\n")
        if delivery.held:
            write(f"    its message to on-call was held back: {delivery.held.subject!r} (see Notifications)\n")
    _render_outcomes(report, out)


def render_organization(report: OrgReport, out: TextIO) -> None:
    """The organisation rehearsal: the central stack, the member stacks, each event's account, region and path."""
    write = out.write
    write(f"Deployed into moto: the central stack in account {report.account}, {report.region}, for organisation ")
    write(f"{report.organization_id}; function {report.function_name}, log group {report.log_group}, ")
    write(f"{len(report.rules)} rule(s) on the central bus {report.event_bus}\n")
    write(f"\n== Member stacks (the StackSet's template body, in {len(report.members)} account-regions)\n")
    for member in report.members:
        write(f"  {member.account} {member.region}: {member.stack_name}\n")
        write(f"    rule {member.rule} -> {member.target}\n")
        write(f"    dead letters {member.dead_letter_queue}\n")
        write(f"    alarm {member.alarm} -> {', '.join(member.alarm_actions)}\n")
        for logical, call in member.created_by_this_command.items():
            write(f"    {logical}: made by this command with {call} (moto's CloudFormation skips its type)\n")
    write("\n== Events\n")
    for delivery in (played for played in report.deliveries if isinstance(played, OrgDelivery)):
        outcome = _outcome(delivery)
        write(f"  {delivery.label} [account {delivery.account}, {delivery.region}]: {delivery.detail_type} ")
        write(f"{delivery.event_id} -> {outcome}\n")
        for step in delivery.path:
            write(f"    - {step}\n")
        if delivery.held:
            write(f"    its message to on-call was held back: {delivery.held.subject!r} (see Notifications)\n")
    _render_outcomes(report, out)


def _outcome(delivery: Delivery) -> str:
    if delivery.caught_by:
        return "caught" + (f", the function raised {delivery.error}" if delivery.error else "")
    return f"not caught: {delivery.why_not}"


def _render_outcomes(report: Report, out: TextIO) -> None:
    """Records, metrics, alarms, notifications and who played AWS's part: the same for either rehearsal."""
    write = out.write
    write(f"\n== Records in the log group (as `aws logs tail {report.log_group}` shows them)\n")
    for line in report.log_events:
        write(f"{line}\n")
    write("\n== Metric datapoints\n")
    for total in totals(report.datapoints):
        dimensions = ", ".join(f"{key}={value}" for key, value in total.dimensions.items())
        write(f"  {total.namespace} {total.metric} = {_statistics(total)}{f'; {dimensions}' if dimensions else ''}\n")
    write("\n== Alarms\n")
    for alarm in report.alarms:
        values = ", ".join(f"{value:g}" for value in alarm.values) or "no data"
        write(f"  {alarm.state:5} {alarm.name} ({alarm.metric}: {values})\n")
    write("\n== Notifications (as the email would read), each with the topic it reached\n")
    if not report.notifications:
        write("  (none reached any topic)\n")
    for notification in report.notifications:
        write(f"  Reached {notification['reached']}, {notification['topic']} (from: {notification['event']})\n")
        chat = _chat_content(notification)
        if chat is not None:  # the chat format: as the channel shows it, its title and text
            write(f"  Chat: {chat.get('title', '')}\n")
            text = str(chat.get("description", ""))
        else:
            write(f"  Subject: {notification['subject']}\n")
            text = notification["message"]
        for line in text.splitlines():
            write(f"  | {line}\n")
    for delivery in report.deliveries:
        if delivery.held:
            write(f"  Not sent, {delivery.held.why}\n  It would have said:\n")
            write(f"  Subject: {delivery.held.subject}\n")
            for line in delivery.held.message.splitlines():
                write(f"  | {line}\n")
    write("\n== Who played AWS's part\n")
    for note in report.notes:
        write(f"  - {note}\n")


def _chat_content(notification: dict[str, str]) -> dict[str, Any] | None:
    """The content of a custom chat notification (no subject, a JSON message with source 'custom'), else None."""
    if notification["subject"]:
        return None
    try:
        document = json.loads(notification["message"])
    except ValueError:
        return None
    content = document.get("content") if isinstance(document, dict) and document.get("source") == "custom" else None
    return content if isinstance(content, dict) else None


def _statistics(total: MetricTotal) -> str:
    """A count as its Sum; a measurement (seconds) as its Average and Maximum, which is what its widgets show."""
    if total.sample_count == 1:
        return f"{total.sum:g}"
    if total.sum == int(total.sum) and total.maximum <= 1:
        return f"{total.sum:g} (Sum of {total.sample_count} datapoints)"
    average = total.sum / total.sample_count
    return f"{average:g} (Average of {total.sample_count} datapoints, Maximum {total.maximum:g})"


def as_json(report: Report) -> dict[str, Any]:
    """The report as data: each record a JSON object (not its text), the datapoints' totals beside them."""
    document = asdict(report)
    for delivery in document["deliveries"]:
        delivery["records"] = [json.loads(line) for line in delivery.pop("lines")]
    document["log_events"] = [_tail_event(line) for line in report.log_events]
    document["totals"] = [asdict(total) for total in totals(report.datapoints)]
    return document


def _tail_event(line: str) -> dict[str, Any]:
    stamp, stream, message = line.split(" ", 2)
    return {"timestamp": stamp, "logStreamName": stream, "message": json.loads(message)}


def _refused(message: str) -> int:
    print(f"python3 -m rehearse: {message}", file=sys.stderr)
    return 2


@dataclass(frozen=True)
class Prepared:
    """The rehearsal the arguments ask for, not played yet: how to play it, and how to say what the CLI, the
    program or the emulator refused, and how to write its report as text."""

    play: Callable[[], Any]
    stack_name: str
    refused: tuple[type[Exception], ...]
    render_text: Callable[[Any, TextIO], None]
    json_output: bool


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    prepared = prepare(argv)
    if isinstance(prepared, int):
        return prepared
    report = played(prepared)
    if isinstance(report, int):
        return report
    write_report(report, prepared, out or sys.stdout)
    return 0


def prepare(argv: Sequence[str] | None) -> Prepared | int:
    """The rehearsal of these arguments, or, where the arguments, the stack file or the event files are refused,
    the exit code, the refusal said in one line."""
    parser = argparse.ArgumentParser(prog="python3 -m rehearse", description=__doc__.split("\n\n")[1])
    parser.add_argument("files", nargs="*", metavar="EVENT_FILE", help="ECS events to play (default: a sample morning)")
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a config value to override; KEY[i]=VALUE sets one entry of a list",
    )
    parser.add_argument("--stack-file", default=str(ROOT / "Pulumi.dev.yaml"), help="default: Pulumi.dev.yaml")
    parser.add_argument(
        "--wrap-detail",
        action="store_true",
        help="play an event file's bare detail (no source, detail-type, ...) in the envelope ECS would send it in",
    )
    parser.add_argument(
        "--organization",
        action="store_true",
        help="organisation mode: a central stack, the member stacks from its StackSet's template, and events of "
        "member accounts in two regions and of an account outside the organisation (the stack file is not read)",
    )
    parser.add_argument("--json", action="store_true", help="the same, as one JSON document")
    options = parser.parse_args(argv)
    stack_file = Path(options.stack_file)
    if options.organization:
        return _organization(options)
    try:
        stack = stack_file_values(stack_file.read_text(), stack_file.name)
        config = with_overrides(stack, options.config)
        events = read_events(options.files, wrap=options.wrap_detail) if options.files else default_sequence()
        # The default morning's containers wrote their own logs; event files of one's own bring none.
        streams: list[AppStream] = [] if options.files else app_streams(events)
    except EventFileError as error:
        return _refused_event_files(error)
    except (OSError, ValueError, CliRefused, yaml.YAMLError) as error:
        return _refused(in_rehearsal_terms(str(error), stack_file.name))
    overridden = {key if ":" in key else f"{PROJECT}:{key}" for key, _, _ in (o.partition("=") for o in options.config)}
    provider_problems = unknown_provider_keys(config, overridden, stack_file.name)
    if provider_problems:
        listing = "\n".join(f"  - {line}" for line in provider_problems)
        return _refused(f"`pulumi up` would stop here, the AWS provider refuses its config:\n{listing}")
    return Prepared(lambda: play(config, events, streams), stack_file.name, (ValueError,), render, options.json)


def _refused_event_files(error: EventFileError) -> int:
    return _refused(
        "the event files hold what cannot be played, nothing was deployed:\n"
        + "\n".join(f"  - {line}" for line in error.lines)
    )


def played(prepared: Prepared) -> Any:
    """The report of the rehearsal; what the CLI or the program refuses is one line, in the rehearsal's terms, and
    exit code 2 instead."""
    stack_name = prepared.stack_name
    try:
        return prepared.play()
    except CliRefused as error:  # what the Pulumi CLI would say before running the program (rehearse/pulumi_cli.py)
        said = in_rehearsal_terms(str(error), stack_name)
        return _refused(f"`pulumi up` would stop here, before the program runs: error: {said}")
    except prepared.refused as error:  # the program's own config errors (ConfigError is a RunError, not a ValueError)
        return _refused(in_rehearsal_terms(str(error), stack_name))
    except Exception as error:
        if type(error).__name__ == "ConfigError":
            return _refused(in_rehearsal_terms(str(error), stack_name))
        raise


def write_report(report: Any, prepared: Prepared, out: TextIO) -> None:
    """The report as text, or with ``--json`` as one JSON document."""
    if prepared.json_output:
        json.dump(as_json(report), out, indent=2)
        out.write("\n")
    else:
        prepared.render_text(report, out)


ORGANIZATION_STACK = "the organisation's config (rehearse/org_morning.py)"


def _organization(options: argparse.Namespace) -> Prepared | int:
    """``--organization``: the organisation of rehearse/org_morning.py; event files play from the account and
    region their envelopes name."""
    try:
        config = with_overrides(organization_config(), options.config)
        if options.files:
            played = read_events(options.files, wrap=options.wrap_detail)
            events = [
                OrgEvent(label, str(event.get("account")), str(event.get("region")), event) for label, event in played
            ]
        else:
            events = organization_sequence()
    except EventFileError as error:
        return _refused_event_files(error)
    except (OSError, ValueError) as error:
        return _refused(in_rehearsal_terms(str(error), ORGANIZATION_STACK))
    return Prepared(
        lambda: play_organization(config, events),
        ORGANIZATION_STACK,
        (OSError, ValueError),
        render_organization,
        options.json,
    )


if __name__ == "__main__":
    sys.exit(main())
