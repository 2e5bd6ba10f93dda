"""The database counters of `/metrics`: statements and transactions, as `make bench` reads them."""

from __future__ import annotations

import re

import httpx

from .harness import sign_up


async def _counters(client: httpx.AsyncClient) -> dict[str, float]:
    text = (await client.get("/metrics")).text
    found: dict[str, float] = {}
    for name in (
        "db_statements_total",
        'db_transactions_total{outcome="commit"}',
        'db_transactions_total{outcome="rollback"}',
    ):
        match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
        found[name] = float(match[1]) if match else 0.0
    return found


async def test_a_write_counts_its_statements_and_its_commit(client: httpx.AsyncClient) -> None:
    await sign_up(client, "counted@example.com")
    before = await _counters(client)
    created = await client.post("/api/v1/threads", json={"title": "Counted"})
    assert created.status_code == 201, created.text
    after = await _counters(client)
    assert after["db_statements_total"] > before["db_statements_total"]
    commits = 'db_transactions_total{outcome="commit"}'
    assert after[commits] > before[commits]
