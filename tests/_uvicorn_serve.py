"""uvicorn with --workers, started from Python, as docs/how-to/web-servers.md shows it.

``uvicorn --workers N`` on the command line keeps a supervising process that never
imports the application, so its own lines would stay in uvicorn's format. Started from
a script that configures errorlens first, the supervisor writes them in the
application's format; each worker imports the application, whose ``configure()`` runs
there as usual. The guard matters: the workers are spawned, and re-import this module.
"""

import sys

import uvicorn

import errorlens

if __name__ == "__main__":
    port, app_dir = int(sys.argv[1]), sys.argv[2]
    errorlens.configure(service="shop-api")
    uvicorn.run(
        "fastapi_app:app",
        host="127.0.0.1",
        port=port,
        workers=2,
        app_dir=app_dir,
        log_config=None,  # logging is errorlens's, in the supervisor as in the workers
    )
