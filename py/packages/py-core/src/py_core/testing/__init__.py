"""Helpers for tests of py-core and the apps: databases built by the migrations,
reachability of the optional services. Used by the workspace's conftest."""
