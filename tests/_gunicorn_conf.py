"""gunicorn's configuration for the server tests, as docs/how-to/web-servers.md shows it.

Without ``--preload`` the master never imports the application, so its own lines
(workers booted, signals handled, the stop) would stay in gunicorn's format. Its
``on_starting`` hook runs in the master once gunicorn has set its loggers up.
"""

import errorlens


def on_starting(server: object) -> None:
    errorlens.configure(service="shop-web")
