"""AI/ML: the chat engine on pydantic-ai, the model catalog, history and stream types.

See `py/docs/AI_ML.md`.
"""

from py_core.ai_ml.engine import ChatEngine
from py_core.ai_ml.history import (
    HistoryBudget,
    build_history,
    dump_messages,
    load_messages,
)
from py_core.ai_ml.providers import (
    DEMO_MODEL_ID,
    CatalogEntry,
    ModelCatalog,
    ModelConfigError,
    ModelOption,
    UnknownModel,
    load_model_catalog,
)
from py_core.ai_ml.tools import TurnDeps
from py_core.ai_ml.types import (
    ChatError,
    ChatErrorKind,
    StreamItem,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    TurnLimits,
    TurnRequest,
    TurnResult,
    TurnUsage,
)

__all__ = [
    "DEMO_MODEL_ID",
    "CatalogEntry",
    "ChatEngine",
    "ChatError",
    "ChatErrorKind",
    "HistoryBudget",
    "ModelCatalog",
    "ModelConfigError",
    "ModelOption",
    "StreamItem",
    "TextDelta",
    "ToolCallFinished",
    "ToolCallStarted",
    "TurnDeps",
    "TurnLimits",
    "TurnRequest",
    "TurnResult",
    "TurnUsage",
    "UnknownModel",
    "build_history",
    "dump_messages",
    "load_messages",
    "load_model_catalog",
]
