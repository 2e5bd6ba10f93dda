"""Exports and imports: one thread as a file, and background jobs for everything.

GET  /api/v1/threads/{id}/export?format=markdown|json
POST /api/v1/exports  GET /api/v1/exports/{id}  GET .../download  POST .../cancel
POST /api/v1/imports (multipart, field `file`)  GET /api/v1/imports/{id}  POST .../cancel
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse
from starlette.datastructures import UploadFile

from py_app.api.portability_schemas import JobOut, JobsOut
from py_app.api.schemas import AUTHENTICATED_ERRORS, error_responses
from py_app.deps import OwnedThread, RuntimeDep, UserContext, check_id
from py_app.errors import ApiError
from py_core.database.models import JobKind
from py_core.errors import InvalidInput
from py_core.portability import (
    DownloadExport,
    ExportThread,
    GetJob,
    ListJobs,
    StartExport,
    StartImport,
    cancel_job,
    export_download,
    export_thread,
    get_job,
    list_jobs,
    start_export,
    start_import,
)

IMPORTS_PATH = "/api/v1/imports"
"""The one route whose body may be larger than `MAX_BODY_BYTES` (up to an upload)."""

threads_router = APIRouter(
    prefix="/api/v1/threads", tags=["threads"], responses=AUTHENTICATED_ERRORS
)
router = APIRouter(prefix="/api/v1", tags=["exports and imports"], responses=AUTHENTICATED_ERRORS)


@threads_router.get("/{thread_id}/export", response_class=Response)
async def get_thread_export(
    thread: OwnedThread,
    ctx: UserContext,
    format: Annotated[Literal["markdown", "json"], Query()] = "json",
) -> Response:
    """The thread as a file: `json` (our format: every branch, lossless) or `markdown`
    (the branch it shows)."""
    export = await export_thread(ExportThread(thread_id=thread.id, format=format), ctx)
    return Response(
        export.body,
        media_type=export.media_type,
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )


@router.post("/exports", status_code=202, responses=error_responses(409))
async def post_export(ctx: UserContext, runtime: RuntimeDep) -> JobOut:
    """Start an export of all my threads and my account (no secrets): a zip, ready
    when the job is `complete`, downloadable until `expires_at`."""
    job = await start_export(StartExport(files=runtime.files), ctx)
    ctx.after_commit(runtime.jobs.wake)
    return JobOut.of(job)


@router.get("/exports")
async def get_exports(ctx: UserContext) -> JobsOut:
    """My newest exports."""
    return JobsOut(
        items=[JobOut.of(j) for j in await list_jobs(ListJobs(kind=JobKind.EXPORT), ctx)]
    )


@router.get("/imports")
async def get_imports(ctx: UserContext) -> JobsOut:
    """My newest imports."""
    return JobsOut(
        items=[JobOut.of(j) for j in await list_jobs(ListJobs(kind=JobKind.IMPORT), ctx)]
    )


@router.get("/exports/{job_id}")
async def get_export(job_id: str, ctx: UserContext) -> JobOut:
    return JobOut.of(await get_job(_job(job_id, JobKind.EXPORT), ctx))


@router.post("/exports/{job_id}/cancel")
async def post_export_cancel(job_id: str, ctx: UserContext) -> JobOut:
    return JobOut.of(await cancel_job(_job(job_id, JobKind.EXPORT), ctx))


@router.get(
    "/exports/{job_id}/download", response_class=FileResponse, responses=error_responses(409)
)
async def get_export_download(job_id: str, ctx: UserContext, runtime: RuntimeDep) -> FileResponse:
    """The zip; 409 while it is being written, or after it expired."""
    download = await export_download(
        DownloadExport(job_id=check_id(job_id, "export"), files=runtime.files), ctx
    )
    return FileResponse(download.path, media_type="application/zip", filename=download.filename)


_UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "conversations.json, an export zip, ...",
                    }
                },
            }
        }
    },
}


@router.post(
    "/imports",
    status_code=202,
    responses=error_responses(409),
    openapi_extra={"requestBody": _UPLOAD_BODY},
)
async def post_import(request: Request, ctx: UserContext, runtime: RuntimeDep) -> JobOut:
    """Import ChatGPT's or Claude's `conversations.json` (or their whole zip), an Open
    WebUI chat export, or our own JSON or zip, sent as `multipart/form-data` in the
    field `file`; recognised by content. 422 naming the problem when it is none of
    them, truncated or a zip bomb; 413 over `MAX_IMPORT_BYTES` (512 MiB); else 202 and
    a job whose report says what was imported, skipped and why, and what failed."""
    # The body is read here, once the caller is known (the dependencies ran first): an
    # upload without valid credentials is refused before a byte of it is stored.
    async with request.form(max_files=1, max_fields=10) as form:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise InvalidInput(
                "Send the file as multipart/form-data, in the field `file`.", field="file"
            )
        limit = runtime.settings.max_import_bytes
        if file.size is not None and file.size > limit:
            raise ApiError(413, "too_large", f"The file is larger than {limit} bytes.")
        staged = await asyncio.to_thread(runtime.files.stage_upload, file.file)
    job = await start_import(
        StartImport(upload=staged, file_name=file.filename or "upload", files=runtime.files), ctx
    )
    ctx.after_commit(runtime.jobs.wake)
    return JobOut.of(job)


@router.get("/imports/{job_id}")
async def get_import(job_id: str, ctx: UserContext) -> JobOut:
    return JobOut.of(await get_job(_job(job_id, JobKind.IMPORT), ctx))


@router.post("/imports/{job_id}/cancel")
async def post_import_cancel(job_id: str, ctx: UserContext) -> JobOut:
    return JobOut.of(await cancel_job(_job(job_id, JobKind.IMPORT), ctx))


def _job(job_id: str, kind: JobKind) -> GetJob:
    return GetJob(job_id=check_id(job_id, kind.value), kind=kind)
