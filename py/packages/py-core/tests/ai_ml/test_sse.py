"""The SSE decoder: the same events however the network cuts the bytes."""

from __future__ import annotations

import pytest

from py_core.ai_ml._sse import SSEDecoder

STREAM = (
    b": a comment\n"
    b'data: {"a": 1}\n\n'
    b"event: ping\n\n"
    b'data: {"b": 2}\r\n\r\n'
    b"data: first line\ndata: second line\n\n"
    b"data:no space\n\n"
    b"data: [DONE]\n\n"
)
EVENTS = [b'{"a": 1}', b'{"b": 2}', b"first line\nsecond line", b"no space", b"[DONE]"]


@pytest.mark.parametrize("size", [1, 2, 7, len(STREAM)])
def test_events_do_not_depend_on_how_the_bytes_are_cut(size: int) -> None:
    decoder = SSEDecoder()
    events = []
    for start in range(0, len(STREAM), size):
        events += decoder.feed(STREAM[start : start + size])
    events += decoder.close()

    assert events == EVENTS


def test_an_event_without_its_blank_line_ends_with_the_stream() -> None:
    decoder = SSEDecoder()

    assert decoder.feed(b'data: {"a": 1}') == []
    assert decoder.close() == [b'{"a": 1}']
    assert decoder.close() == []
