"""Draw a CloudWatch dashboard as it looks with data: every widget where the console puts it, with its title, its
lines, numbers, tables and alarm states.

    .venv/bin/python scripts/render_dashboard.py                   # the example stack's dashboard -> docs/dashboard.svg
    .venv/bin/python scripts/render_dashboard.py -o /tmp/dash.png  # the same as a PNG (any format matplotlib writes)
    .venv/bin/python scripts/render_dashboard.py -o a.svg -o a.png  # both, drawn once
    .venv/bin/python scripts/render_dashboard.py body.json -o x.svg  # any dashboard body, e.g. from
        aws cloudwatch get-dashboard --dashboard-name NAME --query DashboardBody --output text > body.json

The layout, titles, metrics, statistics and queries are the body's: the example is the body ``components/dashboard.py``
makes for one cluster with every part on (placeholder names), the body the stack deploys. The data is a generated
week of a four-service fleet (scripts/week_of_events.py), logged by the handler itself; the metrics are what the
stack's metric filters take from those records, the tables what the widgets' Logs Insights queries select, each
statistic over periods of 6 hours (at the widgets' 5 minutes, a week is too fine to read). matplotlib (a dev
requirement) draws it; a test regenerates the picture and compares it with the checked-in docs/dashboard.svg.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import textwrap
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts.week_of_events import START, Logged, week_records

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_SVG = ROOT / "docs" / "dashboard.svg"
UNIT_X, UNIT_Y = 0.62, 0.42  # inches per grid unit; CloudWatch's grid is 24 units wide
HOUR = timedelta(hours=1)
PERIOD_HOURS = 6  # a week at the widgets' 5 minutes is too fine for a picture; each statistic is over 6 hours
COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]  # the console's first series colours


def example_body() -> dict[str, Any]:
    """The dashboard of a one-cluster stack with every part on, with placeholder names."""
    from components.dashboard import DashboardNames, DashboardSettings, dashboard_body  # noqa: PLC0415

    region, account = "eu-west-1", "111122223333"
    names = DashboardNames(
        partition="aws",
        region=region,
        dashboard_name=f"ecs-task-events-dev-{region}",
        log_group_name="ecs-task-events-logs-0000000",
        function_name="ecs-task-events-function-0000000",
        undelivered_queue_name="ecs-task-events-undelivered-0000000",
        failed_queue_name="ecs-task-events-failed-0000000",
        alarm_arns=tuple(
            f"arn:aws:cloudwatch:{region}:{account}:alarm:ecs-task-events-{key}-alarm-0000000"
            for key in ("function-errors", "function-throttles", "abnormal-stops", "undelivered", "failed")
        ),
    )
    settings = DashboardSettings(cluster_arns=(f"arn:aws:ecs:{region}:{account}:cluster/demo",))
    body: dict[str, Any] = json.loads(dashboard_body(names, settings))
    return body


# ------------------------------------------------------------------------------------- the metrics of the week

# What each metric filter of the stack publishes for a record (components/alarms.py: the abnormal-stop filters
# match ``abnormal IS TRUE``; the timing filters take the record's field, dimensioned by Group and Cluster).
FILTERED = {
    "AbnormalTaskStops": lambda record: 1.0 if record.get("abnormal") is True else None,
    "TaskStartupSeconds": lambda record: record.get("startupSeconds"),
    "ImagePullSeconds": lambda record: record.get("pullSeconds"),
}
STATISTIC: dict[str, Callable[[list[float]], float]] = {
    "Sum": sum,
    "Maximum": max,
    "Average": statistics.fmean,
    "p50": lambda values: _percentile(values, 50),
    "p90": lambda values: _percentile(values, 90),
}


def _percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(percent / 100 * len(ordered) + 0.5) - 1))]


def _hourly(points: list[tuple[datetime, float]], stat: str) -> tuple[list[datetime], list[float]]:
    """The statistic of each period that has datapoints (CloudWatch draws no point for a period without)."""
    periods: dict[datetime, list[float]] = defaultdict(list)
    for at, value in points:
        periods[at.replace(hour=at.hour - at.hour % PERIOD_HOURS, minute=0, second=0, microsecond=0)].append(value)
    hours = sorted(periods)
    return hours, [STATISTIC[stat](periods[hour]) for hour in hours]


def metric_series(metrics: list[Any], records: Sequence[Logged]) -> list[tuple[str, list[datetime], list[float]]]:
    """(label, hours, values) for each line of a metric widget: a SEARCH gives one line per service."""
    lines = []
    for entry in metrics:
        if entry and isinstance(entry[0], dict):  # SEARCH('{Namespace,Cluster,Group} MetricName="X" ...', 'stat', p)
            expression = entry[0]["expression"]
            name = re.search(r'MetricName=\\?"(\w+)\\?"', expression)
            stat = re.search(r"', '(\w+)', \d+\)$", expression)
            assert name and stat, f"a SEARCH this drawing does not read: {expression}"
            by_group: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
            for logged in records:
                value = FILTERED[name[1]](logged.record)
                if value is not None:
                    by_group[str(logged.record.get("group"))].append((logged.at, float(value)))
            for group in sorted(by_group):
                lines.append((group.removeprefix("service:"), *_hourly(by_group[group], stat[1])))
            continue
        namespace, metric, *rest = entry
        options = rest[-1] if rest and isinstance(rest[-1], dict) else {}
        stat = options.get("stat", "Average")
        label = options.get("label") or f"{metric} {stat}"
        lines.append((label, *_hourly(_points(namespace, metric, options, records), stat)))
    return lines


def _points(
    namespace: str, metric: str, options: dict[str, Any], records: Sequence[Logged]
) -> list[tuple[datetime, float]]:
    """The datapoints of a named metric over the week: the stack's own, or what Lambda and SQS would report."""
    if metric in FILTERED:
        return [(r.at, float(v)) for r in records if (v := FILTERED[metric](r.record)) is not None]
    invocations = [(r.at, 1.0) for r in records]
    if metric == "Invocations":
        return invocations
    if metric == "Duration":  # a summary takes 2 to 3 ms; an invocation that messages on-call about 60 more
        return [(r.at, 62.0 if r.record.get("abnormal") else 2.0 + (r.at.second % 10) / 10) for r in records]
    return [(at, 0.0) for at, _ in invocations]  # Errors, Throttles, dead letters: none this week


# ------------------------------------------------------------------------------------ the Logs Insights tables


def _field(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if isinstance(value, list) and part.isdigit():
            value = value[int(part)] if int(part) < len(value) else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
    return value


def _matches(condition: str, record: dict[str, Any]) -> bool:
    """The filters the dashboard's queries use: =, in [...], like /regex/, ispresent(), joined by and / or."""
    for alternative in re.split(r"\s+or\s+", condition):
        if all(_atom(atom.strip(), record) for atom in re.split(r"\s+and\s+", alternative)):
            return True
    return False


def _atom(atom: str, record: dict[str, Any]) -> bool:
    if present := re.fullmatch(r"ispresent\(([\w.@]+)\)", atom):
        return _field(record, present[1]) is not None
    if equal := re.fullmatch(r'([\w.@]+)\s*=\s*"([^"]*)"', atom):
        return _field(record, equal[1]) == equal[2]
    if within := re.fullmatch(r"([\w.@]+)\s+in\s+(\[.*\])", atom):
        return _field(record, within[1]) in json.loads(within[2])
    if like := re.fullmatch(r"([\w.@]+)\s+like\s+/(.*)/", atom):
        return re.search(like[2], str(_field(record, like[1]) or "")) is not None
    raise ValueError(f"a Logs Insights filter this drawing does not read: {atom}")


def query_table(query: str, records: Sequence[Logged]) -> tuple[list[str], list[list[str]]]:
    """The columns and rows a widget's query returns for the week: fields, filter, stats, sort, limit."""
    rows = [logged.record for logged in records]
    columns: list[str] = []
    for command in (part.strip() for part in query.split("|")[1:]):
        verb, _, rest = command.partition(" ")
        if verb == "fields":
            columns = [name.strip() for name in rest.split(",")]
        elif verb == "filter":
            rows = [row for row in rows if _matches(rest, row)]
        elif verb == "stats":
            counted = re.fullmatch(r"count_distinct\((\w+)\) as (\w+) by (.+)", rest)
            assert counted, f"a stats this drawing does not read: {rest}"
            keys = [key.strip() for key in counted[3].split(",")]
            groups: dict[tuple[Any, ...], set[Any]] = defaultdict(set)
            for row in rows:
                groups[tuple(row.get(key) for key in keys)].add(row.get(counted[1]))
            rows = [{**dict(zip(keys, key, strict=True)), counted[2]: len(ids)} for key, ids in groups.items()]
            columns = [*keys, counted[2]]
        elif verb == "sort":
            name, _, order = rest.partition(" ")
            rows = sorted(rows, key=lambda row: (str(type(_field(row, name))), _field(row, name) or 0))
            rows.reverse() if order.strip() == "desc" else None
        elif verb == "limit":
            rows = rows[: int(rest)]
    return columns, [["" if _field(row, c) is None else str(_field(row, c)) for c in columns] for row in rows]


# ------------------------------------------------------------------------------------------------ the drawing


def alarm_states(arns: list[str], records: Sequence[Logged]) -> list[tuple[str, str]]:
    """(name, state) at the end of the week: abnormal stops in the last hour put that alarm in ALARM."""
    last_hour = [r for r in records if r.at >= START + timedelta(days=7) - HOUR and r.record.get("abnormal") is True]
    states = []
    for arn in arns:
        name = arn.rsplit(":", 1)[-1]
        states.append((name, "ALARM" if "abnormal-stops" in name and last_hour else "OK"))
    return states


def _fit_title(ax: Any, title: str) -> None:
    """The title, smaller until it fits the widget's width (the console cuts it; a picture must not)."""
    size = 10.0
    text = ax.set_title(title, loc="left", fontsize=size, fontweight="bold")
    renderer = ax.figure.canvas.get_renderer()
    while text.get_window_extent(renderer).width > ax.get_window_extent(renderer).width and size > 6:
        size -= 0.5
        text.set_fontsize(size)


def pyplot() -> Any:
    """matplotlib, drawing off-screen. Imported only to draw: it (and numpy) take about a second to import, which
    the tests that only read the example body or query the week's records need not pay."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    return plt


def draw(body: dict[str, Any], records: Sequence[Logged] | None = None) -> Figure:
    """The figure of ``body``'s widgets, filled with ``records`` (default: the generated week)."""
    plt = pyplot()
    records = week_records() if records is None else records
    widgets = body.get("widgets", [])
    rows = max((w["y"] + w["height"] for w in widgets), default=1)
    figure = plt.figure(figsize=(24 * UNIT_X, rows * UNIT_Y), dpi=100)
    figure.patch.set_facecolor("#f2f3f3")
    for widget in widgets:
        left, width = widget["x"] / 24, widget["width"] / 24
        bottom, height = 1 - (widget["y"] + widget["height"]) / rows, widget["height"] / rows
        # Room, in inches, for the title above and the tick labels below and left of a chart.
        charted = widget["type"] == "metric" and widget.get("properties", {}).get("view") != "singleValue"
        inches_left, inches_right = (0.38 if charted else 0.12), 0.12
        inches_top, inches_bottom = 0.34, (0.3 if charted else 0.1)
        figure_width, figure_height = 24 * UNIT_X, rows * UNIT_Y
        ax = figure.add_axes(
            (
                left + inches_left / figure_width,
                bottom + inches_bottom / figure_height,
                width - (inches_left + inches_right) / figure_width,
                height - (inches_top + inches_bottom) / figure_height,
            ),
            facecolor="white",
        )
        properties = widget.get("properties", {})
        {"metric": _metric, "log": _table, "alarm": _alarms, "text": _text}.get(widget["type"], _text)(
            ax, properties, records
        )
        if widget["type"] != "text":
            _fit_title(ax, properties.get("title") or "")
    return figure


def _metric(ax: Any, properties: dict[str, Any], records: Sequence[Logged]) -> None:
    series = metric_series(properties.get("metrics", []), records)
    if properties.get("view") == "singleValue":
        total = sum(sum(values) for _, _, values in series)
        ax.text(0.5, 0.45, f"{total:g}", fontsize=26, ha="center", va="center", color=COLOURS[0])
        ax.text(0.5, 0.12, series[0][0] if series else "", fontsize=8, ha="center", color="#555555")
        ax.set_axis_off()
        return
    for index, (label, hours, values) in enumerate(series):
        ax.plot(hours, values, label=label, color=COLOURS[index % len(COLOURS)], linewidth=0.9)
    ax.set_xlim(START, START + timedelta(days=7))
    ax.set_ylim(bottom=0, top=max([1.0, *(max(values, default=0) * 1.15 for _, _, values in series)]))
    import matplotlib.dates as mdates  # noqa: PLC0415  (loaded by pyplot() already)

    ax.xaxis.set_major_locator(mdates.DayLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%a"))
    ax.tick_params(labelsize=7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if series:
        ax.legend(fontsize=6.5, loc="upper left", ncol=min(4, len(series)), frameon=False)


def _cut(text: str, room: int) -> str:
    return text if len(text) <= room else text[: max(room - 1, 1)] + "…"


def _table(ax: Any, properties: dict[str, Any], records: Sequence[Logged]) -> None:
    columns, rows = query_table(properties.get("query", ""), records)
    ax.set_axis_off()
    # Each column gets its share of the widget's width, by the longest of its first rows, as the console sizes them.
    sample = [columns, *rows[:8]]
    longest = [min(28, max(len(row[index]) for row in sample)) for index in range(len(columns))]
    room = ax.get_position().width * 24 * UNIT_X * 72 / 6.5 * 1.0  # characters of 6.5 pt that fit the width
    share = [max(6, int(room * length / sum(longest))) for length in longest]
    shown = [[_cut(cell, share[index]) for index, cell in enumerate(row)] for row in rows[:8]]
    if not shown:
        ax.text(0.02, 0.8, "No data found.", fontsize=8)
        return
    labels = [_cut(column, share[index]) for index, column in enumerate(columns)]
    widths = [size / sum(share) for size in share]
    table = ax.table(
        cellText=shown, colLabels=labels, colWidths=widths, loc="upper left", cellLoc="left", colLoc="left"
    )
    table.auto_set_font_size(False)
    table.set_fontsize(6.5)
    for (row, _), cell in table.get_celld().items():
        cell.set_edgecolor("#dddddd")
        cell.set_height(1 / 9.5)
        if row == 0:
            cell.set_facecolor("#f2f3f3")
            cell.get_text().set_fontweight("bold")
    ax.text(1.0, 1.02, f"{len(rows)} rows this week", fontsize=6.5, ha="right", va="bottom", color="#555555")


def _alarms(ax: Any, properties: dict[str, Any], records: Sequence[Logged]) -> None:
    ax.set_axis_off()
    for index, (name, state) in enumerate(alarm_states(properties.get("alarms", []), records)):
        y = 0.88 - index * 0.19
        colour = "#d13212" if state == "ALARM" else "#1d8102"
        ax.text(0.02, y, state, fontsize=7.5, fontweight="bold", color=colour, va="center")
        ax.text(0.24, y, name.removeprefix("ecs-task-events-").removesuffix("-0000000"), fontsize=7.5, va="center")


def _text(ax: Any, properties: dict[str, Any], _records: Sequence[Logged]) -> None:
    ax.set_axis_off()
    markdown = properties.get("markdown", "")
    plain = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", markdown)  # links as their text, as the console shows them
    paragraphs = [paragraph.strip() for paragraph in plain.split("\n\n") if paragraph.strip()]
    heading = paragraphs[0].lstrip("# ") if paragraphs and paragraphs[0].startswith("#") else ""
    y = 0.95
    if heading:
        ax.text(0.0, y, heading, fontsize=12, fontweight="bold", va="top")
        y -= 0.2
    for paragraph in paragraphs[1 if heading else 0 :]:
        wrapped = textwrap.fill(paragraph.replace("`", ""), 190)
        ax.text(0.0, y, wrapped, fontsize=7, va="top", color="#333333")
        y -= 0.09 * (wrapped.count("\n") + 1) + 0.05


def picture(figure: Figure, file_format: str = "svg") -> bytes:
    """A drawn figure as bytes in ``file_format``: the same figure gives the same bytes (no date, fixed ids)."""
    import io  # noqa: PLC0415

    out = io.BytesIO()
    with pyplot().rc_context({"svg.hashsalt": "ecs-task-events", "svg.fonttype": "none"}):
        figure.savefig(out, format=file_format, metadata={"Date": None} if file_format == "svg" else None)
    return out.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="render_dashboard.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("body", nargs="?", help="a dashboard body (JSON file); default: the example stack's")
    parser.add_argument(
        "-o",
        "--output",
        action="append",
        help=f"where to write it, its format from the suffix; repeat for more formats (default: {EXAMPLE_SVG})",
    )
    args = parser.parse_args(argv)
    try:
        body = json.loads(Path(args.body).read_text()) if args.body else example_body()
    except (OSError, ValueError) as error:
        print(f"render_dashboard.py: {args.body}: not a dashboard body ({error})", file=sys.stderr)
        return 2
    figure = draw(body)  # drawn once, however many formats are written
    try:
        for output in map(Path, args.output or [EXAMPLE_SVG]):
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_bytes(picture(figure, output.suffix.lstrip(".") or "svg"))
            print(f"wrote {output}")
    finally:
        pyplot().close(figure)
    return 0


if __name__ == "__main__":
    sys.exit(main())
