"""The synthetic demo data set: invented values in the publishers' own file formats.

``divides demo`` (and the panel build, when ``data/raw/demo`` is missing) calls
:func:`write_demo`, which writes one folder per source laid out like
``../shared/data/real`` (``wb_wdi/``, ``wb_wgi/``, ``ti_cpi/``, ``itu/``, ``un_egov/``,
``wb_findex/``, ``un_sdg/``, ``unesco_literacy/``), each in its publisher's format with
its quirks, so the same readers read it (there is no demo branch in any reader). Country
codes, names (spelled as each publisher spells them), regions and income groups are real
(``data/demo/demo_countries.csv``); every value is invented. The same seed gives byte-identical
files (xlsx included).

Data-generating process (parameters: ``data/demo/demo_params.toml``; names below are its keys)
--------------------------------------------------------------------------------------
* **Income.** log GDP per capita PPP starts from an income-group level, grows at a
  country-specific rate with AR(1) shocks; ``z`` is its standardised value. Between
  countries, ``z`` drives everything else.
* **Access.** Internet users, subscriptions, urbanisation and literacy are logistic in
  ``z`` and time with country effects.
* **Access gaps** (relative: (advantaged − disadvantaged) / advantaged) for sex and
  urban/rural internet use, sex and age (15-24 vs 65+) literacy and the Findex groups
  (sex, income, age, education, area, labour force) follow
  ``r = r0 − r_income·z − r_time·(year − 2003) + u_i + e_it`` with ``r_income, r_time > 0``:
  gaps shrink with income and over time.
* **E-government.** OSI, TII and HCI are logistic in ``z``, a common trend, a
  country-specific trend and noise; EGDI = their mean; EPI follows OSI. Published only in
  the survey years (2003-2005, 2008, then biennial); not-assessed states get ``0.00000``
  (EGDI, OSI, EPI) in the early surveys. The case country's OSI jumps from 2014 (ASAN).
* **Control of corruption** (WGI ``cc``), in standard-normal units::

      cc_it = a + income·zbar_i + u_i + beta_within·E_it
              + delta_egdi_x_gap·(E_it − egdi_centre)·(G_i − gap_centre_pp)
              + case_break·[i = AZE, year >= 2013] + e_it

  ``E_it`` is the EGDI of the latest survey year ``s <= t − 1`` (the lag is defined on
  survey years: CC in 2013 uses the 2012 survey, CC in 2014 and 2015 the 2014 survey; in
  2003 the 2003 survey itself). ``zbar_i`` is the country's mean income, so income moves
  CC only between countries and two-way fixed effects recover ``beta_within`` without an
  income control. ``G_i`` is the country's internet gender gap (male − female, pp) in its
  ITU latest-year survey. Pooled OLS of CC on EGDI is therefore large (both follow
  income) while the within effect is small: the pattern RESEARCH.md reports for real data.
* **Bribe requests** (Enterprise Surveys in WDI, % of firms; ``[bribery]``):
  ``a + income·zbar_i + u_i + beta_egdi·(E_it − egdi_centre) + case_break·[AZE, >= 2013]
  + e_it`` clipped to 0-100, with ``beta_egdi`` = −40 (−4 pp per 0.1 EGDI); informal
  payments and tax-meeting gifts scale it. Published only in 2-4 irregular waves per
  surveyed country (Azerbaijan 2009, 2013, 2019) as World Bank API v2 JSON
  (``wb_wdi/api_v2_json/IC.*.json``; IC.FRM.BRIB.ZS saved as its two pages).
* **CPI** (0-100, 2012 on) = ``a + b·cc + noise``, rounded; the legacy 0-10 CPI (before
  2012) = ``a10 + b10·cc + noise``. The other WGI dimensions share CC's between-country part.
* **Missingness**: literacy only in a few survey years of non-high-income countries
  (UNESCO 2010-2018), ITU by sex/area only for a latest year (2016-2020) and by area for
  about half of the countries, Findex only in 2011/2014/2017/2021 (2011 empty in the
  DataBank extract, rural/urban only 2021, the case country not surveyed in 2021), EGOV
  biennial, CPI with a few gaps (Brunei's as in TI's file), WDI with scattered gaps.

Not written: the ITU 2019/20 edition (a legacy ``.xls``; writing it needs ``xlwt``, and the
ITU reader takes that edition only as ``.xls``), the CPI 2012 and 2017 single-year
workbooks, the ITU aggregates workbook and the modified EGOV 2024 file.

The written folder carries ``SYNTHETIC_DEMO_DATA.md`` (label, seed, parameter checksum);
the panel layer tags everything built from it with ``provenance.tag(frame, "demo")`` so
figures say "synthetic demo data".
"""

from __future__ import annotations

import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from divides import config, fileio, provenance
from divides.demo.dgp import World, simulate
from divides.demo.formats import WRITERS
from divides.provenance import DEMO_LABEL

MARKER_FILE = provenance.DEMO_MARKER_FILE


def load_params(path: Path | None = None) -> dict:
    """The demo parameters (``data/demo/demo_params.toml``)."""
    with open(path or config.DEMO_PARAMS_TOML, "rb") as fh:
        return tomllib.load(fh)


def load_countries() -> pd.DataFrame:
    """The demo countries with each publisher's spelling of their names."""
    return pd.read_csv(config.DEMO_COUNTRIES_CSV, dtype=str,
                       keep_default_na=False, na_values=[""]).assign(
        m49=lambda f: f["m49"].astype(int))


@dataclass
class Demo:
    """A generated demo set: the latent world and the values written per file."""

    world: World
    truth: pd.DataFrame
    root: Path


def generate(out_dir: Path, seed: int | None = None, params: dict | None = None) -> Demo:
    """Write the demo set into ``out_dir`` (replacing it) and return world and truth."""
    params = params or load_params()
    seed = int(params["seed"] if seed is None else seed)
    world = simulate(params, load_countries(), seed)
    out_dir = Path(out_dir)
    if out_dir.exists():
        if not (out_dir / MARKER_FILE).exists() and any(out_dir.iterdir()):
            raise FileExistsError(f"{out_dir}: not empty and not a demo folder (no {MARKER_FILE});"
                                  " refusing to overwrite")
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    truths = []
    for source, writer in WRITERS.items():
        frame = writer(world, out_dir)
        truths.append(frame.assign(source=source))
    truth = pd.concat(truths, ignore_index=True)
    digest = fileio.sha256_file(config.DEMO_PARAMS_TOML)[:16]
    (out_dir / MARKER_FILE).write_text(
        f"# {DEMO_LABEL}\n\nEvery value in this folder is invented by `divides demo` "
        f"(divides.demo) from src/divides/data/demo_params.toml.\n\n- label: {DEMO_LABEL}\n"
        f"- seed: {seed}\n- params sha256: {digest}\n- countries: {len(world.countries)}\n"
        f"- years: {params['first_year']}-{params['last_year']}\n"
        f"- generator sha256: {fingerprint(seed)}\n", encoding="utf-8")
    return Demo(world=world, truth=truth, root=out_dir)


def write_demo(out_dir: Path | str | None = None, seed: int | None = None) -> Path:
    """Write the synthetic demo set (default ``data/raw/demo``) and return its folder."""
    out = Path(out_dir) if out_dir is not None else config.DEMO_RAW_DIR
    generate(out, seed=seed)
    print(f"divides demo: wrote {DEMO_LABEL} into {out}")
    return out


def fingerprint(seed: int | None = None) -> str:
    """Checksum of what the demo set is made from (see :func:`divides.provenance.demo_fingerprint`)."""
    return provenance.demo_fingerprint(seed)


def is_current(path: Path | str, seed: int | None = None) -> bool:
    """Whether a demo folder was generated by this generator with these parameters."""
    return provenance.demo_state(path, seed) == "current"


def is_demo_dir(path: Path | str) -> bool:
    """Whether a raw-data folder is a generated demo set (it carries the marker file)."""
    return provenance.is_demo_dir(path)


def ensure_demo(out_dir: Path | str | None = None) -> Path:
    """The demo folder (default ``data/raw/demo``), written first when it is missing or
    stale; a current one is left as it is. Notebooks loading ``data="demo"`` call this."""
    out = Path(out_dir) if out_dir is not None else config.DEMO_RAW_DIR
    if provenance.demo_state(out) in ("missing", "stale"):
        write_demo(out_dir=out)
    return out
