"""The Prometheus alerting rules of ``dashboards/alerts.yml``, checked by promtool.

``promtool check rules`` validates the file; ``promtool test rules`` runs the unit tests
of ``dashboards/alerts.test.yml`` (synthetic series, expected alerts with their labels
and expanded annotations). The rules' expressions are also run by a real Prometheus
against errorlens's real exporter in ``test_prometheus.py``.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from _dashboards import ALERTS, ALERTS_TEST, METRICS_DASHBOARD, alert_rules, binary, load, panels
from conftest import require

pytestmark = pytest.mark.integration

NAMES = {
    "ErrorlensApiErrorRateSpike",
    "ErrorlensApiRateLimitStorm",
    "ErrorlensApiServerErrorShare",
    "ErrorlensApiNewErrorCode",
    "ErrorlensApiAuthFailing",
    "ErrorlensApiQuotaExhausted",
    "ErrorlensApiRateLimited",
}


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary("promtool"), *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ALERTS.parent,
    )


def test_promtool_check_rules() -> None:
    result = _promtool("check", "rules", ALERTS.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(NAMES)} rules found" in result.stdout


def test_promtool_unit_tests_pass() -> None:
    result = _promtool("test", "rules", ALERTS_TEST.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_unit_tests_can_fail(tmp_path: Path) -> None:
    # The unit tests compare expanded annotations exactly: a rule that says another
    # vendor fails them. (Guards against a test file that checks nothing.)
    rules = ALERTS.read_text().replace("Rate-limit storm at", "Rate-limit storm near")
    (tmp_path / ALERTS.name).write_text(rules)
    (tmp_path / ALERTS_TEST.name).write_text(ALERTS_TEST.read_text())
    result = subprocess.run(
        [binary("promtool"), "test", "rules", ALERTS_TEST.name],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode != 0
    assert "ErrorlensApiRateLimitStorm" in result.stdout + result.stderr


def test_every_alert_waits_names_vendor_and_code_and_has_a_severity() -> None:
    require("yaml")
    rules = alert_rules()
    assert set(rules) == NAMES
    for name, rule in rules.items():
        assert re.fullmatch(r"\d+[smh]", rule["for"]), name
        assert rule["labels"]["severity"] in {"info", "warning", "critical"}, name
        annotations = rule["annotations"]
        assert {"summary", "description"} <= set(annotations), name
        text = annotations["summary"] + annotations["description"]
        assert "$labels.api_error_vendor" in text, name
        assert "api_error_code" in text, f"{name}: its annotations must name the code"
        # Grouped by vendor (and job): never by a request id or a message.
        assert "api_error_vendor" in rule["expr"], name
        assert "request_id" not in rule["expr"] and "message" not in rule["expr"], name


def test_every_alert_is_tested_by_promtool_with_a_firing_case() -> None:
    yaml = require("yaml")
    document = yaml.safe_load(ALERTS_TEST.read_text())
    assert document["rule_files"] == [ALERTS.name]
    firing = {
        case["alertname"]
        for test in document["tests"]
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    quiet = {
        case["alertname"]
        for test in document["tests"]
        for case in test["alert_rule_test"]
        if not case["exp_alerts"]
    }
    assert firing == NAMES
    # A firing case lists every alert expected at that instant, so the other vendors
    # of its series must stay silent; these also have an instant where none may fire.
    assert quiet >= NAMES - {"ErrorlensApiServerErrorShare"}


def test_auth_and_quota_page_at_once_rate_limits_over_a_threshold() -> None:
    require("yaml")
    rules = alert_rules()
    for name, category in (
        ("ErrorlensApiAuthFailing", "auth"),
        ("ErrorlensApiQuotaExhausted", "quota"),
    ):
        assert f'api_error_category="{category}"' in rules[name]["expr"], name
        assert rules[name]["for"] == "0m" and rules[name]["labels"]["severity"] == "critical"
    limited = rules["ErrorlensApiRateLimited"]
    assert 'api_error_category="rate_limit"' in limited["expr"]
    assert re.search(r"\) > 0\.\d+\s*$", limited["expr"]), "a threshold on the rate"


def test_the_dashboard_names_only_alerts_that_exist() -> None:
    require("yaml")
    named = set()
    for panel in panels(load(METRICS_DASHBOARD)):
        named |= set(re.findall(r"\bErrorlensApi\w+", panel.get("description", "")))
    assert named, "the dashboard points at no alert"
    assert named <= set(alert_rules())


def test_the_local_stack_loads_the_rules(tmp_path: Path) -> None:
    yaml = require("yaml")
    stack = ALERTS.parent / "stack"
    config = yaml.safe_load((stack / "prometheus.yml").read_text())
    compose = yaml.safe_load((stack / "docker-compose.yml").read_text())
    mounts = {
        mount.split(":")[1]: mount.split(":")[0]
        for mount in compose["services"]["prometheus"]["volumes"]
    }
    (rule_file,) = config["rule_files"]
    assert (stack / mounts[rule_file]).resolve() == ALERTS.resolve()
    # The stack's config, with the rules where the container sees them, is one
    # Prometheus accepts.
    config["rule_files"] = [str(ALERTS)]
    checked = tmp_path / "prometheus.yml"
    checked.write_text(yaml.safe_dump(config))
    result = _promtool("check", "config", str(checked))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(NAMES)} rules found" in result.stdout
