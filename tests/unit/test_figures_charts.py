"""Charts build from tidy fixture frames, say where their numbers come from, and save
byte-identically. Fixture frames are built here (seeded), in the documented columns."""

from __future__ import annotations

import hashlib

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from divides import provenance
from divides.figures import charts, export, style

pytestmark = pytest.mark.unit

CODES = ("AZE", "ARM", "GEO", "KAZ", "KGZ", "UZB", "TJK", "MDA", "UKR", "BLR", "RUS", "TKM",
         "DNK", "FRA", "NOR", "KEN", "IND", "BRA", "MEX", "NGA", "EGY", "IDN", "VNM", "PER")
INCOME = ("Low income", "Lower middle income", "Upper middle income", "High income")


def make_panel(data: str = "demo", codes=CODES, years=range(2010, 2023), seed=1):
    rng = np.random.default_rng(seed)
    rows = []
    for i, iso3 in enumerate(codes):
        base = rng.uniform(0.2, 0.9)
        for year in years:
            t = year - years[0]
            rows.append({
                "iso3": iso3, "country_name": f"Country {iso3}", "region": f"R{i % 3}",
                "income_group": INCOME[i % 4], "year": year,
                "internet_users_pct": min(99.0, 100 * base * (0.5 + 0.04 * t)),
                "cpi_score": 20 + 60 * base + rng.normal(0, 4) if year >= 2012 else np.nan,
                "egdi": base * 0.9 + rng.normal(0, 0.03) if year % 2 == 0 else np.nan,
                "wgi_cc_estimate": 3 * base - 1.5 + 0.03 * t * (iso3 == "AZE" and year >= 2013)
                + rng.normal(0, 0.05),
                "gdp_pc_ppp_const2021_usd": 2000 + 40000 * base * (1 + 0.02 * t),
            })
    panel = pd.DataFrame(rows)
    panel["log_gdp_pc_ppp"] = np.log(panel["gdp_pc_ppp_const2021_usd"])
    panel.loc[panel["iso3"] == "TKM", "cpi_score"] = np.nan  # a country without CPI
    return provenance.tag(panel, data=data)


def make_gaps(data: str = "demo", codes=CODES, seed=2):
    rng = np.random.default_rng(seed)
    rows = []
    for iso3 in codes:
        for dim, adv, dis in (("sex", "male", "female"), ("area", "urban", "rural")):
            year = int(rng.choice([2017, 2019, 2021]))
            a = rng.uniform(30, 95)
            d = a * rng.uniform(0.5, 1.05)
            rows.append({"iso3": iso3, "year": year, "dimension": dim,
                         "indicator": "internet_use_pct", "source": "itu",
                         "advantaged_group": adv, "disadvantaged_group": dis,
                         "advantaged_pct": a, "disadvantaged_pct": d, "gap_pp": a - d,
                         "parity_ratio": d / a, "relative_gap": (a - d) / a})
    return provenance.tag(pd.DataFrame(rows), data=data)


def make_results(data: str = "demo"):
    rows = []
    for outcome in ("cpi_score", "wgi_cc_estimate"):
        for est, scale, n in (("pooled OLS", 1.0, 150), ("two-way FE", 0.1, 148)):
            for term, coef in (("egdi", 40.0), ("log_gdp_pc_ppp", 5.0), ("Intercept", 3.0)):
                c = coef * scale * (1 if outcome == "cpi_score" else 0.03)
                rows.append({"term": term, "coef": c, "stderr": abs(c) / 3 + 0.01,
                             "ci_low": c - abs(c) / 2 - 0.02, "ci_high": c + abs(c) / 2 + 0.02,
                             "estimator": est, "n_obs": n * 8, "n_countries": n,
                             "outcome": outcome, "data_kind": data, "sources": "egov;cpi;wdi",
                             "years": "2012-2022"})
    return pd.DataFrame(rows)


def make_event_study(data: str = "demo"):
    times = [t for t in range(-5, 6) if t != -1]
    coef = [0.5 * max(0, t) + 0.1 * (t % 2) for t in times]
    frame = pd.DataFrame({"event_time": times, "coef": coef,
                          "ci_low": [c - 1.5 for c in coef], "ci_high": [c + 1.5 for c in coef],
                          "n_countries": 11, "sources": "cpi", "outcome": "cpi_score",
                          "years": "2012-2023"})
    return provenance.tag(frame, data=data)


def make_synth(data: str = "demo", n_donors: int = 9, seed=3):
    rng = np.random.default_rng(seed)
    rows = []
    for k, unit in enumerate(["AZE"] + list(CODES[1:1 + n_donors])):
        role = "treated" if k == 0 else "placebo"
        for year in range(2012, 2024):
            synthetic = 25 + 0.3 * (year - 2012)
            effect = 4.0 if role == "treated" and year >= 2013 else 0.0
            rows.append({"year": year, "unit": unit, "role": role,
                         "actual": synthetic + effect + rng.normal(0, 0.8),
                         "synthetic": synthetic, "treatment_year": 2013,
                         "outcome": "cpi_score", "sources": "cpi"})
    return provenance.tag(pd.DataFrame(rows), data=data)


def make_specs(data: str = "demo", seed=4):
    rng = np.random.default_rng(seed)
    rows = []
    for outcome in ("cpi_score", "wgi_cc_estimate"):
        for est in ("pooled OLS", "two-way FE"):
            for controls in ("none", "log GDP", "log GDP + urban"):
                for lag in ("0", "1"):
                    c = rng.normal(0.3 if est == "pooled OLS" else 0.02, 0.1)
                    rows.append({"term": "egdi", "coef": c, "ci_low": c - 0.12,
                                 "ci_high": c + 0.12, "outcome": outcome, "estimator": est,
                                 "controls": controls, "lag": lag,
                                 "n_countries": int(rng.integers(120, 160)), "n_obs": 900,
                                 "sources": "egov;wgi;cpi;wdi", "years": "2012-2022"})
    return provenance.tag(pd.DataFrame(rows), data=data)


def footer_text(fig) -> str:
    artist = style.footer_artist(fig)
    assert artist is not None
    return artist.get_text().replace("\n", " ")


def all_figures(data: str = "demo"):
    panel, gaps = make_panel(data), make_gaps(data)
    return {
        "gap_dumbbell_area": charts.gap_dumbbell(gaps, "area", panel=panel),
        "gap_dumbbell_sex": charts.gap_dumbbell(gaps, "sex", panel=panel),
        "parity_vs_internet": charts.parity_vs_internet(gaps, panel),
        "cpi_vs_egdi": charts.cpi_vs_egdi(panel),
        "coefficients": charts.coefficient_plot(make_results(data)),
        "event_study": charts.event_study_plot(make_event_study(data), "ASAN launch (2013)"),
        "synthetic_control": charts.synthetic_control_plot(make_synth(data)),
        "spec_curve": charts.specification_curve(make_specs(data)),
        "coverage": charts.coverage_heatmap(panel, gaps=gaps),
    }


def test_every_chart_builds_with_a_demo_footer():
    import matplotlib.pyplot as plt

    figures = all_figures("demo")
    for name, fig in figures.items():
        text = footer_text(fig)
        # said once ("SYNTHETIC DEMO DATA, not real published values."), never twice
        assert text.lower().count(provenance.DEMO_LABEL) == 1, (name, text)
        assert "Sources:" in text and "Years:" in text and "n = " in text, name
        plt.close(fig)


def test_real_data_footer_has_no_demo_label():
    import matplotlib.pyplot as plt

    fig = charts.cpi_vs_egdi(make_panel("real"))
    assert provenance.DEMO_LABEL not in footer_text(fig).lower()
    plt.close(fig)


def test_footer_counts_the_countries_plotted():
    import matplotlib.pyplot as plt

    panel = make_panel()
    year = charts.best_year(panel, ["egdi", "cpi_score"])
    fig = charts.cpi_vs_egdi(panel, year=year)
    # TKM has no CPI: one country fewer than the panel holds.
    assert style.footer_of(fig).n_countries == len(CODES) - 1
    assert f"n = {len(CODES) - 1}." in footer_text(fig)
    assert f"Years: {year}." in footer_text(fig)
    plt.close(fig)

    gaps = make_gaps()
    gaps = gaps[gaps["iso3"] != "DNK"]
    gaps.attrs = make_gaps().attrs
    fig = charts.gap_dumbbell(gaps, "sex")
    assert style.footer_of(fig).n_countries == len(CODES) - 1
    plt.close(fig)

    fig = charts.synthetic_control_plot(make_synth(n_donors=6))
    assert style.footer_of(fig).n_countries == 7
    plt.close(fig)


def test_untagged_frame_is_refused():
    panel = make_panel()
    panel.attrs = {}
    with pytest.raises(ValueError, match="provenance"):
        charts.cpi_vs_egdi(panel)


def test_dumbbell_sorted_by_gap_and_latest_year():
    gaps = pd.concat([make_gaps(), make_gaps(seed=9).assign(year=2005)], ignore_index=True)
    gaps.attrs = make_gaps().attrs
    latest = charts.latest_gaps(gaps, "sex")
    assert latest["iso3"].is_unique and (latest["year"] >= 2017).all()
    import matplotlib.pyplot as plt

    fig = charts.gap_dumbbell(gaps, "sex")
    ax = fig.axes[0]
    top_down = [t.get_text() for _, t in sorted(zip(ax.get_yticks(), ax.get_yticklabels()),
                                                 key=lambda pair: -pair[0])]
    expected = latest.sort_values("gap_pp", ascending=False)["iso3"].tolist()
    assert top_down == expected  # largest gap at the top
    plt.close(fig)


def test_missing_columns_named():
    with pytest.raises(ValueError, match=r"missing \['ci_high'\]"):
        charts.coefficient_plot(make_results().drop(columns="ci_high"))


def test_two_saves_byte_identical_at_print_dpi(tmp_path):
    """One figure saved twice at print DPI: every format byte-identical."""
    digests = []
    for run in ("a", "b"):
        fig = charts.cpi_vs_egdi(make_panel())
        paths = export.save_figure(fig, "cpi_vs_egdi", tmp_path / run)
        assert [p.suffix for p in paths] == [".png", ".svg", ".pdf"]
        digests.append([hashlib.sha256(p.read_bytes()).hexdigest() for p in paths])
    assert digests[0] == digests[1]
    png = (tmp_path / "a" / "cpi_vs_egdi.png").read_bytes()
    assert b"matplotlib" not in png.lower()  # no Software stamp
    width_px = int.from_bytes(png[16:20], "big")
    assert width_px == int(style.WIDTH_IN * style.PRINT_DPI)


def test_save_refuses_figure_without_footer(tmp_path):
    fig, _ = style.new_figure()
    fig = fig.get_figure(root=True)
    with pytest.raises(ValueError, match="footer"):
        export.save_figure(fig, "bare", tmp_path)


def test_parity_colours_by_income_group_when_gaps_carry_it_too():
    # the real gaps table carries income_group itself; the merge must not suffix it away
    panel = make_panel()
    gaps = make_gaps().merge(panel[["iso3", "year", "income_group"]].drop_duplicates(),
                             on=["iso3", "year"], how="left")
    gaps.attrs = make_gaps().attrs
    fig = charts.parity_vs_internet(gaps, panel)
    legends = list(fig.legends) + [leg for sub in fig.subfigs for leg in sub.legends]
    labels = [t.get_text() for leg in legends for t in leg.get_texts()]
    assert labels and not any(lab.startswith("all ") for lab in labels), labels


def _panel_legend_texts(fig) -> list[list[str]]:
    """Legend texts of each outcome panel (one subfigure per outcome), left to right."""
    subs = fig.subfigs[0].subfigs
    return [[t.get_text() for leg in sub.legends for t in leg.get_texts()] for sub in subs]


@pytest.mark.parametrize("width", [None, "single"])
def test_coefficient_panels_state_their_own_countries_observations_and_years(width):
    """Two outcomes fitted on different samples (as CPI from 2012 and WGI from 2003): each
    panel's legend gives its own models' counts, the footer each panel's countries and years,
    never the larger sample's for both."""
    import matplotlib.pyplot as plt

    rows = []
    for outcome, n_c, n_obs, first in (("cpi_score", 172, 1008, 2012),
                                       ("wgi_cc_estimate", 185, 1952, 2003)):
        for est, shrink in (("pooled OLS", 0), ("two-way FE", 3)):
            rows.append({"term": "egdi", "coef": 1.0, "ci_low": 0.5, "ci_high": 1.5,
                         "estimator": est, "n_obs": n_obs - shrink, "n_countries": n_c - shrink,
                         "outcome": outcome, "data_kind": "demo", "sources": "egov;cpi;wgi",
                         "year_first": first, "year_last": 2022})
    fig = charts.coefficient_plot(pd.DataFrame(rows), width=width)
    cpi, wgi = _panel_legend_texts(fig)
    assert cpi == ["pooled OLS\n(172 countries, 1,008 obs.)",
                   "two-way FE\n(169 countries, 1,005 obs.)"]
    assert wgi == ["pooled OLS\n(185 countries, 1,952 obs.)",
                   "two-way FE\n(182 countries, 1,949 obs.)"]
    footer = style.footer_of(fig)
    assert footer.years == ("CPI score 2012-2022; WGI Control of Corruption 2003-2022")
    # the two estimators' samples differ: each has its own n, never the larger for both
    assert footer.n_countries == ("CPI score: 172 pooled OLS, 169 two-way FE; "
                                  "WGI Control of Corruption: 185 pooled OLS, 182 two-way FE")
    assert "2003-2022" not in footer.years.split(";")[0]
    plt.close(fig)


def test_coefficient_plot_title_and_footer_say_which_models_are_drawn():
    """Notebook 02 draws a 2019 cross-section beside pooled years: the title names both,
    the footer gives each its own countries and years."""
    import matplotlib.pyplot as plt

    rows = [{"term": "internet_users_pct", "coef": 0.3, "ci_low": 0.1, "ci_high": 0.5,
             "estimator": est, "n_obs": n_obs, "n_countries": n_c, "outcome": "cpi_score",
             "data_kind": "demo", "sources": "itu;cpi", "year_first": first,
             "year_last": last}
            for est, n_c, n_obs, first, last in (("cross_section", 160, 160, 2019, 2019),
                                                 ("pooled", 175, 2100, 2012, 2024))]
    fig = charts.coefficient_plot(pd.DataFrame(rows))
    from matplotlib.text import Text

    texts = [t.get_text() for t in fig.findobj(Text)]
    assert "Cross-section vs pooled OLS estimates" in texts
    assert not any("two-way" in t for t in texts)
    footer = style.footer_of(fig)
    assert footer.n_countries == "160 cross-section, 175 pooled OLS"
    assert footer.years == "2019 cross-section, 2012-2024 pooled OLS"
    assert charts.coefficient_plot_title(["pooled", "twfe"]) == (
        "Pooled OLS vs within-country (two-way fixed effects) estimates")
    plt.close(fig)


def test_internet_use_is_the_default_gap_indicator_beside_daily_use():
    gaps = make_gaps()
    daily = gaps.assign(indicator="itu_internet_daily_users_pct")
    both = pd.concat([gaps.assign(indicator="itu_internet_users_pct"), daily],
                     ignore_index=True)
    both.attrs = gaps.attrs
    assert (charts.latest_gaps(both, "sex")["indicator"] == "itu_internet_users_pct").all()
    with pytest.raises(ValueError, match="expected a choice"):
        charts.latest_gaps(pd.concat([daily, gaps.assign(indicator="sdg_internet_access_pct")]),
                           "sex")


def test_footer_names_the_editions_the_build_took_each_source_from():
    """Issue 16: a figure says which edition of each source its numbers come from (the
    build's provenance ``source_editions``), so a chart of CPI 2025 cannot pass for 2023."""
    import pandas as pd

    from divides import provenance
    from divides.figures import style

    frame = provenance.tag(pd.DataFrame({"x": [1]}), data="real", source_editions={
        "cpi": ["2025"], "egov": ["2003", "2004", "2005", "2008", "2010", "2012", "2014",
                                  "2016", "2018", "2020", "2022", "2024"],
        "wdi": ["2025-04-15", "2026-02-24"]})
    footer = style.make_footer(frame, sources=["cpi", "egov", "wdi", "itu"], years="2020",
                               n_countries=3)
    text = footer.text
    assert f"{style.source_label('cpi')} (edition 2025)" in text
    assert f"{style.source_label('egov')} (editions 2003-2024)" in text
    assert f"{style.source_label('wdi')} (releases 2025-04-15, 2026-02-24)" in text
    assert f"{style.source_label('itu')};" not in text and text.count("(") == 3
    untagged = provenance.tag(pd.DataFrame({"x": [1]}), data="real")
    assert "(edition" not in style.make_footer(untagged, sources=["cpi"], years="2020",
                                               n_countries=3).text


def test_curve_decomposition_draws_the_shares_it_is_given_with_words_on_its_axes():
    import itertools

    from divides.figures import registry
    from divides.models import speccurve as sc

    combos = itertools.product(["cpi_score", "wgi_cc_estimate"], ["none", "income"],
                               ["pooled", "twfe"], [0, 1], ["all"], ["egdi", "osi"])
    table = pd.DataFrame(list(combos), columns=["outcome", "controls", "estimator", "lag",
                                                "sample", "key_regressor"])
    table["coef_std"] = (np.where(table["estimator"] == "twfe", -0.3, 0.3)
                         + np.where(table["key_regressor"] == "osi", 0.2, 0.0))  # variances 0.09, 0.01
    table = table.assign(status="ok", n_countries=40, sources="cpi;wdi", year_first=2012,
                         year_last=2020, data_kind="demo")
    fig = registry.draw("spec_curve_decomposition", {"curve_table": table})
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    widths = dict(zip(labels, (p.get_width() for p in ax.patches)))
    assert widths["Estimator (pooled or two-way FE) (2 options)"] == pytest.approx(0.9)
    assert widths["Key regressor (family) (2 options)"] == pytest.approx(0.1)
    assert widths["Interactions between decisions"] == pytest.approx(0.0, abs=1e-12)
    assert ax.get_xlabel().startswith("Share of the variance of the standardised estimates")
    assert "R² 1.00" in fig._divides_footer.note
    assert fig._divides_footer.data_kind == "demo"
    assert sc.decompose(table)["n_specs"].iloc[0] == 32
