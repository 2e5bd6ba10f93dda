"""The Import and export page: take everything out as a zip, bring conversations in.
Its script does the work through the JSON API (`/api/v1/exports`, `/api/v1/imports`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from py_app.deps import RuntimeDep
from py_app.pages.templating import SignedIn, render

router = APIRouter(include_in_schema=False)


@router.get("/settings/data")
async def data_page(request: Request, viewer: SignedIn, runtime: RuntimeDep) -> HTMLResponse:
    limit = runtime.settings.max_import_bytes
    return render(
        request,
        "data.html",
        viewer,
        max_import_bytes=limit,
        max_import_mb=max(limit // (1024 * 1024), 1),
    )
