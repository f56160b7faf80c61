"""The notebooks' sentences of direction and size agree with their own tables, on demo and on
real data: each notebook's code runs here (in-process, up to its last narrative cell) and
every sentence is checked against the numbers the notebook printed or plotted."""

from __future__ import annotations

import re

import jupytext
import matplotlib
import numpy as np
import pytest

from divides import config

matplotlib.use("Agg")

pytestmark = pytest.mark.notebooks

#: Phrases the notebooks once stated as fixed text, contradicted by the demo numbers.
FIXED_CLAIMS = ("shrinks once income", "it is far smaller", "familiar strong",
                "women are a\n# smaller share", "for ten years after")


def run_cells(stem: str, data: str, until: str) -> dict:
    """Execute notebook ``stem``'s code cells with ``data``, stopping once ``until`` is set."""
    import matplotlib.pyplot as plt

    if data == "real" and config.real_dir() is None:
        pytest.skip("real data folder absent (../shared/data/real or $DIVIDES_REAL_DIR)")
    path = next(config.NOTEBOOKS_DIR.glob(f"{stem}_*.py"))
    nb = jupytext.read(path)
    ns: dict = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        exec(compile(cell.source, f"{path.name}", "exec"), ns)  # noqa: S102 - our notebook
        if "parameters" in cell.metadata.get("tags", []):
            ns["data"] = data
        plt.close("all")
        if until in ns:
            return ns
    raise AssertionError(f"{path.name} never set {until!r}")


def numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+\.\d+", text)]


@pytest.mark.parametrize("data", ["demo", "real"])
def test_01_parity_sentence_matches_the_plotted_data(data):
    ns = run_cells("01", data, "parity_text")
    text, frame = ns["parity_text"], ns["parity"]
    both = frame[["internet_users_pct", "parity_ratio"]].dropna()
    rho = both["internet_users_pct"].corr(both["parity_ratio"], method="spearman")
    assert f"Across {len(both)} countries" in text
    assert f"rho = {rho:.2f}" in text
    p_small = "p < 0.001" in text or float(re.search(r"p = ([\d.]+)", text).group(1)) < 0.05
    if p_small:
        assert ("rises with" in text) == (rho > 0) and ("falls as" in text) == (rho < 0)
    else:
        assert "no clear monotonic relation" in text


@pytest.mark.parametrize("data", ["demo", "real"])
def test_03_sentences_match_the_key_terms_table(data):
    ns = run_cells("03", data, "within_text")
    table, regressor = ns["table"], ns["regressor"]

    def coef(model, col="coef"):
        row = table[(table["model"] == model) & (table["term"] == regressor)]
        assert len(row) == 1
        return float(row[col].iloc[0])

    before, after = coef("pooled, no controls"), coef("pooled")
    text = ns["controls_text"]
    assert numbers(text)[:2] == [round(before, 3), round(after, 3)]
    if np.sign(before) != np.sign(after):
        assert "changes sign" in text
    elif abs(after) < abs(before):
        assert "shrinks" in text
    else:
        assert "grows" in text or "stays" in text

    pooled, within = coef("pooled"), coef("two-way FE")
    lo, hi = coef("two-way FE", "ci_low"), coef("two-way FE", "ci_high")
    text = ns["within_text"]
    assert f"({within:.3f})" in text and f"({pooled:.3f})" in text
    ratio = abs(within) / abs(pooled)
    expected = ("far smaller" if ratio < 1 / 3 else "smaller" if ratio < 1 else "larger")
    assert f"is {expected} in size than" in text
    assert ("opposite sign" in text) == (np.sign(within) != np.sign(pooled))
    assert ("includes zero" in text) == (lo <= 0 <= hi)

    year, x, y = ns["pooled_year"], ns["regressor"], ns["outcome"]  # the notebook's parameters
    rows = ns["panel"][ns["panel"]["year"] == year][[x, y]].dropna()
    rho = rows[x].corr(rows[y], method="spearman")
    assert f"Across {len(rows)} countries" in ns["pooled_text"]
    assert f"rho = {rho:.2f}" in ns["pooled_text"]


def test_no_fixed_claim_left_in_the_notebooks():
    for path in sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.py")):
        text = path.read_text(encoding="utf-8")
        found = [c for c in FIXED_CLAIMS if c in text]
        assert not found, f"{path.name}: fixed text {found}"
