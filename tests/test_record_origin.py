"""Every record, message and dashboard of an organisation's logger names the account and region an event came from.

AWS behaviour relied on, by page:
- "Events and event patterns in Amazon EventBridge", event structure (EventBridge User Guide): every event's envelope
  has ``account`` ("The 12-digit number identifying an AWS account") and ``region``; an event forwarded from a
  member's bus to the central bus keeps them (EventBridge User Guide, "Sending and receiving events between AWS
  accounts": the receiving bus gets the event as the sender's account put it).
- Lambda Developer Guide, "Using the Lambda context object to retrieve Python function information":
  ``invoked_function_arn`` is "The Amazon Resource Name (ARN) that's used to invoke the function", which names the
  function's region and account; "Using Lambda environment variables": AWS_REGION is the function's region.
- CloudWatch Logs API Reference, MetricTransformation: "One metric filter can include as many as three dimensions";
  CloudWatch Logs disables a filter that makes 1,000 different name/value pairs in a while.
- CloudWatch Logs User Guide, "Boolean, comparison, numeric, datetime, and other functions": coalesce().
- The console's URLs: a page of another account's resources opens only when signed in to that account; the region is
  the ``region=`` of the URL (and the host), so a member's task opens in the member's region.
"""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from handler_capture import CentralContext, FakeContext, invoke, load_event
from resource_types import DASHBOARD
from test_organization import organization_config

from components.alarms import CLUSTER_AND_GROUP, LOG_METRICS, MAX_FILTER_DIMENSIONS
from components.queries import QUERIES
from handler import notify
from handler.origin import home_of
from handler.summarise import summarise_event
from rehearse.mocks import run_program, stack_config

MEMBER = "444455556666"
MEMBER_REGION = "eu-west-2"
CENTRAL_REGION = "us-east-1"
SAMPLE_ACCOUNT, SAMPLE_REGION = "111122223333", "eu-west-1"


def from_member(name: str, account: str = MEMBER, region: str = MEMBER_REGION) -> dict[str, Any]:
    """A sample event as a member account's ECS sends it: the envelope and every ARN in it name that account."""
    text = json.dumps(load_event(name))
    text = text.replace(f":{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:", f":{region}:{account}:")
    event: dict[str, Any] = json.loads(text)
    event["account"], event["region"] = account, region
    return event


def test_a_member_accounts_record_names_its_account_and_region() -> None:
    record = invoke(from_member("task_stopped_oom"), context=CentralContext()).record
    assert (record["account"], record["region"]) == (MEMBER, MEMBER_REGION)


def test_the_functions_own_account_and_region_are_not_written_again() -> None:
    """They are implied by the log group (and the cluster ARN): in one account they would be bytes saying nothing."""
    record = invoke(load_event("task_stopped_oom"), context=FakeContext()).record
    assert "account" not in record and "region" not in record


def test_only_what_differs_is_written() -> None:
    same_account_other_region = from_member("task_running", account=SAMPLE_ACCOUNT, region=MEMBER_REGION)
    record = invoke(same_account_other_region, context=FakeContext()).record
    assert record.get("region") == MEMBER_REGION and "account" not in record


def test_without_a_context_the_origin_is_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """A local run knows no account of its own; nothing then implies the event's, so it is kept."""
    monkeypatch.delenv("AWS_REGION", raising=False)
    summary = summarise_event(load_event("task_running"), home_of(None))
    assert (summary.fields["account"], summary.fields["region"]) == (SAMPLE_ACCOUNT, SAMPLE_REGION)


def test_the_home_comes_from_the_invoked_arn_or_aws_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    assert home_of(CentralContext()) == ("999988887777", CENTRAL_REGION)
    assert home_of(object()) == (None, "ap-south-1")


@pytest.mark.parametrize("value", [12, None, "", ["111122223333"]])
def test_an_odd_account_field_is_noted_not_fatal(value: Any) -> None:
    event = load_event("task_running")
    event["account"] = value
    record = invoke(event, context=CentralContext()).record
    assert "account" not in record
    if value not in (None, ""):
        assert any("event.account" in note for note in record["oddities"])


def member_notice(monkeypatch: pytest.MonkeyPatch, name: str) -> notify.Notice:
    monkeypatch.setenv("AWS_REGION", CENTRAL_REGION)
    event = from_member(name)
    fields = copy.deepcopy(invoke(event, context=CentralContext()).returned)
    fields.pop("level"), fields.pop("message")
    notice = notify.build_notice(fields, event, "/aws/lambda/ecs-task-events")
    assert notice is not None
    return notice


@pytest.mark.parametrize("name", ["task_stopped_oom", "deployment_state_change", "service_task_placement_failure"])
def test_a_message_names_the_account_and_region_and_its_links_open_where_each_thing_is(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """The ECS console links open the member's region (signed in to the member's account, README); the
    Logs Insights link opens the log group, which is in the logger's own region."""
    notice = member_notice(monkeypatch, name)
    lines = dict(notice.lines)
    assert lines["Account"] == MEMBER
    assert lines["Cluster"].endswith(f"({MEMBER_REGION})")
    text = notify.email_text(notice, 1, None, 600)
    assert "Account:" in text and MEMBER in text
    for label, url in notice.links:
        host = urlsplit(url).hostname
        expected = CENTRAL_REGION if "Logs Insights" in label else MEMBER_REGION
        assert host == f"{expected}.console.aws.amazon.com", (label, url)
        assert f"region={expected}" in url, (label, url)


def test_metrics_name_the_account_and_region_through_the_cluster_arn_within_cloudwatchs_limits() -> None:
    record = invoke(from_member("task_running"), context=CentralContext()).record
    for metric in LOG_METRICS:
        assert len(metric.dimensions) <= MAX_FILTER_DIMENSIONS, metric.key
    cluster_value = record[CLUSTER_AND_GROUP["Cluster"].removeprefix("$.")]
    assert cluster_value.split(":")[3:5] == [MEMBER_REGION, MEMBER]


def test_an_organisations_dashboard_breaks_the_events_down_by_account_and_region() -> None:
    """A record without ``account`` is the logger's own account's: coalesce names it instead of a blank row."""
    body = json.loads(run_program(organization_config()).one(DASHBOARD).inputs["dashboardBody"])
    queries = [w["properties"]["query"] for w in body["widgets"] if w["type"] == "log"]
    (by_account,) = [query for query in queries if "by fromAccount, fromRegion" in query]
    assert by_account.endswith(QUERIES["events-by-account"])
    assert "coalesce(account," in by_account and "coalesce(region," in by_account
    about = body["widgets"][0]["properties"]["markdown"]
    assert "member accounts" in about


def test_a_single_accounts_dashboard_has_no_by_account_widget() -> None:
    body = json.loads(run_program(stack_config(allClusters="true")).one(DASHBOARD).inputs["dashboardBody"])
    assert not [w for w in body["widgets"] if w["type"] == "log" and "fromAccount" in w["properties"]["query"]]
