"""Reading an upload: one JSON file or a zip of them, recognised by content, streamed.

A JSON list is read one item (conversation) at a time with ijson, so a 200 MB
`conversations.json` never sits in memory whole; a zip is read member by member, with
its unpacked size and its ratio capped before anything is unpacked (zip bombs) and
checked again while reading (zipfile stops each member at its declared size and checks
its CRC).

```python
parts = plan_upload(path)              # ImportFileError: unknown, truncated, zip bomb...
total = count_conversations(path, parts)   # reads it all once: TruncatedFile
for item in read_conversations(path, parts): ...
```
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import IO, Any, Literal

import ijson  # type: ignore[import-untyped]  # ships no type information

from py_core.database.models import ThreadSource
from py_core.limits import (
    MAX_IMPORT_UNPACKED_BYTES,
    MAX_IMPORT_ZIP_MEMBERS,
    MAX_IMPORT_ZIP_RATIO,
)
from py_core.portability import document
from py_core.portability._conversation import BadConversation, ImportedConversation
from py_core.portability.errors import (
    ImportFileError,
    TruncatedFile,
    UnsupportedFormat,
    ZipBomb,
)
from py_core.portability.sources import chatgpt, claude, openwebui

FORMATS: tuple[tuple[ThreadSource, ModuleType], ...] = (
    (ThreadSource.PY_APP, document),
    (ThreadSource.CHATGPT, chatgpt),
    (ThreadSource.CLAUDE, claude),
    (ThreadSource.OPEN_WEBUI, openwebui),
)
"""Each format's module: `recognises(item)` and `parse(item)`."""

_RATIO_FROM = 1024 * 1024
"""Below this a member's ratio is not checked: tiny files pack oddly either way."""
_PEEK_EVENTS = 200
"""How far into a JSON object we look for our `format` key (we write it first)."""


@dataclass(frozen=True, kw_only=True)
class Part:
    member: str | None
    """The zip member it is in; None for the uploaded file itself."""
    shape: Literal["list", "thread"]
    """A list of conversations, or one thread of our format."""
    source: ThreadSource
    """The format its first conversation is in."""


@dataclass(frozen=True, kw_only=True)
class ReadConversation:
    index: int
    """Its place in the upload, from 0 (a resumed job skips what it did)."""
    title: str
    """Its title as far as it could be read, for the report."""
    conversation: ImportedConversation | None
    """The conversation, or None when it cannot be imported..."""
    problem: str | None = None
    """...and then why."""


def plan_upload(path: Path) -> list[Part]:
    """What in the file can be imported. `ImportFileError` (naming the problem) when
    nothing can: not JSON nor zip, no known format, truncated, a zip bomb."""
    with path.open("rb") as file:
        head = file.read(4)
    if zipfile.is_zipfile(path):
        return _plan_zip(path)
    if head.startswith(b"PK\x03\x04"):
        raise TruncatedFile("The zip file is incomplete or damaged (its directory is missing).")
    with path.open("rb") as file:
        part = _peek(file, None)
        if part is not None and part.shape == "list":
            _check_tail(file)
    if part is None:
        raise UnsupportedFormat(
            "This is not an export we can read: expected ChatGPT's or Claude's "
            "conversations.json, an Open WebUI chat export, or one of ours."
        )
    return [part]


def count_conversations(path: Path, parts: list[Part]) -> int:
    """How many conversations the file holds; reading it all once, so a truncated file
    is found (`TruncatedFile`) before anything is imported."""
    total = 0
    for part in parts:
        with _open(path, part.member) as stream:
            if part.shape == "thread":
                total += 1
                continue
            for _ in _items(stream, part.member):
                total += 1
    return total


def read_conversations(path: Path, parts: list[Part]) -> Iterator[ReadConversation]:
    """Every conversation of the file in order, parsed, or with why it cannot be."""
    index = 0
    for part in parts:
        with _open(path, part.member) as stream:
            if part.shape == "thread":
                items: Iterator[Any] = iter(_whole(stream, part.member))
            else:
                items = _items(stream, part.member)
            for item in items:
                yield _parse(index, item)
                index += 1


def _parse(index: int, item: object) -> ReadConversation:
    if not isinstance(item, Mapping):
        return ReadConversation(
            index=index, title=f"#{index + 1}", conversation=None, problem="not an object"
        )
    title = _title_of(item) or f"#{index + 1}"
    for _, module in FORMATS:
        if module.recognises(item):
            try:
                conversation: ImportedConversation = module.parse(item)
            except BadConversation as exc:
                return ReadConversation(
                    index=index, title=title, conversation=None, problem=exc.reason
                )
            return ReadConversation(index=index, title=title, conversation=conversation)
    return ReadConversation(
        index=index, title=title, conversation=None, problem="not a conversation we can read"
    )


def _title_of(item: Mapping[str, Any]) -> str | None:
    for value in (item.get("title"), item.get("name"), (item.get("thread") or {}).get("title")):
        if isinstance(value, str) and value.strip():
            return value.strip()[:200]
    return None


def _plan_zip(path: Path) -> list[Part]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFileError(f"The zip file cannot be read: {exc}.") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_IMPORT_ZIP_MEMBERS:
            raise ZipBomb(f"The zip holds more than {MAX_IMPORT_ZIP_MEMBERS} files.")
        unpacked = sum(m.file_size for m in members)
        if unpacked > MAX_IMPORT_UNPACKED_BYTES:
            raise ZipBomb(
                f"The zip unpacks to {unpacked} bytes, more than the "
                f"{MAX_IMPORT_UNPACKED_BYTES} allowed."
            )
        for member in members:
            if member.file_size > _RATIO_FROM and (
                member.compress_size == 0
                or member.file_size / member.compress_size > MAX_IMPORT_ZIP_RATIO
            ):
                raise ZipBomb(
                    f"{member.filename} unpacks to more than {MAX_IMPORT_ZIP_RATIO} times "
                    "its packed size: this looks like a zip bomb."
                )
        parts: list[Part] = []
        for member in members:
            if member.flag_bits & 0x1:
                continue  # encrypted: not something an export contains
            with _member(archive, member.filename) as stream:
                part = _peek(stream, member.filename)
            if part is not None:
                parts.append(part)
    if not parts:
        raise UnsupportedFormat(
            "Nothing in this zip is an export we can read: expected a conversations.json "
            "of ChatGPT or Claude, an Open WebUI chat export, or our own threads."
        )
    return parts


def _peek(stream: IO[bytes], member: str | None) -> Part | None:
    """The part a stream holds, from its first conversation; None for anything else."""
    first = _first_byte(stream)
    if first not in (b"[", b"{"):
        return None
    if first == b"{":
        return _peek_object(stream, member)
    for item in _items(_Prefixed(first, stream), member):
        if not isinstance(item, Mapping):
            return None
        for source, module in FORMATS:
            if module.recognises(item):
                return Part(member=member, shape="list", source=source)
        return None
    return None


def _peek_object(stream: IO[bytes], member: str | None) -> Part | None:
    try:
        for seen, (prefix, event, value) in enumerate(ijson.parse(_Prefixed(b"{", stream))):
            if prefix == "format" and event == "string":
                if value == document.THREAD_FORMAT:
                    return Part(member=member, shape="thread", source=ThreadSource.PY_APP)
                return None
            if seen > _PEEK_EVENTS:
                return None
    except ijson.JSONError:
        return None
    return None


def _first_byte(stream: IO[bytes]) -> bytes:
    """The first byte that is not whitespace nor a UTF-8 byte order mark."""
    while True:
        byte = stream.read(1)
        if byte == b"\xef":
            stream.read(2)
        elif not byte or not byte.isspace():
            return byte


class _Prefixed:
    """A stream whose first byte was read already (zip members cannot seek back)."""

    def __init__(self, first: bytes, stream: IO[bytes]) -> None:
        self._first = first
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""  # ijson asks for nothing first, to learn bytes from text
        if self._first:
            first, self._first = self._first, b""
            return first + self._stream.read(max(size - 1, 0) if size > 0 else -1)
        return self._stream.read(size)


def _check_tail(file: IO[bytes]) -> None:
    """A list that does not end with `]` was cut short: said at once, not by the job."""
    file.seek(0, 2)
    size = file.tell()
    file.seek(max(size - 64, 0))
    if not file.read().rstrip().endswith(b"]"):
        raise TruncatedFile("The file is truncated: it ends before its list of conversations does.")


def _items(stream: Any, member: str | None) -> Iterator[Any]:
    where = f" ({member})" if member else ""
    try:
        yield from ijson.items(stream, "item", use_float=True)
    except ijson.JSONError as exc:
        raise _json_error(exc, where) from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise ImportFileError(f"The zip is damaged{where}: {exc}.") from None


def _whole(stream: Any, member: str | None) -> list[Any]:
    where = f" ({member})" if member else ""
    try:
        return list(ijson.items(stream, "", use_float=True))
    except ijson.JSONError as exc:
        raise _json_error(exc, where) from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise ImportFileError(f"The zip is damaged{where}: {exc}.") from None


def _json_error(exc: Exception, where: str) -> ImportFileError:
    # yajl says "premature EOF" for a file that ends too soon, and reports any other
    # fault (with the same exception class) on its message's first line.
    detail = str(exc).splitlines()[0] if str(exc) else ""
    if not detail or "premature EOF" in detail:
        return TruncatedFile(f"The file{where} is truncated: it ends in the middle.")
    return ImportFileError(f"The file{where} is not valid JSON ({detail}).")


@contextmanager
def _open(path: Path, member: str | None) -> Iterator[IO[bytes]]:
    if member is None:
        with path.open("rb") as file:
            yield file
        return
    with zipfile.ZipFile(path) as archive, _member(archive, member) as stream:
        yield stream


@contextmanager
def _member(archive: zipfile.ZipFile, name: str) -> Iterator[IO[bytes]]:
    try:
        with archive.open(name) as stream:
            yield stream
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise ImportFileError(f"{name} in the zip cannot be read: {exc}.") from None
