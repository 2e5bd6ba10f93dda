"""A whole generation stack for runner tests: database, bus, outbox relay, runner.

SQLite goes with the in-process bus, PostgreSQL with Redis: the two deployments.
"""

from __future__ import annotations

import logging
from contextlib import aclosing
from dataclasses import dataclass

from pydantic_ai.models import Model
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from py_core.ai_ml import ChatEngine
from py_core.chat import (
    CancelTurn,
    CreateThread,
    GenerationRunner,
    PostMessage,
    RunnerSettings,
    cancel_turn,
    create_thread,
    post_message,
)
from py_core.context import Context
from py_core.database import create_engine, create_session_factory, session_scope
from py_core.database.models import Message, Thread, User
from py_core.database.utils import uuid7
from py_core.events import (
    START,
    BusSettings,
    Event,
    EventPublisher,
    InProcessEventPublisher,
    MessageCancelled,
    MessageCompleted,
    MessageFailed,
    OutboxRelay,
    RedisEventPublisher,
    RelaySettings,
)
from py_core.events.outbox import wake_on_commit
from py_core_testing import services
from py_core_testing.events import delete_namespace, take
from py_core_testing.models import catalog_of

FINAL = (MessageCompleted, MessageFailed, MessageCancelled)
LOGGER = logging.getLogger("test.runner")

QUICK = RunnerSettings(
    delta_interval=0.01,
    checkpoint_interval=0.05,
    lease_duration=5.0,
    lease_renew_interval=0.05,
    recovery_interval=0.1,
    shutdown_grace=0.0,
)


@dataclass(kw_only=True)
class Stack:
    engine: AsyncEngine
    factory: async_sessionmaker[AsyncSession]
    publisher: EventPublisher
    relay: OutboxRelay
    namespace: str
    runner: GenerationRunner | None = None

    @classmethod
    async def build(cls, backend: str, db_url: str) -> Stack:
        namespace = f"test:{uuid7().hex}"
        settings = BusSettings(namespace=namespace, read_block=0.2, retry_initial=0.01)
        publisher: EventPublisher
        if backend == "sqlite":
            publisher = InProcessEventPublisher(settings=settings, logger=LOGGER)
        else:
            services.require("Redis", await services.redis_error())
            publisher = RedisEventPublisher(services.REDIS_URL, settings=settings, logger=LOGGER)
        engine = create_engine(db_url)
        factory = create_session_factory(engine)
        relay = OutboxRelay(factory, publisher, settings=RelaySettings(poll_interval=0.05))
        wake_on_commit(factory, relay.wake)
        relay.start()
        return cls(
            engine=engine, factory=factory, publisher=publisher, relay=relay, namespace=namespace
        )

    async def start_runner(
        self, models: dict[str, Model], settings: RunnerSettings = QUICK
    ) -> GenerationRunner:
        self.runner = GenerationRunner(
            session_factory=self.factory,
            engine=ChatEngine(catalog_of(models)),
            publisher=self.publisher,
            settings=settings,
            logger=LOGGER,
        )
        await self.runner.start()
        return self.runner

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.stop()
        await self.relay.stop()
        await self.publisher.close()
        if isinstance(self.publisher, RedisEventPublisher):
            client = Redis.from_url(services.REDIS_URL)
            await delete_namespace(client, self.namespace)
            await client.aclose()
        await self.engine.dispose()

    def ctx(self, db: AsyncSession) -> Context:
        return Context(db=db, logger=LOGGER, replies=self.runner)

    async def user(self, name: str = "alice") -> User:
        async with session_scope(self.factory) as db:
            user = User(email=f"{name}@example.com", display_name=name, password_hash="-")
            db.add(user)
        return user

    async def thread(self, user: User, model_id: str) -> Thread:
        async with session_scope(self.factory) as db:
            return await create_thread(CreateThread(model_id=model_id), self.ctx(db).as_user(user))

    async def post(self, user: User, thread: Thread, content: str = "Hello") -> Message:
        async with session_scope(self.factory) as db:
            turn = await post_message(
                PostMessage(thread_id=thread.id, content=content), self.ctx(db).as_user(user)
            )
        # The context's runner was handed the reply when the transaction committed.
        return turn.assistant_message

    async def cancel(self, user: User, message: Message, *, elsewhere: bool = False) -> None:
        """Stop a reply, from this process or (`elsewhere`) from one that does not run it."""
        async with session_scope(self.factory) as db:
            params = CancelTurn(thread_id=message.thread_id, message_id=message.id)
            ctx = Context(db=db, logger=LOGGER) if elsewhere else self.ctx(db)
            await cancel_turn(params, ctx.as_user(user))

    async def load(self, message_id: str) -> Message:
        async with session_scope(self.factory) as db:
            return await db.get_one(Message, message_id)

    async def events_until_final(self, thread_id: str, message_id: str) -> list[Event]:
        """Every event of the thread from the start until the reply's final event."""
        events: list[Event] = []
        async with aclosing(self.publisher.subscribe(thread_id, after=START)) as subscription:
            while True:
                (entry,) = await take(subscription, 1, guard=15)
                events.append(entry.event)
                event = entry.event
                if isinstance(event, FINAL) and event.message_id == message_id:
                    return events
