"""The OpenAI-compatible API: `POST /v1/chat/completions` and `GET /v1/models`, for the
official clients and anything built on them. See `py/docs/OPENAI_API.md`."""

from py_app.openai_api.routes import router

__all__ = ["router"]
