"""Build the Grafana dashboards of this folder from code, with grafana-foundation-sdk.

    python dashboards/generate.py            # write errorlens-*.json beside this file
    python dashboards/generate.py --check    # exit 1 if a committed file is out of date

The SDK is pinned to its Grafana 11.6 line in the ``dev`` extra. The JSON is committed,
so Grafana users need neither Python nor the SDK; a test regenerates it and fails when
the committed files differ.

Every query reads what errorlens emits: the counter ``api.client.errors`` (Prometheus
``api_client_errors_total``), the histogram ``api.client.retry_after`` (seconds), JSON
log lines with an ``api_error`` object, and the spans errorlens marked.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from grafana_foundation_sdk.builders import common as c
from grafana_foundation_sdk.builders import dashboard as d
from grafana_foundation_sdk.builders import logs, loki, prometheus, stat, table, tempo, timeseries
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models import loki as lm
from grafana_foundation_sdk.models import prometheus as pm
from grafana_foundation_sdk.models import tempo as tm

HERE = Path(__file__).resolve().parent

PROMETHEUS = dm.DataSourceRef(type_val="prometheus", uid="${prometheus}")
LOKI = dm.DataSourceRef(type_val="loki", uid="${loki}")
TEMPO = dm.DataSourceRef(type_val="tempo", uid="${tempo}")

ERRORS = "api_client_errors_total"
RETRY_AFTER = "api_client_retry_after_seconds"
# The dashboard's filters, in every PromQL selector.
FILTER = 'job=~"$job", api_error_vendor=~"$vendor", api_error_category=~"$category"'
# Every JSON line errorlens writes for an API error carries api_error.retryable.
API_ERROR_LINES = (
    '{service_name=~"$service"} |= "$search" | json | api_error_retryable=~"true|false"'
)

Panel = cogbuilder.Builder[dm.Panel]
Placed = TypeVar("Placed", stat.Panel, timeseries.Panel, table.Panel, logs.Panel)


def selector(metric: str, *matchers: str) -> str:
    return f"{metric}{{{', '.join((FILTER, *matchers))}}}"


def rate(metric: str, *matchers: str, window: str = "$__rate_interval") -> str:
    return f"rate({selector(metric, *matchers)}[{window}])"


def share(matcher: str) -> str:
    """The share of the errors that ``matcher`` selects, as a ratio of rates."""
    return f"sum({rate(ERRORS, matcher)}) / sum({rate(ERRORS)})"


def share_by(label: str, matcher: str) -> str:
    """``share`` per value of ``label``; a value with errors but none selected shows 0."""
    errors = f"sum by ({label}) ({rate(ERRORS)})"
    return f"(sum by ({label}) ({rate(ERRORS, matcher)}) or 0 * {errors}) / {errors}"


def at(panel: Placed, panel_id: int, x: int, y: int, w: int, h: int) -> Placed:
    """Place a panel on Grafana's 24-column grid, with a stable id."""
    return panel.id(panel_id).grid_pos(dm.GridPos(x=x, y=y, w=w, h=h))


def row(title: str, panel_id: int, y: int) -> d.Row:
    return d.Row(title).id(panel_id).grid_pos(dm.GridPos(x=0, y=y, w=24, h=1))


def promql(expr: str, legend: str = "__auto", *, instant: bool = False) -> prometheus.Dataquery:
    query = (
        prometheus.Dataquery()
        .ref_id("A")
        .datasource(PROMETHEUS)
        .expr(expr)
        .legend_format(legend)
        .editor_mode(pm.QueryEditorMode.CODE)
    )
    if instant:
        return query.instant().format(pm.PromQueryFormat.TABLE)
    return query.range()


def thresholds(*steps: tuple[float | None, str]) -> d.ThresholdsConfig:
    return (
        d.ThresholdsConfig()
        .mode(dm.ThresholdsMode.ABSOLUTE)
        .steps([dm.Threshold(value=value, color=color) for value, color in steps])
    )


# Orange from a fifth, red from a half: the alert rules fire from a half (alerts.yml).
SHARE_STEPS = ((None, "green"), (0.2, "orange"), (0.5, "red"))


def stat_panel(
    title: str,
    description: str,
    expr: str,
    unit: str,
    decimals: int,
    *steps: tuple[float | None, str],
) -> stat.Panel:
    return (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .with_target(promql(expr))
        .unit(unit)
        .decimals(decimals)
        .color_scheme(d.FieldColor().mode(dm.FieldColorModeId.THRESHOLDS))
        .thresholds(thresholds(*(steps or ((None, "green"),))))
        .reduce_options(c.ReduceDataOptions().calcs(["lastNotNull"]).values(False).fields(""))
        .color_mode(cm.BigValueColorMode.VALUE)
        .graph_mode(cm.BigValueGraphMode.AREA)
    )


def series_panel(
    title: str, description: str, expr: str, legend: str, unit: str, *, stacked: bool = True
) -> timeseries.Panel:
    return (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .with_target(promql(expr, legend))
        .unit(unit)
        .min(0)
        .draw_style(cm.GraphDrawStyle.LINE)
        .line_width(1)
        .fill_opacity(25 if stacked else 0)
        .show_points(cm.VisibilityMode.NEVER)
        .span_nulls(False)
        .stacking(
            c.StackingConfig()
            .mode(cm.StackingMode.NORMAL if stacked else cm.StackingMode.NONE)
            .group("A")
        )
        .legend(
            c.VizLegendOptions()
            .display_mode(cm.LegendDisplayMode.TABLE)
            .placement(cm.LegendPlacement.RIGHT)
            .show_legend(True)
            .calcs(["mean", "max"])
        )
        .tooltip(
            c.VizTooltipOptions().mode(cm.TooltipDisplayMode.MULTI).sort(cm.SortOrder.DESCENDING)
        )
    )


def share_by_vendor_panel(title: str, description: str, matcher: str) -> timeseries.Panel:
    """A vendor's share of errors, with the alert threshold drawn as a dashed line."""
    return (
        series_panel(
            title,
            description,
            share_by("api_error_vendor", matcher),
            "{{api_error_vendor}}",
            "percentunit",
            stacked=False,
        )
        .max(1)
        .thresholds(thresholds(*SHARE_STEPS))
        .thresholds_style(c.GraphThresholdsStyleConfig().mode(cm.GraphThresholdsStyleMode.DASHED))
    )


def datasource_variable(name: str, label: str) -> d.DatasourceVariable:
    return (
        d.DatasourceVariable(name)
        .label(label)
        .type(name)
        .current(dm.VariableOption(text=name, value=name))
        .hide(dm.VariableHide.DONT_HIDE)
    )


def query_variable(
    name: str, label: str, source: dm.DataSourceRef, query: str, all_value: str
) -> d.QueryVariable:
    return (
        d.QueryVariable(name)
        .label(label)
        .datasource(source)
        .query(query)
        .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .include_all(True)
        .multi(True)
        .all_value(all_value)
        .current(dm.VariableOption(selected=True, text=["All"], value=["$__all"]))
        .sort(dm.VariableSort.ALPHABETICAL_ASC)
    )


def organize(names: dict[str, str], *, ordered: bool = False) -> dm.DataTransformerConfig:
    """A table transformation: drop the time column, rename the label columns, and
    with ``ordered`` put the columns in the order of ``names``."""
    options: dict[str, object] = {"excludeByName": {"Time": True}, "renameByName": names}
    if ordered:
        options["indexByName"] = {name: index for index, name in enumerate(names)}
    return dm.DataTransformerConfig(id_val="organize", options=options)


def with_rows(
    dashboard: d.Dashboard, layout: list[tuple[str, int, int, list[Panel]]]
) -> d.Dashboard:
    """Add each ``(row title, row id, row y, panels)``: the row, then its placed panels."""
    for title, panel_id, y, members in layout:
        dashboard = dashboard.with_row(row(title, panel_id, y))
        for panel in members:
            dashboard = dashboard.with_panel(panel)
    return dashboard


def base(uid: str, title: str, description: str, tags: list[str]) -> d.Dashboard:
    return (
        d.Dashboard(title)
        .annotation(
            d.AnnotationQuery()
            .name("Annotations & Alerts")
            .built_in(1)
            .type("dashboard")
            .datasource(dm.DataSourceRef(type_val="grafana", uid="-- Grafana --"))
            .enable(True)
            .hide(True)
            .icon_color("rgba(0, 211, 255, 1)")
        )
        .uid(uid)
        .description(description)
        .tags(["errorlens", "api-errors", *tags])
        .timezone("browser")
        .editable()
        .tooltip(dm.DashboardCursorSync.CROSSHAIR)
        .refresh("30s")
        .time("now-1h", "now")
        .link(
            d.DashboardLink("errorlens dashboards")
            .type(dm.DashboardLinkType.DASHBOARDS)
            .tags(["errorlens"])
            .as_dropdown(True)
            .include_vars(True)
            .keep_time(True)
        )
    )


# -- errorlens / API errors (Prometheus) ------------------------------------------------


def api_errors() -> d.Dashboard:
    all_errors = f"sum({rate(ERRORS)})"
    in_range = f"sum(increase({selector(ERRORS)}[$__range]))"
    top_codes = (
        "topk(20, sum by (api_error_vendor, api_error_code, http_response_status_code) "
        f"(increase({selector(ERRORS)}[$__range])))"
    )
    mean_wait = (
        f"sum by (api_error_vendor) ({rate(RETRY_AFTER + '_sum')}) "
        f"/ sum by (api_error_vendor) ({rate(RETRY_AFTER + '_count')})"
    )
    p95_wait = (
        f"histogram_quantile(0.95, sum by (le, api_error_vendor) ({rate(RETRY_AFTER + '_bucket')}))"
    )
    panels: list[Panel] = [
        at(stat_panel(
            "API errors / s",
            "All API errors errorlens recorded (counter api.client.errors), per second.",
            all_errors, "reqps", 2,
        ), 2, 0, 1, 5, 4),
        at(stat_panel(
            "API errors in range",
            "API errors over the selected time range.",
            in_range, "short", 0,
        ), 3, 5, 1, 5, 4),
        at(stat_panel(
            "Retryable share",
            "Share of errors worth retrying (429, 5xx but 501/505, documented overload "
            "codes, or the vendor said so).",
            share('api_error_retryable="true"'), "percentunit", 1,
        ), 4, 10, 1, 5, 4),
        at(stat_panel(
            "Rate limited (429) share",
            "Share of errors that are HTTP 429: the vendor asks you to slow down.",
            share('http_response_status_code="429"'), "percentunit", 1, *SHARE_STEPS,
        ), 5, 15, 1, 5, 4),
        at(stat_panel(
            "Server errors (5xx) share",
            "Share of errors the vendor's side caused (HTTP 5xx).",
            share('http_response_status_code=~"5.."'), "percentunit", 1, *SHARE_STEPS,
        ), 6, 20, 1, 4, 4),
        at(series_panel(
            "Errors / s by vendor",
            "Which vendors fail, over time. Alert ErrorlensApiErrorRateSpike fires when a "
            "vendor's rate triples against its previous hour.",
            f"sum by (api_error_vendor) ({rate(ERRORS)})", "{{api_error_vendor}}", "reqps",
        ), 7, 0, 5, 12, 8),
        at(series_panel(
            "Errors / s by HTTP status",
            "Status codes of the failed calls.",
            f"sum by (http_response_status_code) ({rate(ERRORS)})",
            "{{http_response_status_code}}", "reqps",
        ), 8, 12, 5, 12, 8),
        at(series_panel(
            "Retryable vs not",
            "Retryable errors usually need backoff; the others need a code or data fix.",
            f"sum by (api_error_retryable) ({rate(ERRORS)})",
            "retryable={{api_error_retryable}}", "reqps",
        ), 9, 0, 13, 12, 7),
        at(top_codes_panel(top_codes), 10, 12, 13, 12, 7),
        at(share_by_vendor_panel(
            "Rate-limited share of errors by vendor (429, 529)",
            "Of each vendor's errors, the share that are 429 (rate limited) or 529 "
            "(overloaded). errorlens counts failed calls only, so this is a share of errors, "
            "not of requests. Alert ErrorlensApiRateLimitStorm fires above the dashed line.",
            'http_response_status_code=~"429|529"',
        ), 15, 0, 21, 12, 8),
        at(share_by_vendor_panel(
            "Server-error share of errors by vendor (5xx but 529)",
            "Of each vendor's errors, the share that are 5xx, 529 (overloaded) left to the "
            "rate-limit panel. Alert ErrorlensApiServerErrorShare fires above the dashed line.",
            'http_response_status_code=~"5..", http_response_status_code!="529"',
        ), 16, 12, 21, 12, 8),
        at(series_panel(
            "Mean retry-after by vendor",
            "How long vendors asked the client to wait (histogram api.client.retry_after, "
            "seconds).",
            mean_wait, "{{api_error_vendor}}", "s", stacked=False,
        ), 12, 0, 30, 12, 8),
        at(series_panel(
            "p95 retry-after by vendor",
            "95th percentile of the wait the vendors asked for (bucket interpolation).",
            p95_wait, "{{api_error_vendor}}", "s", stacked=False,
        ), 13, 12, 30, 12, 8),
        at(series_panel(
            "Errors / s by category",
            "What kind of failure: auth and quota need someone now (alerts "
            "ErrorlensApiAuthFailing, ErrorlensApiQuotaExhausted), rate_limit needs backoff "
            "(ErrorlensApiRateLimited), validation and not_found need a code or data fix, "
            "payment is the customer's card.",
            f"sum by (api_error_category) ({rate(ERRORS)})", "{{api_error_category}}", "reqps",
        ), 18, 0, 39, 12, 8),
        at(category_table_panel(
            "topk(20, sum by (api_error_category, api_error_vendor) "
            f"(increase({selector(ERRORS)}[$__range])))"
        ), 19, 12, 39, 12, 8),
    ]  # fmt: skip
    dashboard = (
        base(
            "errorlens-api-errors",
            "errorlens / API errors",
            "API errors from third-party vendors, recorded by errorlens (counter "
            "api.client.errors, histogram api.client.retry_after).",
            ["prometheus"],
        )
        .with_variable(datasource_variable("prometheus", "Prometheus"))
        .with_variable(query_variable(
            "job", "Job", PROMETHEUS, f"label_values({ERRORS}, job)", ".*"
        ))
        .with_variable(query_variable(
            "vendor", "Vendor", PROMETHEUS,
            f'label_values({ERRORS}{{job=~"$job"}}, api_error_vendor)', ".*",
        ))
        .with_variable(query_variable(
            "category", "Category", PROMETHEUS,
            f'label_values({ERRORS}{{job=~"$job"}}, api_error_category)', ".*",
        ))
        .annotation(
            d.AnnotationQuery()
            .name("errorlens alerts")
            .datasource(PROMETHEUS)
            .enable(True)
            .icon_color("red")
            .expr('ALERTS{alertname=~"ErrorlensApi.+", alertstate="firing"}')
        )
    )  # fmt: skip
    return with_rows(
        dashboard,
        [
            ("Overview", 1, 0, panels[:9]),
            ("Alert signals", 14, 20, panels[9:11]),
            ("Retry-after", 11, 29, panels[11:13]),
            ("Categories", 17, 38, panels[13:]),
        ],
    )


def ranked_table_panel(
    title: str, description: str, expr: str, columns: dict[str, str]
) -> table.Panel:
    """An instant table of counts, most first, its label columns renamed and ordered."""
    return (
        table.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .with_target(promql(expr, instant=True))
        .decimals(0)
        .show_header(True)
        .sort_by([c.TableSortByFieldState().display_name("errors").desc(True)])
        .with_transformation(organize({**columns, "Value": "errors"}, ordered=True))
    )


def category_table_panel(expr: str) -> table.Panel:
    return ranked_table_panel(
        "Errors in range by category and vendor",
        "category · vendor, most frequent first, over the selected range.",
        expr,
        {"api_error_category": "category", "api_error_vendor": "vendor"},
    )


def top_codes_panel(expr: str) -> table.Panel:
    return ranked_table_panel(
        "Top error codes in range",
        "vendor · code · status, most frequent first, over the selected range.",
        expr,
        {
            "api_error_vendor": "vendor",
            "api_error_code": "code",
            "http_response_status_code": "status",
        },
    )


# -- errorlens / API error logs and traces (Loki, Tempo) -------------------------------


def logql(expr: str, legend: str | None = None, *, instant: bool = False) -> loki.Dataquery:
    query = (
        loki.Dataquery()
        .ref_id("A")
        .datasource(LOKI)
        .expr(expr)
        .editor_mode(lm.QueryEditorMode.CODE)
        .query_type("instant" if instant else "range")
    )
    return query.legend_format(legend) if legend else query


def traceql(query: str) -> tempo.TempoQuery:
    return (
        tempo.TempoQuery()
        .ref_id("A")
        .datasource(TEMPO)
        .query_type("traceql")
        .query(query)
        .limit(50)
        .table_type(tm.SearchTableType.TRACES)
    )


def spans_panel(title: str, description: str, query: str) -> table.Panel:
    return (
        table.Panel()
        .title(title)
        .description(description)
        .datasource(TEMPO)
        .with_target(traceql(query))
        .show_header(True)
    )


def logs_traces() -> d.Dashboard:
    by_vendor = f"sum by (api_error_vendor) (count_over_time({API_ERROR_LINES} [$__auto]))"
    top_codes = (
        "topk(20, sum by (api_error_vendor, api_error_code, api_error_status) "
        f"(count_over_time({API_ERROR_LINES} [$__range])))"
    )
    panels: list[Panel] = [
        at(
            timeseries.Panel()
            .title("Logged API errors by vendor")
            .description(
                "Log lines that carry an api_error, per vendor (JSON lines: api_error.vendor; "
                "OTLP logs: the api_error_vendor attribute)."
            )
            .datasource(LOKI)
            .with_target(logql(by_vendor, "{{api_error_vendor}}"))
            .unit("short")
            .min(0)
            .draw_style(cm.GraphDrawStyle.BARS)
            .fill_opacity(60)
            .line_width(1)
            .show_points(cm.VisibilityMode.NEVER)
            .stacking(c.StackingConfig().mode(cm.StackingMode.NORMAL).group("A"))
            .legend(
                c.VizLegendOptions()
                .display_mode(cm.LegendDisplayMode.LIST)
                .placement(cm.LegendPlacement.BOTTOM)
                .show_legend(True)
            )
            .tooltip(
                c.VizTooltipOptions().mode(cm.TooltipDisplayMode.MULTI).sort(cm.SortOrder.DESCENDING)
            ),
            2, 0, 1, 14, 8,
        ),
        at(
            table.Panel()
            .title("Logged error codes in range")
            .description(
                "vendor · code · status of the logged API errors, most frequent first: "
                "search one in the box below to see its lines."
            )
            .datasource(LOKI)
            .with_target(logql(top_codes, instant=True))
            .show_header(True)
            .with_transformation(
                organize({
                    "api_error_vendor": "vendor",
                    "api_error_code": "code",
                    "api_error_status": "status",
                })
            ),
            7, 14, 1, 10, 8,
        ),
        at(
            logs.Panel()
            .title("API error log lines")
            .description(
                "Every line with an api_error object: code, message, request id, retry-after. "
                "Filter with the search box (a request id, a code)."
            )
            .datasource(LOKI)
            .with_target(logql(API_ERROR_LINES))
            .show_time(True)
            .wrap_log_message(True)
            .prettify_log_message(False)
            .enable_log_details(True)
            .dedup_strategy(cm.LogsDedupStrategy.NONE)
            .sort_order(cm.LogsSortOrder.DESCENDING)
            .show_labels(False)
            .show_common_labels(False),
            3, 0, 9, 24, 12,
        ),
        at(spans_panel(
            "Spans that met an API error",
            "Spans errorlens marked: status error, error.type set to the vendor's code (or "
            "status), an exception event with the api_error.* attributes. Click a trace id to "
            "open it.",
            '{ resource.service.name =~ "${service:regex}" && status = error '
            '&& span.error.type != "" }',
        ), 5, 0, 22, 24, 10),
        at(spans_panel(
            "Rate-limited calls (429)",
            "Spans whose vendor answered 429: look at api_error.retry_after on the exception "
            "event.",
            '{ resource.service.name =~ "${service:regex}" '
            "&& span.http.response.status_code = 429 }",
        ), 6, 0, 32, 24, 8),
    ]  # fmt: skip
    dashboard = (
        base(
            "errorlens-logs-traces",
            "errorlens / API error logs and traces",
            "Log lines carrying an api_error object (Loki) and the spans errorlens marked "
            "(Tempo).",
            ["loki", "tempo"],
        )
        .with_variable(datasource_variable("loki", "Loki"))
        .with_variable(datasource_variable("tempo", "Tempo"))
        .with_variable(query_variable(
            "service", "Service", LOKI, "label_values(service_name)", ".+"
        ))
        .with_variable(
            d.TextBoxVariable("search").label("Search").hide(dm.VariableHide.DONT_HIDE)
        )
    )  # fmt: skip
    return with_rows(
        dashboard,
        [("Logs (Loki)", 1, 0, panels[:3]), ("Traces (Tempo)", 4, 21, panels[3:])],
    )


# -- files ----------------------------------------------------------------------------

DASHBOARDS: dict[str, Callable[[], d.Dashboard]] = {
    "errorlens-api-errors.json": api_errors,
    "errorlens-logs-traces.json": logs_traces,
}


def render(dashboard: d.Dashboard) -> str:
    return JSONEncoder(sort_keys=True, indent=2).encode(dashboard.build()) + "\n"


def rendered() -> dict[Path, str]:
    """Each dashboard file's path and the text it must hold."""
    return {HERE / name: render(build()) for name, build in DASHBOARDS.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a file is out of date")
    args = parser.parse_args(argv)
    stale = [path for path, text in rendered().items() if not _holds(path, text)]
    if args.check:
        for path in stale:
            print(f"{path.name} is out of date: run python dashboards/generate.py", file=sys.stderr)
        return 1 if stale else 0
    for path, text in rendered().items():
        path.write_text(text, encoding="utf-8")
    return 0


def _holds(path: Path, text: str) -> bool:
    return path.exists() and path.read_text(encoding="utf-8") == text


if __name__ == "__main__":
    sys.exit(main())
