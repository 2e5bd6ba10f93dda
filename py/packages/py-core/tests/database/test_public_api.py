"""The imports the guide shows under "Using in Apps" work exactly as written."""

import inspect


def test_guide_imports() -> None:
    from py_core.ai_ml import ChatEngine
    from py_core.database import Base, get_session
    from py_core.database.models import Thread, User
    from py_core.events import EventPublisher

    assert issubclass(User, Base)
    assert issubclass(Thread, Base)
    assert inspect.isasyncgenfunction(get_session)
    assert inspect.isclass(ChatEngine)
    assert inspect.isabstract(EventPublisher)
