"""The mss-qa web app: chat UI at /, HTTP API under /v1, its docs at /docs.

    python ui.py [--host 127.0.0.1] [--port 8000]   # serve it and open the chat (`mss-qa ui`)
    uvicorn ui:app                                 # or serve `app` with any ASGI server

Settings come from `MSS_QA_*` environment variables, as everywhere else.
"""

from __future__ import annotations

if __name__ == "__main__":
    from mss_qa.apps.cli import ui

    ui()
else:
    from mss_qa.apps.api import create_app

    app = create_app()
