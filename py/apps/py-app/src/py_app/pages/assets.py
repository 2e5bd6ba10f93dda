"""What the pages load besides templates and static files: the favicon at the address
browsers ask for, the code colours generated from Pygments, and the rendering of a
reply's Markdown while it streams."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import BaseModel, ConfigDict

from py_app.deps import CurrentUser
from py_app.pages.markdown import code_css, render_markdown

router = APIRouter(include_in_schema=False)

STATIC_DIR = Path(__file__).resolve().parents[3] / "static"
# The generated stylesheet changes only with a new release (a new Pygments).
_CSS_CACHE = "public, max-age=3600"


@router.get("/favicon.ico")
async def favicon() -> FileResponse:
    return FileResponse(
        STATIC_DIR / "favicon.ico",
        media_type="image/x-icon",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/assets/code.css")
async def code_stylesheet() -> Response:
    return Response(code_css(), media_type="text/css", headers={"Cache-Control": _CSS_CACHE})


class MarkdownIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    """Markdown, as far as a reply has streamed (the request body limit bounds it)."""


@router.post("/render/markdown")
async def render_preview(body: MarkdownIn, user: CurrentUser) -> HTMLResponse:
    """The HTML of a reply so far, rendered exactly as a stored message is, so the text a
    page shows while a reply streams turns into the final rendering without a jump.
    Signed in (with the CSRF header), as it serves only the app's own pages."""
    return HTMLResponse(str(render_markdown(body.text)))
