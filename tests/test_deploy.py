"""deploy/: every metric the alerts and the dashboard query exists, and the rules behave as documented."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.metrics_core import Metric

from toridaemon.metrics import Metrics

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool not installed (apt-get install -y prometheus provides it)"
)
NAME = re.compile(r"\b(?:toridaemon|process)_[a-z_]+")
# Which sample suffixes each metric type exposes beyond its bare name.
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}
# Grafana expands these before a query reaches Prometheus.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__range": "1h", "$instance": ".*"}


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load((DEPLOY / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana-dashboard.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    queries = [v["definition"] for v in dashboard["templating"]["list"] if v["type"] == "query"]
    return exprs + [re.sub(r"^label_values\((.*), \w+\)$", r"\1", query) for query in queries]


def all_exprs() -> list[str]:
    return [rule["expr"] for rule in alert_rules()] + dashboard_exprs()


def catalogue() -> tuple[dict[str, str], set[str]]:
    """Metric families (name → type) and sample names of a fresh daemon registry."""
    families: list[Metric] = list(Metrics().registry.collect())
    return {m.name: m.type for m in families}, {s.name for m in families for s in m.samples}


def unknown_names(expr: str) -> list[str]:
    """Metric names in `expr` that the catalogue does not define (with a suffix its type allows)."""
    types, samples = catalogue()
    unknown = []
    for name in NAME.findall(expr):
        if name in samples or name in types:
            continue
        stem, _, suffix = name.rpartition("_")
        if "_" + suffix not in SUFFIXES.get(types.get(stem, ""), ()):
            unknown.append(name)
    return unknown


def structure_problems(expr: str) -> list[str]:
    """Unbalanced brackets, unterminated strings, bad range durations: what breaks a query outright."""
    problems, stack = [], []
    pairs = {")": "(", "]": "[", "}": "{"}
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # label values may hold any bracket
    if '"' in text.replace('""', ""):
        problems.append("unterminated string")
    for char in text:
        if char in "([{":
            stack.append(char)
        elif char in pairs and (not stack or stack.pop() != pairs[char]):
            problems.append(f"unbalanced {char!r}")
    problems += [f"unclosed {opener!r}" for opener in stack]
    for duration in re.findall(r"\[([^\]]*)\]", text):
        if not re.fullmatch(r"(\d+[smhdwy])+|\$__\w+", duration):
            problems.append(f"bad range [{duration}]")
    if not NAME.search(expr) and "up{" not in expr:
        problems.append("queries no metric")
    return problems


@pytest.mark.parametrize("expr", all_exprs())
def test_every_expression_is_well_formed_and_uses_catalogued_metrics(expr: str) -> None:
    assert structure_problems(expr) == []
    assert unknown_names(expr) == []


def test_the_checks_catch_made_up_names_and_broken_queries() -> None:
    assert unknown_names("rate(toridaemon_files_exploded_total[5m])") == ["toridaemon_files_exploded_total"]
    assert unknown_names("toridaemon_pending_total") == ["toridaemon_pending_total"]  # a gauge has no _total
    assert unknown_names("process_resident_memory_bites") == ["process_resident_memory_bites"]
    assert unknown_names("toridaemon_processing_seconds_bucket + toridaemon_build_info") == []
    assert structure_problems('sum(rate(toridaemon_pending{job="x"}[5m])') == ["unclosed '('"]
    assert structure_problems("rate(toridaemon_pending[5 minutes])") == ["bad range [5 minutes]"]


def test_alerts_cover_the_documented_conditions() -> None:
    exprs = {rule["alert"]: rule["expr"] for rule in alert_rules()}
    assert set(exprs) == {
        "ToridaemonNoProgress", "ToridaemonHighFailureRatio", "ToridaemonWatcherDown",
        "ToridaemonReloadFailed", "ToridaemonInFlightStuck", "ToridaemonScrapeDown", "ToridaemonJournalRebuilt",
        "ToridaemonJournalDamaged", "ToridaemonBlocked",
    }
    assert all(rule["labels"]["severity"] in {"warning", "critical"} for rule in alert_rules())


def test_the_operations_guide_tells_what_to_do_for_every_alert() -> None:
    guide = (Path(__file__).resolve().parent.parent / "docs" / "operations.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `(Toridaemon\w+)` \|", guide, re.MULTILINE))
    assert listed == {rule["alert"] for rule in alert_rules()}


def test_dashboard_shows_the_required_figures() -> None:
    joined = "\n".join(dashboard_exprs())
    for needle in (
        "rate(toridaemon_files_completed_total", "histogram_quantile(0.5", "histogram_quantile(0.95",
        "toridaemon_processing_seconds_bucket", "toridaemon_pending", "toridaemon_queue_depth",
        "toridaemon_inbox_waiting", "toridaemon_in_flight", "process_resident_memory_bytes",
        "toridaemon_config_reloads_total",
    ):
        assert needle in joined


def test_scrape_config_targets_the_loopback_metrics_port() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    (job,) = config["scrape_configs"]
    assert job["job_name"] == "toridaemon"
    assert job["static_configs"][0]["targets"] == ["127.0.0.1:9464"]
    assert config["rule_files"] == ["alerts.yml"]


def promtool(*args: str, cwd: Path = DEPLOY) -> None:
    assert PROMTOOL is not None
    result = subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_promtool_accepts_config_and_rules() -> None:
    promtool("check", "config", "prometheus.yml")
    promtool("check", "rules", "alerts.yml")


def expand(query: str) -> str:
    """The query as Grafana sends it, with its variables filled in."""
    for variable, value in GRAFANA_VARIABLES.items():
        query = query.replace(variable, value)
    return query


@needs_promtool
def test_promtool_parses_every_dashboard_query(tmp_path: Path) -> None:
    rules = [{"record": f"dashboard:query{i}", "expr": expand(expr)} for i, expr in enumerate(dashboard_exprs())]
    (tmp_path / "dashboard.yml").write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    promtool("check", "rules", "dashboard.yml", cwd=tmp_path)


LABELS = 'job="toridaemon", instance="127.0.0.1:9464"'
FIRING = {"job": "toridaemon", "instance": "127.0.0.1:9464"}


def scenario(
    series: dict[str, str], checks: list[tuple[str, str, str | None]], **labels: str
) -> dict[str, Any]:
    """One promtool test: input series (selector → values) and (time, alert, severity or None when silent)."""
    return {
        "interval": "1m",
        "input_series": [{"series": name, "values": values} for name, values in series.items()],
        "alert_rule_test": [
            {"eval_time": at, "alertname": alert,
             "exp_alerts": [] if severity is None else [{"exp_labels": {**FIRING, **labels, "severity": severity}}]}
            for at, alert, severity in checks
        ],
    }


SCENARIOS = [
    # A backlog and no result for 15 minutes fires; right after a (re)start it does not.
    scenario(
        {f"toridaemon_pending{{{LABELS}}}": "3x40", f"toridaemon_last_success_timestamp_seconds{{{LABELS}}}": "0x40",
         f"process_start_time_seconds{{{LABELS}}}": "0x40"},
        [("10m", "ToridaemonNoProgress", None), ("20m", "ToridaemonNoProgress", "critical")],
    ),
    scenario(
        {f"toridaemon_pending{{{LABELS}}}": "3x40", f"toridaemon_last_success_timestamp_seconds{{{LABELS}}}": "0x40",
         f"process_start_time_seconds{{{LABELS}}}": "600x40"},
        [("20m", "ToridaemonNoProgress", None), ("30m", "ToridaemonNoProgress", "critical")],
    ),
    # Blocked for five minutes fires, with its reason; a block that clears sooner does not.
    scenario(
        {f"toridaemon_blocked{{{LABELS}}}": "1x20"},
        [("3m", "ToridaemonBlocked", None), ("8m", "ToridaemonBlocked", "critical")],
    ),
    scenario(
        {f"toridaemon_blocked{{{LABELS}}}": "1 1 1 0x20"},
        [("8m", "ToridaemonBlocked", None)],
    ),
    # Half the files failing fires; one in ten does not.
    scenario(
        {f'toridaemon_files_completed_total{{outcome="failed", {LABELS}}}': "0+1x40",
         f'toridaemon_files_completed_total{{outcome="done", {LABELS}}}': "0+1x40"},
        [("30m", "ToridaemonHighFailureRatio", "warning")],
    ),
    scenario(
        {f'toridaemon_files_completed_total{{outcome="failed", {LABELS}}}': "0+1x40",
         f'toridaemon_files_completed_total{{outcome="done", {LABELS}}}': "0+9x40"},
        [("30m", "ToridaemonHighFailureRatio", None)],
    ),
    # Work in flight with no completion for 30 minutes fires; steady completions do not.
    scenario(
        {f"toridaemon_in_flight{{{LABELS}}}": "1x60",
         f'toridaemon_files_completed_total{{outcome="done", {LABELS}}}': "5x60"},
        [("40m", "ToridaemonInFlightStuck", "critical")],
    ),
    scenario(
        {f"toridaemon_in_flight{{{LABELS}}}": "1x60",
         f'toridaemon_files_completed_total{{outcome="done", {LABELS}}}': "0+1x60"},
        [("40m", "ToridaemonInFlightStuck", None)],
    ),
    # A rejected reload alerts for ten minutes, then clears.
    scenario(
        {f'toridaemon_config_reloads_total{{result="failure", {LABELS}}}': "0 0 0 1x30"},
        [("5m", "ToridaemonReloadFailed", "warning"), ("25m", "ToridaemonReloadFailed", None)],
        result="failure",
    ),
    scenario(
        {f"toridaemon_watcher_up{{{LABELS}}}": "1 1 0x10", f"up{{{LABELS}}}": "1 1 0x10"},
        [("1m", "ToridaemonWatcherDown", None), ("6m", "ToridaemonWatcherDown", "critical"),
         ("6m", "ToridaemonScrapeDown", "critical")],
    ),
]


@needs_promtool
def test_alerts_fire_and_stay_silent_as_documented(tmp_path: Path) -> None:
    # promtool compares annotations too; they are prose, so the copy under test drops them.
    groups = yaml.safe_load((DEPLOY / "alerts.yml").read_text())["groups"]
    for group in groups:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    (tmp_path / "alerts.yml").write_text(yaml.safe_dump({"groups": groups}))
    tests = {"rule_files": ["alerts.yml"], "evaluation_interval": "1m", "tests": SCENARIOS}
    (tmp_path / "alerts_test.yml").write_text(yaml.safe_dump(tests))
    promtool("test", "rules", "alerts_test.yml", cwd=tmp_path)
