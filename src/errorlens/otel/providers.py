"""setup() and shutdown(): SDK providers and exporters from the ``OTEL_*`` variables."""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from opentelemetry import _logs, metrics, trace

from errorlens._internal.guard import guarded, internal_logger, report_internal
from errorlens._internal.shutdown import Step, budget_from, remaining, run_within
from errorlens.otel.logs import LogHandler
from errorlens.otel.metrics import forget_instruments, is_api_default

__all__ = ["setup", "shutdown"]

# Without OTEL_EXPORTER_OTLP_*TIMEOUT, the SDK waits 10 s per export; a collector that
# is down should cost less than that at shutdown.
_DEFAULT_EXPORT_TIMEOUT = 5.0


class _Installed:
    """What :func:`setup` put in place, so :func:`shutdown` can take exactly that away."""

    def __init__(self) -> None:
        self.tracer_provider: Any = None
        self.meter_provider: Any = None
        self.logger_provider: Any = None
        self.handler: LogHandler | None = None
        self.prometheus_server: Any = None


_setup_lock = threading.Lock()
_installed: _Installed | None = None


def setup(service: str | None = None, *, logs: bool = True) -> logging.Handler | None:
    """Install OpenTelemetry SDK providers that export over OTLP, where none is set.

    Providers the application already set are used as they are; only the ones still at
    the API's defaults are replaced, each by an SDK provider with a batch processor (or
    periodic reader) and the exporter that ``OTEL_TRACES_EXPORTER`` /
    ``OTEL_METRICS_EXPORTER`` / ``OTEL_LOGS_EXPORTER`` name (``otlp`` by default;
    ``console``, ``prometheus`` for metrics, ``none``). Endpoint, headers, timeout and
    resource come from the standard ``OTEL_*`` variables; ``service`` names the service
    when ``OTEL_SERVICE_NAME`` does not. ``OTEL_SDK_DISABLED=true`` turns it all off.

    Returns a :class:`LogHandler` to add to your loggers so log lines travel as
    OpenTelemetry log records, or None (``logs=False``, no SDK, or an OpenTelemetry
    handler already on the root logger). Idempotent: a second call returns the same
    handler. :func:`shutdown` undoes it. Never raises.

    .. versionadded:: 0.1.0
    """
    global _installed  # noqa: PLW0603
    with _setup_lock:
        if _installed is not None:
            return _installed.handler
        if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
            return None
        try:
            from opentelemetry.sdk.resources import Resource
        except ImportError:
            internal_logger.warning(
                "OpenTelemetry export needs the SDK: pip install 'errorlens[otel]'"
            )
            return None
        installed = _Installed()
        try:
            resource = Resource.create()
            if service and str(resource.attributes.get("service.name", "")).startswith(
                "unknown_service"
            ):
                resource = resource.merge(Resource({"service.name": service}))
            with guarded("installing an OpenTelemetry tracer provider"):
                _install_tracing(installed, resource)
            with guarded("installing an OpenTelemetry meter provider"):
                _install_metrics(installed, resource)
            if logs:
                with guarded("installing an OpenTelemetry logger provider"):
                    _install_logs(installed, resource)
                installed.handler = _bridge_handler()
        except Exception:
            report_internal("setting up OpenTelemetry")
        _installed = installed
        return installed.handler


def _exporter_names(signal: str) -> list[str]:
    raw = os.environ.get(f"OTEL_{signal.upper()}_EXPORTER", "otlp")
    return [name.strip().lower() for name in raw.split(",") if name.strip()]


def _timeout(signal: str) -> float | None:
    """An explicit timeout only when the environment sets none."""
    if os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_TIMEOUT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_TIMEOUT"
    ):
        return None
    return _DEFAULT_EXPORT_TIMEOUT


def _otlp_protocol(signal: str) -> str:
    return (
        (
            os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_PROTOCOL")
            or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
            or "http/protobuf"
        )
        .strip()
        .lower()
    )


def _otlp_exporter(signal: str) -> Any:
    """The OTLP/HTTP exporter for ``signal``, or None (with a warning) when missing."""
    if _otlp_protocol(signal) == "grpc":
        internal_logger.warning(
            "errorlens.otel.setup exports over OTLP/HTTP; OTEL_EXPORTER_OTLP_PROTOCOL=grpc"
            " is not supported and was ignored"
        )
    try:
        if signal == "traces":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            return OTLPSpanExporter(timeout=_timeout(signal))
        if signal == "metrics":
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
                OTLPMetricExporter,
            )

            return OTLPMetricExporter(timeout=_timeout(signal))
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter

        return OTLPLogExporter(timeout=_timeout(signal))
    except ImportError:
        internal_logger.warning(
            "OTLP export of %s needs opentelemetry-exporter-otlp-proto-http:"
            " pip install 'errorlens[otel]'",
            signal,
        )
        return None


def _install_tracing(installed: _Installed, resource: Any) -> None:
    if not is_api_default(
        trace.get_tracer_provider(), "ProxyTracerProvider", trace.NoOpTracerProvider
    ):
        return  # the application's own: use it, change nothing
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    provider = TracerProvider(resource=resource, shutdown_on_exit=False)
    for exporter in _exporters("traces", ConsoleSpanExporter):
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    installed.tracer_provider = provider


def _install_metrics(installed: _Installed, resource: Any) -> None:
    if not is_api_default(
        metrics.get_meter_provider(), "_ProxyMeterProvider", metrics.NoOpMeterProvider
    ):
        return
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import (
        ConsoleMetricExporter,
        MetricReader,
        PeriodicExportingMetricReader,
    )

    readers: list[MetricReader] = []
    for name in _exporter_names("metrics"):
        if name == "otlp":
            metric_exporter = _otlp_exporter("metrics")
            if metric_exporter is not None:
                readers.append(PeriodicExportingMetricReader(metric_exporter))
        elif name == "console":
            readers.append(PeriodicExportingMetricReader(ConsoleMetricExporter()))
        elif name == "prometheus":
            # On its own: a port in use must not cost the other readers.
            with guarded("starting the Prometheus metrics endpoint"):
                reader = _prometheus_reader(installed)
                if reader is not None:
                    readers.append(reader)
        elif name != "none":
            _warn_exporter("metrics", name)
    provider = MeterProvider(resource=resource, metric_readers=readers, shutdown_on_exit=False)
    metrics.set_meter_provider(provider)
    installed.meter_provider = provider


def _prometheus_reader(installed: _Installed) -> Any:
    """A Prometheus reader and its scrape endpoint, as the OTel auto-configuration does.

    None (with a warning) when the exporter is not installed.
    """
    try:
        from opentelemetry.exporter.prometheus import PrometheusMetricReader
        from prometheus_client import start_http_server
    except ImportError:
        internal_logger.warning("Prometheus metrics need: pip install 'errorlens[otel]'")
        return None
    host = os.environ.get("OTEL_EXPORTER_PROMETHEUS_HOST", "localhost")
    port = int(os.environ.get("OTEL_EXPORTER_PROMETHEUS_PORT", "9464"))
    # The endpoint first: a port in use leaves no reader registered with nothing to serve it.
    started = start_http_server(port, addr=host)
    installed.prometheus_server = started[0] if isinstance(started, tuple) else None
    return PrometheusMetricReader()


def _install_logs(installed: _Installed, resource: Any) -> None:
    if not is_api_default(
        _logs.get_logger_provider(), "ProxyLoggerProvider", _logs.NoOpLoggerProvider
    ):
        return
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs import export as logs_export

    provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
    # Renamed in SDK 1.39 (ConsoleLogExporter before).
    console = (
        getattr(logs_export, "ConsoleLogRecordExporter", None) or logs_export.ConsoleLogExporter
    )
    for exporter in _exporters("logs", console):
        provider.add_log_record_processor(logs_export.BatchLogRecordProcessor(exporter))
    _logs.set_logger_provider(provider)
    installed.logger_provider = provider


def _bridge_handler() -> LogHandler | None:
    if is_api_default(_logs.get_logger_provider(), "ProxyLoggerProvider", _logs.NoOpLoggerProvider):
        return None  # no logger provider: the records would go nowhere
    for handler in logging.getLogger().handlers:
        if isinstance(handler, LogHandler) or type(handler).__module__.startswith("opentelemetry"):
            return None  # the application already bridges its logs
    return LogHandler()


def _exporters(signal: str, console: Callable[[], Any]) -> list[Any]:
    """The span or log exporters ``OTEL_<signal>_EXPORTER`` names (otlp, console, none)."""
    found: list[Any] = []
    for name in _exporter_names(signal):
        if name == "otlp":
            exporter = _otlp_exporter(signal)
            if exporter is not None:
                found.append(exporter)
        elif name == "console":
            found.append(console())
        elif name != "none":
            _warn_exporter(signal, name)
    return found


def _warn_exporter(signal: str, name: str) -> None:
    internal_logger.warning("unknown %s exporter %r ignored", signal, name)


def shutdown(timeout: float | None = None) -> None:
    """Flush and remove what :func:`setup` installed; the application's own stays.

    The providers flush side by side within one budget of ``timeout`` seconds in all
    (default: ``configure(shutdown_timeout=)``, ``ERRORLENS_SHUTDOWN_TIMEOUT``, else
    2 s), so a collector that is down or hangs costs that budget once, not one export
    timeout per signal. Providers that have not finished by then are left behind,
    named in a warning. errorlens's providers are made without their own exit hooks:
    ``configure()`` shuts them down at exit within the same budget. Tracers and meters
    already obtained from them keep them (shut down, so no-ops). Never raises.
    """
    steps = shutdown_steps()
    if steps:
        run_within(budget_from(timeout), steps)
    forget_providers()


def shutdown_steps() -> dict[str, Step]:
    """What shutting errorlens's OpenTelemetry setup down takes, one step per provider.

    The setup is forgotten at once (a second call finds nothing); the global providers
    are put back by :func:`forget_providers` once the steps ran.
    """
    global _installed, _leaving  # noqa: PLW0603
    with _setup_lock:
        installed, _installed = _installed, None
    if installed is None:
        return {}
    _leaving = installed
    if installed.handler is not None:
        with guarded("closing the OpenTelemetry log handler"):
            installed.handler.close()
    steps: dict[str, Step] = {}
    if installed.tracer_provider is not None:
        steps["OpenTelemetry traces"] = _flush_then_stop(installed.tracer_provider)
    if installed.meter_provider is not None:
        steps["OpenTelemetry metrics"] = _stop_meters(installed.meter_provider)
    if installed.logger_provider is not None:
        steps["OpenTelemetry logs"] = _flush_then_stop(installed.logger_provider)
    return steps


_leaving: _Installed | None = None


def forget_providers() -> None:
    """Put the API's global providers back and stop the Prometheus endpoint."""
    global _leaving
    installed, _leaving = _leaving, None
    if installed is None:
        return
    # The API modules that hold each global provider (private: looked up when restoring).
    globals_of = (
        (installed.tracer_provider, "opentelemetry.trace", "_TRACER_PROVIDER"),
        (installed.meter_provider, "opentelemetry.metrics._internal", "_METER_PROVIDER"),
        (installed.logger_provider, "opentelemetry._logs._internal", "_LOGGER_PROVIDER"),
    )
    for provider, module, attr in globals_of:
        if provider is not None:
            with guarded("restoring an OpenTelemetry global provider"):
                _restore_global(importlib.import_module(module), attr, provider)
    if installed.prometheus_server is not None:
        with guarded("stopping the Prometheus endpoint"):
            installed.prometheus_server.shutdown()
            installed.prometheus_server.server_close()
    forget_instruments()


def _flush_then_stop(provider: Any) -> Step:
    def step(deadline: float) -> None:
        # force_flush takes the deadline; shutdown then has little left to send.
        provider.force_flush(int(remaining(deadline) * 1000))
        provider.shutdown()

    return step


def _stop_meters(provider: Any) -> Step:
    def step(deadline: float) -> None:
        provider.shutdown(timeout_millis=remaining(deadline) * 1000)

    return step


def _restore_global(module: Any, attr: str, provider: Any) -> None:
    # The API can set a global provider only once; putting back the unset state (as
    # OpenTelemetry's own test utilities do) lets setup() run again after shutdown().
    if getattr(module, attr, None) is not provider:
        return  # someone else's now
    from opentelemetry.util._once import Once

    setattr(module, attr + "_SET_ONCE", Once())
    setattr(module, attr, None)
