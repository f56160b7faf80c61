"""Benchmark sections of RESULTS.md: each script replaces its own section only, and the
real-design rates are computed from the stored per-panel p-values."""

from __future__ import annotations

import sys

import pandas as pd
import pytest

from divides import config

pytestmark = pytest.mark.unit

sys.path.insert(0, str(config.PROJECT_ROOT / "benchmarks"))
import speccurve_real_size as real
import speccurve_size as size


def test_write_section_replaces_only_the_section_with_its_heading(tmp_path):
    path = tmp_path / "RESULTS.md"
    other = "## Other (`benchmarks/x.py`)\n\nkeep 1\n"
    path.write_text(f"# R\n\n{size.HEADING}\n\nold\n\n{other}", encoding="utf-8")
    size.write_section(f"{real.HEADING}\n\nnew real\n", path, heading=real.HEADING)
    text = path.read_text(encoding="utf-8")
    assert f"{size.HEADING}\n\nold\n" in text and text.endswith("new real\n")
    size.write_section(f"{real.HEADING}\n\nnewer\n", path, heading=real.HEADING)
    text = path.read_text(encoding="utf-8")
    assert "new real" not in text and text.count(real.HEADING) == 1 and "keep 1" in text
    size.write_section(f"{size.HEADING}\n\nfresh\n", path)
    text = path.read_text(encoding="utf-8")
    assert "\nold\n" not in text and "fresh" in text and "newer" in text and "keep 1" in text
    with pytest.raises(ValueError, match="expected the heading"):
        size.write_section("## Something else\n", path, heading=real.HEADING)


def test_a_section_written_before_a_marked_block_keeps_its_marker(tmp_path):
    import _results

    path = tmp_path / "RESULTS.md"
    path.write_text(f"# R\n\n{size.HEADING}\n\nold\n\n<!-- b: begin -->\n## B\n\nb\n"
                    "<!-- b: end -->\n", encoding="utf-8")
    size.write_section(f"{size.HEADING}\n\nnew\n", path)
    _results.write_between("<!-- b: begin -->", "<!-- b: end -->", "## B\n\nb2", path)
    text = path.read_text(encoding="utf-8")
    assert "new" in text and "old" not in text and text.count("## B") == 1 and "b2" in text


def test_real_design_rates_come_from_the_stored_p_values():
    rows = []
    for sim in range(20):
        for key in ("egdi", "osi"):
            for est in ("all", "pooled", "twfe"):
                # egdi pooled median rejects in 2 of 20 panels, osi twfe share in 5 of 20
                rows.append({"sim": sim, "key_regressor": key, "estimator": est,
                             "p_median_t": 0.01 if (key, est) == ("egdi", "pooled")
                             and sim < 2 else 0.5,
                             "p_share": 0.04 if (key, est) == ("osi", "twfe") and sim < 5
                             else 0.9,
                             "p_median_t_rw": 0.03 if est == "twfe" and sim in (3, 4) and
                             key == "egdi" else (0.02 if est == "twfe" and sim == 3 else 0.6),
                             "p_share_rw": 0.7})
    null = pd.DataFrame(rows)
    rates, fw = real.size_table(null)
    r = rates.set_index(["key_regressor", "estimator"])
    assert r.loc[("egdi", "pooled"), "p_median_t"] == 0.10
    assert r.loc[("osi", "twfe"), "p_share"] == 0.25
    assert r.loc[("osi", "pooled"), "p_share"] == 0.0
    # family-wise: panels 3 and 4 reject some key under twfe (panel 3 twice: counted once)
    assert fw.set_index("estimator").loc["twfe", "p_median_t_rw"] == 0.10
    assert fw.set_index("estimator").loc["pooled", "p_median_t_rw"] == 0.0
