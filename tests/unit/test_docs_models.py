"""docs/models.md runs as written: its python blocks, in order, in one namespace."""

import re

import pytest

from divides import config

pytestmark = pytest.mark.unit

DOC = config.PROJECT_ROOT / "docs" / "models.md"


def blocks(text: str, info: str) -> list[str]:
    return re.findall(rf"```{info}\n(.*?)```", text, flags=re.DOTALL)


def test_every_example_of_the_model_api_runs():
    code = blocks(DOC.read_text(encoding="utf-8"), "python")
    assert len(code) >= 5, "the doc's examples were not found"
    namespace: dict = {}
    for i, block in enumerate(code):
        exec(compile(block, f"{DOC.name} block {i + 1}", "exec"), namespace)  # noqa: S102
    assert {"pooled", "within", "curve", "sc"} <= set(namespace)
