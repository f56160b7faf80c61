"""The data-generating process of the demo set: latent country-year values, no file formats.

:func:`simulate` returns a :class:`World`: arrays of shape (countries, years) for every
latent series, plus the few tables whose structure is not a full grid (EGOV survey
rows, the ITU latest-year table, Findex rounds). The writers in
:mod:`divides.demo.formats` only format and thin these values; they invent nothing new
except which cells a publisher leaves empty.

Random streams are keyed by name (``rng("internet")``), so adding a component does not
shift the draws of the others.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


def logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class World:
    """Latent values of the demo set (arrays are countries x years)."""

    countries: pd.DataFrame
    years: np.ndarray
    params: dict
    seed: int
    grid: dict[str, np.ndarray] = field(default_factory=dict)
    egov: pd.DataFrame | None = None
    itu_latest: pd.DataFrame | None = None
    gap_moderator_pp: np.ndarray | None = None
    es_waves: pd.DataFrame | None = None

    def rng(self, name: str) -> np.random.Generator:
        """An independent random stream for one component (stable across code changes)."""
        return np.random.default_rng([self.seed, zlib.crc32(name.encode())])

    @property
    def iso3(self) -> np.ndarray:
        return self.countries["iso3"].to_numpy()

    def col(self, year: int) -> int:
        return int(year - self.years[0])

    def long(self, *names: str) -> pd.DataFrame:
        """Grid series as a long country-year frame (iso3, year, <names>)."""
        n, t = len(self.countries), len(self.years)
        out = pd.DataFrame({"iso3": np.repeat(self.iso3, t), "year": np.tile(self.years, n)})
        for name in names:
            out[name] = self.grid[name].reshape(-1)
        return out


def _gap(world: World, name: str, z: np.ndarray, t_from: np.ndarray) -> np.ndarray:
    p = world.params["gaps"][name]
    rng = world.rng(f"gap:{name}")
    n, t = z.shape
    u = rng.normal(0, p["u_sd"], (n, 1))
    e = rng.normal(0, p["e_sd"], (n, t))
    r = p["r0"] - p["r_income"] * z - p["r_time"] * t_from + u + e
    return np.clip(r, p["r_min"], p["r_max"])


def split(total: np.ndarray, r: np.ndarray, share_adv: float | np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """Rates of the advantaged and disadvantaged groups from a total rate and a relative gap.

    total = s * adv + (1 - s) * dis with dis = adv * (1 - r); adv is capped just below 100.
    """
    adv = total / (share_adv + (1 - share_adv) * (1 - r))
    adv = np.minimum(adv, 99.9)
    dis = np.clip((total - share_adv * adv) / (1 - share_adv), 0.05, 99.9)
    return adv, dis


def simulate(params: dict, countries: pd.DataFrame, seed: int) -> World:
    """Draw every latent series of the demo set from ``params`` (see demo_params.toml)."""
    years = np.arange(params["first_year"], params["last_year"] + 1)
    w = World(countries=countries.reset_index(drop=True), years=years, params=params, seed=seed)
    n, T = len(countries), len(years)
    g = w.grid
    t03 = np.broadcast_to(years - 2003, (n, T)).astype(float)
    case = (w.iso3 == params["case_iso3"])[:, None]

    # Income: log GDP per capita PPP, AR(1) shocks around a country trend.
    p = params["income"]
    rng = w.rng("income")
    inc = countries["income_group"].fillna("").to_numpy()
    base = np.array([p["log_gdp_2003"][k] for k in inc]) + rng.normal(0, p["log_gdp_sd"], n)
    growth = rng.normal(p["growth_mean"], p["growth_sd"], n)
    shocks = np.zeros((n, T))
    eps = rng.normal(0, p["shock_sd"], (n, T))
    for j in range(1, T):
        shocks[:, j] = p["shock_rho"] * shocks[:, j - 1] + eps[:, j]
    lgdp = base[:, None] + growth[:, None] * t03 + shocks
    z = (lgdp - p["z_centre"]) / p["z_scale"]
    g["z"] = z
    g["gdp_pc_ppp"] = np.exp(lgdp)
    usd = np.array([p["usd_per_ppp"][k] for k in inc])
    g["gdp_pc_usd"] = np.exp(lgdp) * usd[:, None] * np.exp(rng.normal(0, 0.05, (n, T)))

    # Population and urbanisation.
    p = params["population"]
    rng = w.rng("population")
    lpop = rng.normal(p["log_pop_mean"], p["log_pop_sd"], n)
    gr = p["growth_mean"] + p["growth_income_slope"] * z.mean(axis=1)
    g["population"] = np.exp(lpop[:, None] + gr[:, None] * t03)
    p = params["urban"]
    rng = w.rng("urban")
    g["urban_pct"] = 100 * logistic(p["a"] + p["b"] * z + p["c"] * t03
                                     + rng.normal(0, p["u_sd"], (n, 1)))

    # Internet use and subscriptions.
    p = params["internet"]
    rng = w.rng("internet")
    t13 = t03 - 10
    g["internet_pct"] = 100 * logistic(p["a"] + p["b"] * z + p["c"] * t13
                                        + rng.normal(0, p["u_sd"], (n, 1))
                                        + rng.normal(0, p["e_sd"], (n, T)))
    p = params["subscriptions"]
    rng = w.rng("subscriptions")
    g["mobile_per100"] = p["mobile_cap_per100"] * logistic(
        p["mobile_a"] + p["mobile_b"] * z + p["mobile_c"] * t13 + rng.normal(0, 0.3, (n, 1)))
    g["broadband_per100"] = p["broadband_cap_per100"] * logistic(
        p["broadband_a"] + p["broadband_b"] * z + p["broadband_c"] * t13
        + rng.normal(0, 0.3, (n, 1)))
    g["mobile_broadband_per100"] = p["mobile_broadband_cap_per100"] * logistic(
        p["mobile_broadband_a"] + p["mobile_broadband_b"] * z + p["mobile_broadband_c"] * t13
        + rng.normal(0, 0.3, (n, 1)))
    g["fixed_phone_per100"] = p["fixed_phone_per100_high"] * logistic(
        1.5 * z - 0.03 * t03 + rng.normal(0, 0.3, (n, 1)))
    g["secure_servers_per_million"] = np.exp(
        p["secure_servers_log_a"] + p["secure_servers_log_b"] * z + 0.15 * t13
        + rng.normal(0, 0.4, (n, 1)))

    # Access gaps (relative), shrinking with income and time.
    g["gap_sex_internet"] = _gap(w, "sex_internet", z, t03)
    g["gap_area_internet"] = _gap(w, "area_internet", z, t03)
    g["internet_male_pct"], g["internet_female_pct"] = split(
        g["internet_pct"], g["gap_sex_internet"], 0.5)
    share_urban = g["urban_pct"] / 100
    g["internet_urban_pct"], g["internet_rural_pct"] = split(
        g["internet_pct"], g["gap_area_internet"], share_urban)

    # Literacy: adult total, by sex, by age group.
    p = params["literacy"]
    rng = w.rng("literacy")
    g["literacy_pct"] = 100 * logistic(p["a"] + p["b"] * z + p["c"] * t03
                                        + rng.normal(0, p["u_sd"], (n, 1)))
    g["gap_sex_literacy"] = _gap(w, "sex_literacy", z, t03)
    g["gap_age_literacy"] = _gap(w, "age_literacy", z, t03)
    g["literacy_male_pct"], g["literacy_female_pct"] = split(
        g["literacy_pct"], g["gap_sex_literacy"], 0.5)
    # Age groups: youth above the adult rate, 65+ below (youth share of adults ~ 0.25).
    young, old = split(g["literacy_pct"], g["gap_age_literacy"], 0.45)
    g["literacy_15_24_pct"], g["literacy_65plus_pct"] = young, old
    g["literacy_25_64_pct"] = np.clip(0.5 * (young + g["literacy_pct"]), 0.1, 99.9)

    # E-government components (latent in every year; published in survey years).
    p = params["egov"]
    for comp in ("osi", "tii", "hci"):
        q = p[comp]
        rng = w.rng(f"egov:{comp}")
        trend = rng.normal(0, q["trend_sd"], (n, 1)) if q["trend_sd"] else 0.0
        lin = (q["a"] + q["b"] * z + q["c"] * t03 + trend * t03
               + rng.normal(0, q["u_sd"], (n, 1)) + rng.normal(0, q["e_sd"], (n, T)))
        g[comp] = logistic(lin)
    jump = case & (np.broadcast_to(years, (n, T)) >= p["case_osi_jump_from"])
    g["osi"] = np.clip(g["osi"] + p["case_osi_jump"] * jump, 0, 1)
    g["egdi"] = (g["osi"] + g["tii"] + g["hci"]) / 3
    rng = w.rng("egov:epi")
    g["epi"] = np.clip(g["osi"] * 0.95 + rng.normal(0, p["epi_noise_sd"], (n, T)), 0.0, 1.0)
    w.egov = _egov_survey(w)

    # ITU latest-year table: defines the gender-gap moderator G_i of the corruption equation.
    w.itu_latest = _itu_latest(w)
    lat = w.itu_latest.set_index("iso3")
    gap_pp = (lat["male"] - lat["female"]).reindex(w.iso3).to_numpy()
    # Countries without a published by-sex value still get a moderator (their latent gap
    # in 2020), so the DGP is defined everywhere; only published ones enter the test model.
    j20 = w.col(2020)
    latent = g["internet_male_pct"][:, j20] - g["internet_female_pct"][:, j20]
    w.gap_moderator_pp = np.where(np.isnan(gap_pp), latent, gap_pp)

    # Lagged EGDI on survey years: E_it = EGDI of the latest survey year s <= t - 1.
    surveys = np.array(p["survey_years"])
    egdi_pub = np.round(g["egdi"], 5)
    lag = np.full((n, T), np.nan)
    for j, year in enumerate(years):
        prior = surveys[surveys <= year - 1]
        if len(prior):
            lag[:, j] = egdi_pub[:, w.col(prior.max())]
    g["egdi_lag_survey"] = lag

    # Control of corruption and the other WGI dimensions.
    p = params["corruption"]
    rng = w.rng("corruption")
    zbar = z.mean(axis=1, keepdims=True)
    u = rng.normal(0, p["u_sd"], (n, 1))
    e = rng.normal(0, p["e_sd"], (n, T))
    lag_filled = np.where(np.isnan(lag), egdi_pub[:, [0]], lag)  # 2003: the 2003 survey itself
    moderator = (w.gap_moderator_pp - p["gap_centre_pp"])[:, None]
    brk = case & (np.broadcast_to(years, (n, T)) >= p["case_break_year"])
    between = p["a"] + p["income"] * zbar + u
    g["cc"] = (between + p["beta_within"] * lag_filled
               + p["delta_egdi_x_gap"] * (lag_filled - p["egdi_centre"]) * moderator
               + p["case_break"] * brk + e)
    g["cc_between"] = np.broadcast_to(between, (n, T)).copy()
    for dim, rho in p["other_dims_rho"].items():
        r = w.rng(f"wgi:{dim}")
        own = r.normal(0, p["u_sd"] + 0.3, (n, 1))
        g[dim] = (rho * between + np.sqrt(1 - rho ** 2) * own + 0.3 * p["beta_within"] * lag_filled
                  + r.normal(0, p["other_dims_e_sd"], (n, T)))
    for dim in ("cc", *p["other_dims_rho"]):
        g[dim] = np.clip(g[dim], -2.45, 2.45)

    # CPI: 0-100 from 2012, legacy 0-10 before.
    p = params["cpi"]
    rng = w.rng("cpi")
    g["cpi"] = np.clip(np.round(p["a"] + p["b"] * g["cc"] + rng.normal(0, p["e_sd"], (n, T))), 8, 92)
    g["cpi10"] = np.clip(np.round(p["a10"] + p["b10"] * g["cc"]
                                  + rng.normal(0, p["e10_sd"], (n, T)), 1), 1.0, 9.7)

    # Bribe requests (Enterprise Surveys): latent every year, published in survey waves.
    p = params["bribery"]
    rng = w.rng("bribery")
    u = rng.normal(0, p["u_sd"], (n, 1))
    brk = case & (np.broadcast_to(years, (n, T)) >= p["case_break_year"])
    g["bribery"] = np.clip(p["a"] + p["income"] * zbar + u
                           + p["beta_egdi"] * (lag_filled - p["egdi_centre"])
                           + p["case_break"] * brk + rng.normal(0, p["e_sd"], (n, T)), 0, 100)
    g["informal_payments"] = np.clip(p["informal_scale"] * g["bribery"]
                                     + rng.normal(0, p["informal_e_sd"], (n, T)), 0, 100)
    g["tax_gift"] = np.clip(p["tax_gift_scale"] * g["bribery"]
                            + rng.normal(0, p["tax_gift_e_sd"], (n, T)), 0, 100)
    w.es_waves = _es_waves(w)
    return w


def _es_waves(w: World) -> pd.DataFrame:
    """Enterprise Surveys waves: (iso3, year, tax_question) per surveyed country-wave.

    2-4 waves per surveyed country in irregular years at least ``min_gap_years`` apart
    (drawn until they fit); the case country has ``case_waves``. ``tax_question`` False: that
    wave's file has no tax-meeting gift value.
    """
    p = w.params["bribery"]
    rng = w.rng("bribery:waves")
    high = (w.countries["income_group"] == "High income").to_numpy()
    span = np.arange(p["first_wave_year"], p["last_wave_year"] + 1)
    rows = []
    for i, iso3 in enumerate(w.iso3):
        share = p["high_income_share"] if high[i] else p["share_countries"]
        surveyed = rng.random() < share
        k = int(rng.integers(p["waves_min"], p["waves_max"] + 1))
        if iso3 == w.params["case_iso3"]:
            chosen = list(p["case_waves"])
        elif not surveyed:
            continue
        else:
            for _ in range(200):
                chosen = sorted(rng.choice(span, size=k, replace=False).tolist())
                if np.all(np.diff(chosen) >= p["min_gap_years"]):
                    break
            else:
                raise ValueError(f"demo_params.toml [bribery]: {k} waves at least "
                                 f"{p['min_gap_years']} years apart do not fit in "
                                 f"{span[0]}-{span[-1]}")
        for year in chosen:
            rows.append({"iso3": iso3, "year": int(year),
                         "tax_question": bool(rng.random() >= p["tax_gift_missing_share"])})
    return pd.DataFrame(rows, columns=["iso3", "year", "tax_question"])


def _egov_survey(w: World) -> pd.DataFrame:
    """One row per (country, survey year): published indices, assessed flag, rank."""
    p = w.params["egov"]
    rng = w.rng("egov:survey")
    rows = []
    has_egov = w.countries["egov_name"].notna().to_numpy()
    z0 = w.grid["z"][:, 0]
    poorest = np.argsort(z0)[: max(40, 1)]
    for year in p["survey_years"]:
        j = w.col(year)
        k = int(p["not_assessed"].get(str(year), 0))
        not_assessed = set(rng.choice(poorest, size=k, replace=False).tolist()) if k else set()
        for i in np.flatnonzero(has_egov):
            assessed = i not in not_assessed
            rows.append({
                "iso3": w.iso3[i], "year": year, "assessed": assessed,
                "egdi": round(float(w.grid["egdi"][i, j]), 5) if assessed else 0.0,
                "osi": round(float(w.grid["osi"][i, j]), 5) if assessed else 0.0,
                "epi": round(float(w.grid["epi"][i, j]), 5) if assessed else 0.0,
                "hci": round(float(w.grid["hci"][i, j]), 5),
                "tii": round(float(w.grid["tii"][i, j]), 5),
            })
    out = pd.DataFrame(rows)
    out["rank"] = (out.groupby("year")["egdi"].rank(ascending=False, method="min")
                   .astype("int64"))
    return out


def _itu_latest(w: World) -> pd.DataFrame:
    """ITU latest-year survey table: year, all, male, female, urban/rural (by sex)."""
    p = w.params["itu"]
    rng = w.rng("itu:latest")
    g = w.grid
    rows = []
    for i in np.flatnonzero(w.countries["itu_name"].notna().to_numpy()):
        year = int(rng.choice(p["latest_years"], p=p["latest_year_weights"]))
        by_sex = rng.random() < p["by_sex_share"] or w.iso3[i] == w.params["case_iso3"]
        by_area = by_sex and (rng.random() < p["urban_rural_share"]
                              or w.iso3[i] == w.params["case_iso3"])
        j = w.col(year)
        row = {"iso3": w.iso3[i], "year": year, "all": round(float(g["internet_pct"][i, j]), 1)}
        if by_sex:
            row["male"] = round(float(g["internet_male_pct"][i, j]), 1)
            row["female"] = round(float(g["internet_female_pct"][i, j]), 1)
        if by_area:
            urb, rur = float(g["internet_urban_pct"][i, j]), float(g["internet_rural_pct"][i, j])
            r = float(g["gap_sex_internet"][i, j])
            row["urban"] = round(urb, 1)
            row["rural"] = round(rur, 1)
            row["urban_male"], row["urban_female"] = (round(min(urb * (1 + r / 2), 99.9), 1),
                                                      round(min(urb * (1 - r / 2), 99.9), 1))
            row["rural_male"], row["rural_female"] = (round(min(rur * (1 + r / 2), 99.9), 1),
                                                      round(min(rur * (1 - r / 2), 99.9), 1))
        rows.append(row)
    cols = ["iso3", "year", "all", "male", "female", "urban", "urban_male", "urban_female",
            "rural", "rural_male", "rural_female"]
    return pd.DataFrame(rows).reindex(columns=cols)
