"""The v1 JSON API (docs/APP.md, "API (v1)")."""
