"""Root conftest: nbval's notebook items join the ``notebooks`` tier (``-m notebooks``)."""

import pytest


def pytest_collection_modifyitems(config, items):
    for item in items:
        if str(item.fspath).endswith(".ipynb"):
            item.add_marker(pytest.mark.notebooks)
