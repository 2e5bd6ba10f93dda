"""The v1 JSON API (DESIGN.md, "HTTP API (v1)")."""
