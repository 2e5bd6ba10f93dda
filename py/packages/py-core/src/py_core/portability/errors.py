"""Why an upload cannot be imported at all. Each names the problem in its code and
says it in its message; the app answers them 422."""

from __future__ import annotations

from py_core.errors import InvalidInput


class ImportFileError(InvalidInput):
    """The file as a whole cannot be imported; nothing of it is."""

    code = "unreadable_file"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="file")


class UnsupportedFormat(ImportFileError):
    """Not an export of ChatGPT, Claude, Open WebUI or ours."""

    code = "unsupported_format"


class TruncatedFile(ImportFileError):
    """The JSON ends before it is complete (an interrupted download)."""

    code = "truncated_file"


class ZipBomb(ImportFileError):
    """A zip that unpacks to far more than it holds."""

    code = "zip_bomb"
