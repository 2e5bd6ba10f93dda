"""`/docs`: Swagger UI over `/openapi.json`, served from the installed fastapi-swagger
package (a current Swagger UI 5, which reads OpenAPI 3.1) rather than a CDN, so the docs
work offline and under a CSP with no inline script. Only its assets are used; the page
and its start-up script are ours."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from py_app.openai_api.errors import document_openai_statuses

ASSETS = "/docs/assets"

router = APIRouter(include_in_schema=False)

_PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>py-app API</title>
  <link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="/openapi.json"></div>
  <script src="{ASSETS}/swagger-ui-bundle.js"></script>
  <script src="/static/js/api-docs.js"></script>
</body>
</html>
"""


@router.get("/docs")
async def docs() -> HTMLResponse:
    return HTMLResponse(_PAGE)


def install_api_docs(app: FastAPI) -> None:
    """Serve `/docs` (create the app with `docs_url=None` so FastAPI's CDN page is off)."""
    app.include_router(router)
    document_openai_statuses(app)
    assets = files("fastapi_swagger") / "resources"
    app.mount(ASSETS, StaticFiles(directory=str(assets)), name="docs")
