"""The web servers' own loggers, brought into the one stream configure() renders.

uvicorn, gunicorn, hypercorn and werkzeug give their loggers handlers of their own
(plain text) and stop them from propagating, so their lines, access lines included,
would sit beside the JSON lines in another format. While configured, those handlers
are set aside and the loggers propagate to the root logger's handler; unconfigure()
gives every logger back what it had.
"""

from __future__ import annotations

import logging

__all__ = ["SERVER_LOGGERS", "Saved", "give_back", "take_over"]

SERVER_LOGGERS = (
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "gunicorn",
    "gunicorn.error",
    "gunicorn.access",
    "hypercorn",
    "hypercorn.error",
    "hypercorn.access",
    "werkzeug",
)

# Logger name -> (its handlers, its propagate flag) before configure() took it over.
Saved = dict[str, tuple[list[logging.Handler], bool]]


class _DropColorMessage(logging.Filter):
    """uvicorn adds ``color_message``, its message with terminal colour codes, to its
    records for its own formatter: in a JSON line it would repeat the message, escaped."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.__dict__.pop("color_message", None)
        return True


_drop_color_message = _DropColorMessage()


def take_over(saved: Saved) -> Saved:
    """Make the server loggers propagate without handlers of their own.

    ``saved`` is what an earlier call set aside (kept: a second configure() must not
    save errorlens's own changes as the servers' setup).
    """
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        if name not in saved:
            saved[name] = (list(logger.handlers), logger.propagate)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.propagate = True
        if name.startswith("uvicorn"):
            logger.addFilter(_drop_color_message)
    return saved


def give_back(saved: Saved) -> None:
    """Restore the handlers and propagate flags that :func:`take_over` set aside."""
    for name, (handlers, propagate) in saved.items():
        logger = logging.getLogger(name)
        for handler in handlers:
            if handler not in logger.handlers:
                logger.addHandler(handler)
        logger.propagate = propagate
        logger.removeFilter(_drop_color_message)
    saved.clear()
