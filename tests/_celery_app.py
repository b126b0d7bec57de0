"""A Celery app for the server tests: the recipe of docs/how-to/web-servers.md.

The broker is a folder (kombu's filesystem transport), ``CELERY_TEST_BROKER_DIR``:
no broker server needed. The task logs inside a span; the pool process that runs it
must flush that span when the worker stops.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery
from celery.signals import worker_process_shutdown, worker_shutdown
from opentelemetry import trace

import errorlens

errorlens.configure(service="shop-worker", otel=True)
_folder = os.environ["CELERY_TEST_BROKER_DIR"]
app = Celery(
    "shop",
    broker="filesystem://",
    broker_transport_options={
        "data_folder_in": _folder,
        "data_folder_out": _folder,
        "processed_folder": _folder,
    },
)
app.conf.worker_hijack_root_logger = False  # errorlens's handler stays


@worker_process_shutdown.connect
def flush_pool_process(**kwargs: Any) -> None:
    errorlens.unconfigure()


@worker_shutdown.connect
def flush_main_process(**kwargs: Any) -> None:
    errorlens.unconfigure()


@app.task
def charge() -> str:
    with trace.get_tracer("shop.worker").start_as_current_span("charge task"):
        logging.getLogger("shop.worker").warning("charging from a task")
    return "charged"
