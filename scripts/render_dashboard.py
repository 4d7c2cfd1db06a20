"""Sketch a CloudWatch dashboard's layout as an SVG: one box per widget, where the console puts it, with its
title and what it shows.

    .venv/bin/python scripts/render_dashboard.py                  # the example stack's dashboard -> docs/dashboard.svg
    .venv/bin/python scripts/render_dashboard.py body.json -o x.svg  # any dashboard body, e.g. from
        aws cloudwatch get-dashboard --dashboard-name NAME --query DashboardBody --output text > body.json

The drawing uses the standard library only. The example is the body ``components/dashboard.py`` makes for
one cluster with every part on, with placeholder names; a test regenerates it and compares it with the
checked-in docs/dashboard.svg.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_SVG = ROOT / "docs" / "dashboard.svg"
UNIT_X, UNIT_Y, MARGIN = 40, 32, 8  # pixels per grid unit; CloudWatch's grid is 24 units wide
FILLS = {"metric": "#e8f1fb", "log": "#eaf6ec", "text": "#f4f4f4", "alarm": "#fdf0e4"}
STROKES = {"metric": "#3b78c2", "log": "#3f8f4f", "text": "#8a8a8a", "alarm": "#d0782a"}
KIND = {"metric": "metrics", "log": "Logs Insights", "text": "text", "alarm": "alarm status"}


def example_body() -> dict[str, Any]:
    """The dashboard of a one-cluster stack with every part on, with placeholder names."""
    sys.path.insert(0, str(ROOT))
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


def describe(widget: dict[str, Any]) -> str:
    """What a widget shows, in a few words."""
    properties = widget.get("properties", {})
    if widget["type"] == "metric":
        metrics = properties.get("metrics", [])
        searches = sum(1 for entry in metrics if entry and isinstance(entry[0], dict))
        if searches:
            found = re.search(r"MetricName=\"(\w+)\"", json.dumps(metrics).replace('\\"', '"'))
            stat = re.search(r"', '([^']+)'", json.dumps(metrics))
            return f"SEARCH {found.group(1) if found else ''} {stat.group(1) if stat else ''}".strip()
        named = sorted({str(entry[1]) for entry in metrics if len(entry) > 1 and isinstance(entry[1], str)})
        return ", ".join(named) + (" (total)" if properties.get("setPeriodToTimeRange") else "")
    if widget["type"] == "log":
        query = properties.get("query", "")
        return " | ".join(part.strip().split(" ", 1)[0] for part in query.split("|")[1:])
    if widget["type"] == "alarm":
        return f"{len(properties.get('alarms', []))} alarms"
    return "what the dashboard shows, links to the queries"


def _fit(text: str, width_px: int, char_px: float = 6.6) -> str:
    room = max(int((width_px - 12) / char_px), 3)
    return text if len(text) <= room else text[: room - 1] + "…"


def render(body: dict[str, Any]) -> str:
    """The SVG sketch of ``body``'s widgets."""
    widgets = body.get("widgets", [])
    width = 24 * UNIT_X + 2 * MARGIN
    height = max((w["y"] + w["height"] for w in widgets), default=0) * UNIT_Y + 2 * MARGIN
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    for widget in widgets:
        x, y = MARGIN + widget["x"] * UNIT_X + 3, MARGIN + widget["y"] * UNIT_Y + 3
        w, h = widget["width"] * UNIT_X - 6, widget["height"] * UNIT_Y - 6
        kind = widget["type"]
        title = widget.get("properties", {}).get("title") or "About this dashboard"
        out.append(
            f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="4" fill="{FILLS.get(kind, "#ffffff")}" '
            f'stroke="{STROKES.get(kind, "#000000")}"/>'
        )
        out.append(
            f'<text x="{x + 8}" y="{y + 18}" font-size="12" font-weight="bold">{escape(_fit(title, w, 7.2))}</text>'
        )
        out.append(
            f'<text x="{x + 8}" y="{y + 36}" font-size="11" fill="{STROKES.get(kind, "#000000")}">'
            f"{escape(_fit(KIND.get(kind, kind), w))}</text>"
        )
        out.append(
            f'<text x="{x + 8}" y="{y + 52}" font-size="11" fill="#444444">{escape(_fit(describe(widget), w))}</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="render_dashboard.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("body", nargs="?", help="a dashboard body (JSON file); default: the example stack's")
    parser.add_argument(
        "-o", "--output", default=str(EXAMPLE_SVG), help="where to write the SVG (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    try:
        body = json.loads(Path(args.body).read_text()) if args.body else example_body()
    except (OSError, ValueError) as error:
        print(f"render_dashboard.py: {args.body}: not a dashboard body ({error})", file=sys.stderr)
        return 2
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(body))
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
