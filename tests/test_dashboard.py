"""The dashboard and the console links: every widget tied to something the stack really emits.

The body is built under the mocks for one cluster, a fleet split over several rules, allClusters, and a
logger with its optional parts off; the assertions run on what was registered once each run has finished.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import pytest
from insights_fields import handler_records, member_records, unknown_fields, written_fields
from resource_types import ALARM, DASHBOARD, FUNCTION, LOG_GROUP, METRIC_FILTER, QUEUE
from user_docs import user_docs

import components.dashboard
from components import EcsTaskEventLogger, EcsTaskEventLoggerArgs
from components.console_links import jsurl
from components.dashboard import (
    GRID_WIDTH,
    MAX_EXPRESSION_LENGTH,
    MAX_METRICS_PER_DASHBOARD,
    MAX_METRICS_PER_WIDGET,
    MAX_WIDGETS,
)
from components.queries import QUERIES
from rehearse.mocks import ACCOUNT, CLUSTER_ARN, REGION, RecordingMocks, Run, run
from scripts.render_dashboard import EXAMPLE_SVG, draw, example_body, picture, pyplot, query_table
from scripts.week_of_events import Logged, week_records

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FLEET = [f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/team-{i:03d}-payments-production-fargate" for i in range(80)]
CONFIGS: dict[str, dict[str, Any]] = {
    "one cluster": {"cluster_arns": [CLUSTER_ARN]},
    "80 clusters": {"cluster_arns": FLEET},
    "allClusters": {"all_clusters_prefix": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/"},
    "allClusters with groupMetrics": {
        "all_clusters_prefix": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/",
        "group_metrics": True,
    },
    "parts off": {"cluster_arns": [CLUSTER_ARN], "alarms": False, "dead_letter_queues": False, "saved_queries": False},
}
# AWS/Lambda's per-function metrics ("Types of metrics for Lambda functions", Lambda Developer Guide) and the SQS
# metric the queue alarms use ("Available CloudWatch metrics for Amazon SQS", SQS Developer Guide).
LAMBDA_METRICS = {"Invocations", "Errors", "Throttles", "Duration"}
SQS_METRICS = {"ApproximateNumberOfMessagesVisible"}
SEARCH = re.compile(r"^SEARCH\('\{([^}]*)\} MetricName=\"(\w+)\"(?: AND \((.*)\))?', '(\w+)', (\d+)\)$")
RECORDS = handler_records()
MEMBER_RECORDS = member_records()  # organisation mode: the fields a member account's records add


def build(config: dict[str, Any], mocks: RecordingMocks | None = None) -> Run:
    def program() -> dict[str, Any]:
        logger = EcsTaskEventLogger("orders", EcsTaskEventLoggerArgs(**config))
        return {
            "dashboardUrl": logger.dashboard_url,
            "logGroupUrl": logger.log_group_url,
            "logsInsightsUrl": logger.logs_insights_url,
        }

    return run(program, mocks=mocks)


@pytest.fixture(scope="module", params=sorted(CONFIGS))
def deployed(request: pytest.FixtureRequest) -> Iterator[tuple[str, Run]]:
    yield request.param, build(CONFIGS[request.param])


def body_of(run: Run) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(run.one(DASHBOARD).inputs["dashboardBody"])
    return body


def of_type(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [widget for widget in body["widgets"] if widget["type"] == kind]


def test_the_body_is_json_within_cloudwatchs_limits(deployed: tuple[str, Run]) -> None:
    """PutDashboard takes the body as a JSON string ("Dashboard Body Structure and Syntax", CloudWatch API
    Reference: "an array of between 0 and 500 widget objects"; a 24-unit wide grid). "CloudWatch service quotas"
    (CloudWatch User Guide, Dashboards): up to 500 widgets per dashboard, 500 metrics per widget, 2,500 metrics
    per dashboard. PutDashboard's own page and API model give DashboardName 1 to 255 of A-Z, a-z, 0-9, "-", "_"
    and no length for DashboardBody; the body is kept under a budget of our own (BODY_BUDGET_BYTES). A metric
    math expression is at most 2,048 characters in botocore's GetMetricData model (1,024 before, as CloudWatch
    told Grafana in grafana/grafana#25062): each SEARCH is kept to 1,024.
    """
    _, run = deployed
    registered = run.one(DASHBOARD).inputs
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,255}", registered["dashboardName"])
    assert len(registered["dashboardBody"].encode()) <= components.dashboard.BODY_BUDGET_BYTES
    body = body_of(run)
    assert 0 < len(body["widgets"]) <= MAX_WIDGETS
    counts = [len(widget["properties"].get("metrics", [])) for widget in body["widgets"]]
    assert max(counts) <= MAX_METRICS_PER_WIDGET and sum(counts) <= MAX_METRICS_PER_DASHBOARD
    occupied: set[tuple[int, int]] = set()
    for widget in body["widgets"]:
        assert widget["type"] in ("metric", "log", "text", "alarm")
        assert widget["x"] >= 0 and widget["x"] + widget["width"] <= GRID_WIDTH
        cells = {
            (x, y)
            for x in range(widget["x"], widget["x"] + widget["width"])
            for y in range(widget["y"], widget["y"] + widget["height"])
        }
        assert not cells & occupied, f"{widget['properties'].get('title')} overlaps another widget"
        occupied |= cells
        if widget["type"] in ("metric", "log"):
            assert widget["properties"]["region"] == REGION
        for entry in widget["properties"].get("metrics", []):
            if isinstance(entry[0], dict):
                assert len(entry[0]["expression"]) <= MAX_EXPRESSION_LENGTH


def emitted(run: Run) -> dict[tuple[str, str], list[dict[str, str | None]]]:
    """(namespace, metric) -> the dimensions each publisher gives it; a None value is a filter's per-record one."""
    found: dict[tuple[str, str], list[dict[str, str | None]]] = {}
    for metric_filter in run.of_type(METRIC_FILTER):
        transformation = metric_filter.inputs["metricTransformation"]
        dimensions: dict[str, str | None] = dict.fromkeys(transformation.get("dimensions") or {})
        found.setdefault((transformation["namespace"], transformation["name"]), []).append(dimensions)
    function = run.one(FUNCTION).outputs["name"]
    for metric in LAMBDA_METRICS:
        found.setdefault(("AWS/Lambda", metric), []).append({"FunctionName": function})
    for queue in run.of_type(QUEUE):
        for metric in SQS_METRICS:
            found.setdefault(("AWS/SQS", metric), []).append({"QueueName": queue.outputs["name"]})
    return found


def metric_problems(body: dict[str, Any], run: Run, clusters: list[str] | None) -> list[str]:
    """Each metric a widget reads, unless the stack publishes it with that namespace, name and dimensions.

    A SEARCH must name a filter's namespace, metric and exact dimension set (its schema), and only the
    logger's clusters; together a widget's searches must cover every cluster (``clusters`` None: allClusters).
    """
    publishers = emitted(run)
    problems = []
    for widget in of_type(body, "metric"):
        title = widget["properties"]["title"]
        searched: set[str] = set()
        for entry in widget["properties"]["metrics"]:
            if isinstance(entry[0], dict):
                parsed = SEARCH.match(entry[0]["expression"])
                if not parsed:
                    problems.append(f"{title}: not a SEARCH this test reads: {entry[0]['expression']}")
                    continue
                schema, metric, where, _, _ = parsed.groups()
                namespace, *dimensions = schema.split(",")
                if {name: None for name in dimensions} not in publishers.get((namespace, metric), []):
                    problems.append(f"{title}: nothing publishes {namespace} {metric} by {dimensions}")
                named = re.findall(r'Cluster="([^"]+)"', where or "")
                if clusters is None and named:
                    problems.append(f"{title}: allClusters, yet the search names clusters")
                searched |= set(named)
                continue
            namespace, metric, *rest = entry
            pairs = [item for item in rest if not isinstance(item, dict)]
            dimensions = dict(zip(pairs[::2], pairs[1::2], strict=True))
            if dimensions not in publishers.get((namespace, metric), []):
                problems.append(f"{title}: nothing publishes {namespace} {metric} with {dimensions}")
        if clusters is not None and searched and searched != set(clusters):
            problems.append(f"{title}: searches {sorted(searched)}, the logger's clusters are {sorted(clusters)}")
    return problems


def searched(expression: str) -> re.Match[str]:
    found = SEARCH.match(expression)
    assert found, expression
    return found


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_every_metric_widget_reads_a_metric_the_stack_publishes(name: str) -> None:
    config = CONFIGS[name]
    deployed = build(config)
    body = body_of(deployed)
    assert not metric_problems(body, deployed, config.get("cluster_arns"))
    searches = [
        searched(entry[0]["expression"])
        for widget in of_type(body, "metric")
        for entry in widget["properties"]["metrics"]
        if isinstance(entry[0], dict)
    ]
    if config.get("alarms", True):
        # Per service (Group) when the filters publish it, per cluster when groupMetrics leaves it out.
        per_group = config.get("group_metrics", "all_clusters_prefix" not in config)
        schemas = {search.group(1) for search in searches}
        assert schemas == {"EcsTaskEvents,Cluster,Group" if per_group else "EcsTaskEvents,Cluster"}
        assert {search.group(4) for search in searches} == {"p50", "p90", "Maximum", "Sum"}
    else:
        # No metric filters without alarms: nothing of the shared or the logger's namespace is graphed.
        assert not any("EcsTaskEvents" in json.dumps(widget) for widget in of_type(body, "metric"))
    if name == "80 clusters":
        assert len(of_type(body, "metric")[0]["properties"]["metrics"]) > 1  # split to stay under the length


def test_break_a_metric_the_filters_do_not_publish_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(components.dashboard, "METRIC_NAMESPACE", "EcsTaskEvent")
    deployed = build(CONFIGS["one cluster"])
    problems = metric_problems(body_of(deployed), deployed, [CLUSTER_ARN])
    assert problems and all("nothing publishes EcsTaskEvent " in problem for problem in problems)
    # And a cluster the logger does not log.
    other = build({"cluster_arns": [CLUSTER_ARN.replace("demo", "other")]})
    assert any(
        "the logger's clusters are" in problem for problem in metric_problems(body_of(other), other, [CLUSTER_ARN])
    )


def test_every_logs_insights_widget_reads_fields_the_handler_writes_from_this_log_group(
    deployed: tuple[str, Run],
) -> None:
    """The handler's records for every sample event (tests/events/: task events, deployments, service actions)
    are the fields there are; the same check the saved queries pass (tests/insights_fields.py)."""
    _, run = deployed
    group = run.one(LOG_GROUP).outputs["name"]
    known = written_fields([*RECORDS.values(), *MEMBER_RECORDS.values()])
    logs = of_type(body_of(run), "log")
    assert len(logs) == 3
    for widget in logs:
        query = widget["properties"]["query"]
        prefix = f"SOURCE '{group}' | "
        assert query.startswith(prefix), widget["properties"]["title"]
        assert "SOURCE" not in query[len(prefix) :]
        unknown = unknown_fields(query[len(prefix) :], known)
        assert not unknown, f"{widget['properties']['title']} reads fields the handler never writes: {sorted(unknown)}"
    deployments = next(w for w in logs if w["properties"]["title"].startswith("Deployments"))["properties"]["query"]
    assert '"ECS Deployment State Change"' in deployments and '"ECS Service Action"' in deployments
    written_types = {json.loads(line)["detailType"] for line in RECORDS.values()}
    assert {"ECS Deployment State Change", "ECS Service Action"} <= written_types


def test_break_a_field_the_handler_does_not_write_is_caught() -> None:
    known = written_fields([*RECORDS.values(), *MEMBER_RECORDS.values()])
    assert unknown_fields('fields service, taskId | filter stopcode = "X"', known) == {"service", "stopcode"}
    assert unknown_fields("fields group | filter reason like /(?i)Roll back/", known) == set()


def test_the_alarm_widget_shows_exactly_the_registered_alarms(deployed: tuple[str, Run]) -> None:
    name, run = deployed
    alarms = of_type(body_of(run), "alarm")
    registered = sorted(alarm.outputs["arn"] for alarm in run.of_type(ALARM))
    if not registered:
        assert alarms == [], name
        return
    (widget,) = alarms
    assert sorted(widget["properties"]["alarms"]) == registered


def test_the_text_links_every_saved_query_and_the_readme_alarm_table(deployed: tuple[str, Run]) -> None:
    _, run = deployed
    (text,) = of_type(body_of(run), "text")
    markdown = text["properties"]["markdown"]
    links = dict(re.findall(r"\[([\w-]+)\]\((https://[^)]+)\)", markdown))
    group = run.one(LOG_GROUP).outputs["name"]
    for key, query in QUERIES.items():
        assert insights_detail(links[key]) == insights_settings(query, [group])
    readme = user_docs()
    section = components.dashboard.ALARMS_SECTION
    assert f'"{section}"' in markdown and f"\n## {section}\n" in readme


# Console links. The formats are the console's own, undocumented by AWS; found in:
# - "Is there a way to generate the AWS Console URLs for CloudWatch Log Group filters?" (Stack Overflow, copied at
#   https://newbedev.com/is-there-a-way-to-generate-the-aws-console-urls-for-cloudwatch-log-group-filters and
#   https://mcmap.net/q/430510/...): a log group is ``#logsV2:log-groups/log-group/`` and its name URI-encoded twice,
#   ``%`` written ``$``; the Logs Insights answer: ``?queryDetail=`` and a JSURL-like object, values URI-encoded with
#   ``%`` written ``*``, strings prefixed ``'``, the whole escape()d, URI-encoded, ``%`` written ``$``.
# - "Generate AWS Logs Insights URL with query and search criteria" (Stack Overflow 69816735, copied at
#   https://coderapp.vercel.app/answer/69816735): a link the console made (CONSOLE_MADE below), with every
#   non-alphanumeric character of a value as lower-case ``*xx``.
# - Dashboards: ``#dashboards:name=NAME``, as Terraform modules on GitHub output it (e.g.
#   nivecher/meal-expense-tracker terraform/modules/cloudwatch_dashboard/outputs.tf).
CONSOLE_MADE = (
    "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:logs-insights"
    "$3FqueryDetail$3D$257E$2528end$257E$25272021-07-18T20*3a59*3a59.000Z$257Estart$257E$25272021-07-15T21*3a00*3a00"
    ".000Z$257EtimeType$257E$2527ABSOLUTE$257Etz$257E$2527Local$257EeditorString$257E$2527fields*20*40timestamp*2c*20"
    "*40message*0a*7c*20sort*20*40timestamp*20desc*0a*7c*20filter*20*40message*20*3d*7e*20*22Exception*22*0a*7c*20limit"
    "*20200$257EisLiveTail$257Efalse$257EqueryId$257E$2527####$257Esource$257E$2528$257E$2527*2faws*2flambda*2f######"
    "$2529$2529$26tab$3Dlogs"
)


def insights_detail(url: str) -> Any:
    """The settings object a Logs Insights link carries, decoded the way the console reads it."""
    fragment = url.split("#logsV2:logs-insights", 1)[1]
    unescaped = unquote(unquote(fragment.replace("$", "%")))
    detail = unescaped.removeprefix("?queryDetail=").split("&", 1)[0]
    value, rest = _jsurl_value(detail.removeprefix("~"))
    assert rest == "", rest
    return value


def _jsurl_value(text: str) -> tuple[Any, str]:
    if text.startswith("("):
        text = text[1:]
        if text.startswith("~"):  # a list: (~a~b)
            items = []
            while text.startswith("~"):
                item, text = _jsurl_value(text[1:])
                items.append(item)
            return items, text.removeprefix(")")
        fields = {}
        while not text.startswith(")"):
            key, text = text.split("~", 1)
            fields[key], text = _jsurl_value(text)
            text = text.removeprefix("~")
        return fields, text[1:]
    raw = re.split(r"[~)]", text, maxsplit=1)[0]
    rest = text[len(raw) :]
    if raw.startswith("'"):
        return unquote(raw[1:].replace("*", "%")), rest
    return {"true": True, "false": False}.get(raw, int(raw) if re.fullmatch(r"-?\d+", raw) else raw), rest


def insights_settings(query: str, groups: list[str]) -> dict[str, Any]:
    return {
        "end": 0,
        "start": -86400,
        "timeType": "RELATIVE",
        "unit": "seconds",
        "editorString": query,
        "isLiveTail": False,
        "source": groups,
    }


def test_the_decoder_reads_a_link_the_console_made() -> None:
    detail = insights_detail(CONSOLE_MADE)
    assert detail["editorString"] == (
        'fields @timestamp, @message\n| sort @timestamp desc\n| filter @message =~ "Exception"\n| limit 200'
    )
    assert detail["source"] == ["/aws/lambda/######"]
    assert (detail["timeType"], detail["start"], detail["isLiveTail"]) == (
        "ABSOLUTE",
        "2021-07-15T21:00:00.000Z",
        False,
    )
    # And the encoder writes a value as the console does: '*xx', lower-case hex, for all but letters, digits, - and .
    assert jsurl({"source": ["/aws/lambda/x"]}) == "~(source~(~'*2faws*2flambda*2fx))"


@pytest.mark.parametrize("region", [REGION, "us-east-2"])
def test_links_are_well_formed_for_the_stacks_region_and_names(region: str) -> None:
    cluster = CLUSTER_ARN.replace(REGION, region)
    deployed = build({"cluster_arns": [cluster]}, mocks=RecordingMocks(region=region))
    group = deployed.one(LOG_GROUP).outputs["name"]
    board = deployed.one(DASHBOARD).inputs["dashboardName"]
    home = f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#"
    outputs = deployed.outputs
    assert outputs["dashboardUrl"] == f"{home}dashboards:name={board}"
    assert board == f"orders-dev-{region}"
    assert outputs["logGroupUrl"] == f"{home}logsV2:log-groups/log-group/{group}"
    assert outputs["logsInsightsUrl"].startswith(f"{home}logsV2:logs-insights$3FqueryDetail$3D$257E$2528")
    assert re.fullmatch(r"[A-Za-z0-9$*.\-]*", outputs["logsInsightsUrl"].split("#logsV2:logs-insights", 1)[1])
    assert insights_detail(outputs["logsInsightsUrl"]) == insights_settings(QUERIES["abnormal-stops"], [group])
    body = body_of(deployed)
    assert {w["properties"]["region"] for w in body["widgets"] if "region" in w["properties"]} == {region}
    assert all(arn.split(":")[3] == region for arn in of_type(body, "alarm")[0]["properties"]["alarms"])


def test_a_log_group_name_with_slashes_is_escaped_as_the_console_does() -> None:
    from components.console_links import log_group_url  # noqa: PLC0415

    url = log_group_url("eu-west-1", "/ecs/task events")
    assert url.endswith("#logsV2:log-groups/log-group/$252Fecs$252Ftask$2520events")


def test_without_the_dashboard_there_is_no_dashboard_and_no_dashboard_url() -> None:
    bare = build({"cluster_arns": [CLUSTER_ARN], "dashboard": False})
    assert bare.of_type(DASHBOARD) == []
    assert bare.outputs.get("dashboardUrl") is None
    assert bare.outputs["logGroupUrl"] and bare.outputs["logsInsightsUrl"]


@pytest.fixture(scope="module")
def week() -> tuple[Logged, ...]:
    """The generated week's records, made once (about 0.7 s) for the tests that read them; a tuple, which no test
    can add to or reorder. The command's own test makes its own."""
    return tuple(week_records())


@pytest.fixture(scope="module")
def example_figure(week: tuple[Logged, ...]) -> Iterator[Figure]:
    """The example body drawn with the week, once (about a second) for the picture and the checks of its layout."""
    figure = draw(example_body(), week)
    yield figure
    pyplot().close(figure)


@pytest.fixture(scope="module")
def example_picture(example_figure: Figure) -> bytes:
    """The drawn example as SVG, as bytes, so no test can change what another reads."""
    return picture(example_figure)


def test_the_readme_picture_is_the_current_layout(example_picture: bytes) -> None:
    """docs/dashboard.svg is what scripts/render_dashboard.py draws today; run it after changing the layout."""
    assert EXAMPLE_SVG.read_bytes() == example_picture, "run: .venv/bin/python scripts/render_dashboard.py"
    assert "](dashboard.svg)" in (EXAMPLE_SVG.parent / "alarms-and-messages.md").read_text()  # the Dashboard section


def test_the_example_picture_is_a_real_stacks_layout() -> None:
    """The example body has the layout a deployed one-cluster stack gets (names aside)."""
    deployed = build(CONFIGS["one cluster"])

    def layout(body: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [
            (w["type"], w["x"], w["y"], w["width"], w["height"], w["properties"].get("title")) for w in body["widgets"]
        ]

    assert layout(example_body()) == layout(body_of(deployed))


def test_the_picture_shows_the_deployed_body_with_data_and_whole_titles(
    example_figure: Figure, example_picture: bytes, week: tuple[Logged, ...]
) -> None:
    """Each widget of the body is drawn with its whole title inside its box; the charts have lines, the tables the
    rows their queries select from the handler's records of the week, the alarms a state."""
    from matplotlib.text import Text  # noqa: PLC0415  (matplotlib only where a test draws)

    body = example_body()
    records = week
    figure = example_figure
    canvas: Any = figure.canvas
    renderer = canvas.get_renderer()
    titled = [ax for ax in figure.axes if ax.get_title(loc="left")]
    titles = [w["properties"]["title"] for w in body["widgets"] if w["type"] != "text"]
    assert [ax.get_title(loc="left") for ax in titled] == titles
    for ax in titled:
        (title,) = [t for t in ax.get_children() if isinstance(t, Text) and t.get_text() == ax.get_title(loc="left")]
        box = ax.get_window_extent(renderer)
        extent = title.get_window_extent(renderer)
        assert box.x0 - 1 <= extent.x0 and extent.x1 <= box.x1 + 1, title.get_text()
    charts = [ax for ax in titled if ax.lines]
    assert len(charts) == sum(1 for w in body["widgets"] if w["properties"].get("view") == "timeSeries")
    assert all(len(list(line.get_xdata())) > 1 for ax in charts for line in ax.lines)  # type: ignore[arg-type]
    stopped = {r.record["taskId"] for r in records if r.record.get("lastStatus") == "STOPPED"}
    (why,) = [w for w in body["widgets"] if w["properties"].get("title") == "Why tasks stop, by service"]
    columns, rows = query_table(why["properties"]["query"], records)
    assert columns == ["group", "stopCode", "stoppedReason", "tasks"]
    assert sum(int(row[-1]) for row in rows) == len(stopped) and int(rows[0][-1]) >= int(rows[-1][-1])
    svg = example_picture.decode()  # the same figure, saved
    assert all(title.replace("&", "&amp;") in svg for title in titles)
    assert "ALARM" in svg and "OK" in svg and "service:payments" in svg
    abnormal = sum(1 for r in records if r.record.get("abnormal") is True)
    assert f">{abnormal}<" in svg  # the single value: abnormal stops in the range


def test_the_command_regenerates_the_picture(tmp_path: Path) -> None:
    from scripts.render_dashboard import main  # noqa: PLC0415

    assert main(["-o", str(tmp_path / "dash.svg"), "-o", str(tmp_path / "dash.png")]) == 0
    assert (tmp_path / "dash.svg").read_bytes() == EXAMPLE_SVG.read_bytes()
    assert (tmp_path / "dash.png").read_bytes().startswith(b"\x89PNG")
