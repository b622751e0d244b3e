"""The shipped alert rules and dashboard, offline: promtool accepts them, their durations are
the issue's minute, and the dashboard only charts metrics the shop exports."""

import json
import re
import subprocess

import yaml

from tests.monitoring.prometheus import ALERTS, MONITORING, binary, rules_for_test

# Every metric the shop's collectors and workers export (tests/shop and tests/orders check the
# values), plus Prometheus' own `up`.
EXPORTED = {
    "up",
    "shop_outbox_unsent_messages",
    "shop_outbox_oldest_unsent_age_seconds",
    "shop_inbox_messages",
    "shop_queue_messages",
    "shop_queue_consumers",
    "shop_messages_consumed_total",
    "shop_orders",
    "shop_orders_oldest_pending_age_seconds",
    "shop_order_settle_seconds_bucket",
    "shop_order_settle_seconds_sum",
    "shop_order_settle_seconds_count",
}
ALERT_NAMES = {
    "ShopOutboxLag",
    "ShopDeadMessages",
    "ShopOrderPendingTooLong",
    "ShopConsumersGone",
    "ShopServiceDown",
}


def metric_names(expr: str) -> set[str]:
    return set(re.findall(r"\b(shop_[a-z_]+|up)\b(?=\s*[{\[)])", expr))


def rules() -> list[dict]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_promtool_accepts_the_shipped_rules_and_the_test_rendering(tmp_path):
    rendered = tmp_path / "rules.yml"
    rendered.write_text(rules_for_test(ALERTS.read_text()))

    result = subprocess.run(
        [binary("promtool"), "check", "rules", str(ALERTS), str(rendered)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_refuses_a_broken_rule(tmp_path):
    """The check is a real one: a rule that is no PromQL fails it."""
    broken = tmp_path / "broken.yml"
    broken.write_text(
        yaml.safe_dump({"groups": [{"name": "x", "rules": [{"alert": "X", "expr": "max by ("}]}]})
    )

    result = subprocess.run(
        [binary("promtool"), "check", "rules", str(broken)], capture_output=True, timeout=60
    )

    assert result.returncode != 0


def test_the_issues_alerts_are_all_there_and_wait_a_minute():
    by_name: dict[str, list[dict]] = {}
    for rule in rules():
        by_name.setdefault(rule["alert"], []).append(rule)

    assert set(by_name) == ALERT_NAMES
    for rule in rules():
        # A minute, either as the rule's `for` or as its threshold on an age in seconds; any
        # dead message at once.
        if rule["alert"] != "ShopDeadMessages":
            assert rule.get("for") == "1m" or "> 60" in rule["expr"], rule
        assert metric_names(rule["expr"]) <= EXPORTED, rule["expr"]
        assert rule["labels"]["severity"] in ("warning", "critical")
    assert "for" not in by_name["ShopDeadMessages"][0], "any dead message alerts at once"


def test_the_dashboard_charts_only_exported_metrics_and_every_saga_signal():
    dashboard = json.loads((MONITORING / "saga-dashboard.json").read_text())
    expressions = [
        target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])
    ]

    charted = set().union(*(metric_names(expr) for expr in expressions))
    assert charted <= EXPORTED
    assert EXPORTED - charted <= {
        "shop_order_settle_seconds_sum",
        "shop_order_settle_seconds_count",
    }


def test_the_shipped_rules_fire_on_their_minute_and_not_before(tmp_path):
    """promtool's own rule tests, on the shipped durations: a queue that holds messages while
    nothing is consumed alerts after a minute, one that drains does not; an order pending for
    over a minute alerts; a dead message alerts at once."""
    # promtool compares annotations too: the same rules without them, so that the test says
    # when each alert fires and leaves the wording alone.
    shipped = yaml.safe_load(ALERTS.read_text())
    for group in shipped["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(shipped))
    case = {
        "rule_files": [str(tmp_path / "rules.yml")],
        "evaluation_interval": "15s",
        "tests": [
            {
                "interval": "15s",
                "input_series": [
                    # inventory's queue holds messages and its worker is gone
                    {"series": 'shop_queue_messages{service="inventory"}', "values": "3x10"},
                    {"series": 'shop_queue_consumers{service="inventory"}', "values": "0x10"},
                    # orders' queue holds messages but its worker consumes them
                    {"series": 'shop_queue_messages{service="orders"}', "values": "5x10"},
                    {"series": 'shop_queue_consumers{service="orders"}', "values": "2x10"},
                    {
                        "series": 'shop_messages_consumed_total{service="orders",'
                        'task="orders.order_reserve_confirm",outcome="processed"}',
                        "values": "0+10x10",
                    },
                    {
                        "series": 'shop_orders_oldest_pending_age_seconds{service="orders"}',
                        "values": "0+15x10",
                    },
                    {
                        "series": 'shop_inbox_messages{service="users",status="dead"}',
                        "values": "0 1x9",
                    },
                ],
                "alert_rule_test": [
                    {"eval_time": "45s", "alertname": "ShopOutboxLag", "exp_alerts": []},
                    {
                        "eval_time": "75s",
                        "alertname": "ShopOutboxLag",
                        "exp_alerts": [
                            {
                                "exp_labels": {
                                    "service": "inventory",
                                    "severity": "warning",
                                    "leg": "queue",
                                }
                            }
                        ],
                    },
                    {"eval_time": "60s", "alertname": "ShopOrderPendingTooLong", "exp_alerts": []},
                    {
                        "eval_time": "75s",
                        "alertname": "ShopOrderPendingTooLong",
                        "exp_alerts": [
                            {"exp_labels": {"service": "orders", "severity": "critical"}}
                        ],
                    },
                    {
                        "eval_time": "15s",
                        "alertname": "ShopDeadMessages",
                        "exp_alerts": [{"exp_labels": {"service": "users", "severity": "warning"}}],
                    },
                    {
                        "eval_time": "75s",
                        "alertname": "ShopConsumersGone",
                        "exp_alerts": [
                            {"exp_labels": {"service": "inventory", "severity": "critical"}}
                        ],
                    },
                ],
            }
        ],
    }
    (tmp_path / "case.yml").write_text(yaml.safe_dump(case))

    result = subprocess.run(
        [binary("promtool"), "test", "rules", str(tmp_path / "case.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr
