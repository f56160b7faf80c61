"""The Typst PDF of a run, on small inputs: text escaped, numbers formatted, wide tables
landscape or split, and the whole PDF from a one-notebook run folder."""

from __future__ import annotations

import pandas as pd
import pytest

from divides.report import typeset

pytestmark = pytest.mark.unit


def test_escape_leaves_no_markup():
    text = "a #b *c* _d_ $e$ @f <g> [h] // i `j` \\k = -l"
    escaped = typeset.escape(text)
    # every punctuation mark is preceded by a backslash
    for i, ch in enumerate(escaped):
        if ch in "#*_$@<>[]/`=-":
            assert escaped[i - 1] == "\\", (i, escaped)


def test_p_values_never_in_exponent_form():
    cells = typeset.format_column("p", pd.Series(["8.779634014e-32", "0.0446868", "0.5431"]))
    assert cells == ["< 0.001", "0.045", "0.543"]


def test_numbers_to_the_columns_size_and_signs_as_minus():
    coef = typeset.format_column("coef", pd.Series(["-110.9013727", "-0.03885", "5.4"]))
    assert coef == ["\u2212110.90", "\u22120.04", "5.40"]
    tiny = typeset.format_column("coef", pd.Series(["1e-9", "0.5", "0.25"]))
    assert tiny[0] == "< 0.001" and tiny[1] == "0.500"
    years = typeset.format_column("year_first", pd.Series(["2012", "2003"]))
    assert years == ["2012", "2003"]
    words = typeset.format_column("model", pd.Series(["m1", "2"]))
    assert words == ["m1", "2"]


def test_headers_in_words_from_the_registry():
    assert typeset.header_words("cpi_score") != "cpi_score"
    assert "_" not in typeset.header_words("cpi_score")
    assert typeset.header_words("n_countries") == "Countries"


def _csv(tmp_path, frame, name="t.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_constant_columns_become_a_note(tmp_path):
    frame = pd.DataFrame({"term": ["a", "b"], "coef": ["1.5", "2.5"],
                          "data_kind": ["demo", "demo"]})
    t = typeset.table(_csv(tmp_path, frame))
    assert "Data kind: synthetic demo data" in t.note  # the data kind in words
    assert "data_kind" not in t.parts[0] and "Data kind" not in t.parts[0]


def test_a_narrow_table_is_portrait_a_wide_one_landscape_or_split(tmp_path):
    narrow = typeset.table(_csv(tmp_path, pd.DataFrame({"a": ["1"], "b": ["2"]})))
    assert not narrow.landscape and len(narrow.parts) == 1
    wide = pd.DataFrame({f"column_number_{i}": [f"{i}.123456", f"{i}.5"] for i in range(30)})
    split = typeset.table(_csv(tmp_path, wide))
    assert not split.landscape and len(split.parts) > 1  # upright groups, one under another
    assert max(split.chars) <= typeset.PORTRAIT_CHARS
    # the leading text columns that name a row are repeated in every group
    named = pd.DataFrame({"key_regressor": ["egdi", "osi"], "estimator": ["pooled", "twfe"],
                          **{f"column_number_{i}": [f"{i}.123456", "1.5"] for i in range(30)}})
    parts = typeset.table(_csv(tmp_path, named, "named.csv")).parts
    assert len(parts) > 1 and all('"Key regressor"' in p and '"Estimator"' in p for p in parts)
    sideways = pd.DataFrame({f"column_number_{i}": [f"{i}.123456", f"{i}.5"] for i in range(6)})
    assert typeset.table(_csv(tmp_path, sideways, "six.csv")).landscape
    # each part repeats the key column and together they show every column once more
    assert all('"Column number 0"' in p for p in split.parts)
    shown = sum(p.count("[#strong(") for p in split.parts) - (len(split.parts) - 1)
    assert shown == 30


def test_long_tables_show_their_first_rows_and_say_so(tmp_path):
    frame = pd.DataFrame({"k": [f"r{i}" for i in range(40)], "v": [str(i) for i in range(40)]})
    t = typeset.table(_csv(tmp_path, frame, "long.csv"))
    assert f"First {typeset.TABLE_ROWS} of 40 rows" in t.note
    assert '"r24"' in t.parts[0] and '"r25"' not in t.parts[0]


def test_markdown_to_typst_keeps_the_first_title_apart():
    text, title = typeset.markdown("# A *title*\n\nSome (text) with `code` and **bold**.\n\n"
                                   "# Later\n\n- one\n- two\n", first_heading=True)
    assert title == "A *title*"
    assert "== Later" in text and "#raw(\"code\")" in text and "#strong[bold]" in text
    assert "\n- one" in text and "\\(text\\)" in text


def test_cells_naming_columns_read_in_words():
    cells = typeset.format_column("model", pd.Series(["cpi_score: internet_users_pct", "const"]))
    assert "cpi_score" not in cells[0] and "internet_users_pct" not in cells[0]
    assert cells[1] == "const"
    assert typeset.words_for_columns("xcpi_score") == "xcpi_score"  # whole names only


def test_a_group_with_room_is_as_wide_as_its_cells_unwrapped():
    """A long cell (a list of sources) wraps only when the sideways width is used up: 25
    rows wrapped to three lines each ran past the page (glyphs over the table's note)."""
    long = "Transparency International CPI; World Bank WDI"
    t = typeset.layout(["Id", "Sources"], [["1", "2"], [long, long]],
                        [4, typeset.WRAP_CHARS + 2], [True, False], "")
    assert t.chars == [len("Id") + 2 + len(long) + 2]
    wide = typeset.layout(["Id", "Sources"], [["1"], [long * 10]],
                           [4, typeset.WRAP_CHARS + 2], [True, False], "")
    assert wide.chars == [typeset.PORTRAIT_CHARS]  # split upright: each group's width
