"""`python -m benchmarks [name ...]`: run the benchmarks (all by default) and print figures."""

from __future__ import annotations

import asyncio
import sys

from benchmarks import bus, chat_path, ids, model_stream, portability, search, streaming

BENCHMARKS = {
    "ids": ids.run,
    "bus": bus.run,
    "streaming": streaming.run,
    "search": search.run,
    "model": model_stream.run,
    "chat": chat_path.run,
    "portability": portability.run,
}


async def main(names: list[str]) -> None:
    for name in names or list(BENCHMARKS):
        await BENCHMARKS[name]()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
