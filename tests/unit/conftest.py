"""Fixtures shared by the unit tests of the publishers' channel."""

from __future__ import annotations

import pytest


@pytest.fixture
def hosts(monkeypatch):
    """Loopback servers, one per publisher host (``Hosts``), with no proxy in the way."""
    from tests.unit.test_fetch_publishers import Hosts

    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    found = Hosts()
    yield found
    for server in found.servers.values():
        server.clear()
        if server.is_running():
            server.stop()
