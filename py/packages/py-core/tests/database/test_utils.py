import threading
import uuid

from py_core.database.utils import uuid7, uuid7_str


def test_uuid7_has_version_and_variant() -> None:
    value = uuid7()
    assert value.version == 7
    assert value.variant == uuid.RFC_4122


def test_uuid7_is_strictly_increasing_in_a_tight_loop() -> None:
    ids = [uuid7() for _ in range(50_000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)


def test_uuid7_strings_sort_like_the_uuids() -> None:
    ids = [uuid7_str() for _ in range(5_000)]
    assert ids == sorted(ids)
    assert all(len(i) == 36 for i in ids)


def test_uuid7_timestamp_is_now() -> None:
    import time

    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000
    # The counter may borrow a millisecond or two from the future under a burst.
    assert before <= value.int >> 80 <= after + 5


def test_uuid7_unique_across_threads() -> None:
    results: list[list[uuid.UUID]] = [[] for _ in range(4)]

    def work(bucket: list[uuid.UUID]) -> None:
        bucket.extend(uuid7() for _ in range(10_000))

    threads = [threading.Thread(target=work, args=(b,)) for b in results]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    merged = [u for bucket in results for u in bucket]
    assert len(set(merged)) == len(merged)
    for bucket in results:
        assert bucket == sorted(bucket)
