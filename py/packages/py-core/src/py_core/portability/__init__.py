"""Your data is yours: threads out (our JSON, Markdown, a zip of everything) and
conversations in (ChatGPT, Claude, Open WebUI, ours), as background jobs.

See docs/PORTABILITY.md for the formats and the rules.
"""

from py_core.portability._conversation import (
    BadConversation,
    ImportedConversation,
    ImportedMessage,
)
from py_core.portability.document import THREAD_FORMAT, VERSION, thread_document
from py_core.portability.errors import (
    ImportFileError,
    TruncatedFile,
    UnsupportedFormat,
    ZipBomb,
)
from py_core.portability.exporter import ExportFormat, ExportThread, ThreadExport, export_thread
from py_core.portability.files import JobFiles
from py_core.portability.importer import Skipped, Stored, store_conversation
from py_core.portability.jobs import (
    Download,
    DownloadExport,
    GetJob,
    ListJobs,
    StartExport,
    StartImport,
    cancel_job,
    export_download,
    get_job,
    list_jobs,
    start_export,
    start_import,
)
from py_core.portability.markdown import thread_markdown
from py_core.portability.reader import count_conversations, plan_upload, read_conversations
from py_core.portability.worker import JobRunner, JobSettings

__all__ = [
    "THREAD_FORMAT",
    "VERSION",
    "BadConversation",
    "Download",
    "DownloadExport",
    "ExportFormat",
    "ExportThread",
    "GetJob",
    "ImportFileError",
    "ImportedConversation",
    "ImportedMessage",
    "JobFiles",
    "JobRunner",
    "JobSettings",
    "ListJobs",
    "Skipped",
    "StartExport",
    "StartImport",
    "Stored",
    "ThreadExport",
    "TruncatedFile",
    "UnsupportedFormat",
    "ZipBomb",
    "cancel_job",
    "count_conversations",
    "export_download",
    "export_thread",
    "get_job",
    "list_jobs",
    "plan_upload",
    "read_conversations",
    "start_export",
    "start_import",
    "store_conversation",
    "thread_document",
    "thread_markdown",
]
