"""hypercorn's configuration for the server tests, as docs/how-to/web-servers.md shows it.

hypercorn uses loggers given here as they are (it gives its own handlers only to
loggers it makes from a file name), so errorlens.configure() can take them over.
"""

import logging

accesslog = logging.getLogger("hypercorn.access")
errorlog = logging.getLogger("hypercorn.error")
