# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python (divides)
#     language: python
#     name: divides
# ---

# %% [markdown]
# # A case study: one country around a reform
#
# **Question.** How did the treated country's perceived corruption, e-government scores
# and connectivity move around a reform, compared with a group of donor countries, and
# what can and cannot be concluded from that? By default: Azerbaijan around the launch of
# the ASAN service halls (agency created by decree in July 2012; first centre serving the
# public from 15 January 2013), against post-Soviet peers. The parameters point it at any
# country, treatment year, outcomes and donor group (`divides run --list` shows them).
#
# **Method.** Exploratory, in three steps: (1) the raw paths of the treated country and
# its donors; (2) an event study, the treated country's deviation from the donors in a
# two-way fixed-effects regression by event year (reference: the year before treatment),
# with intervals from placebo runs on the donors; (3) a synthetic control (non-negative
# donor weights summing to one, fitted on the pre-treatment path) with a placebo run for
# every donor and a permutation p-value from the rank of the post/pre fit-error ratio
# (RMSPE). The treatment year is a modelling choice and is varied.

# %% tags=["parameters"]
data = "demo"
report_dir = ""  # set by `divides run`: this run's output folder
treated = "AZE"  # kind: country
donor_group = "post_soviet"  # kind: donor_group  # all, a region, an income group, post_soviet
treatment_year = 2013  # kind: year
outcomes = ["wgi_cc_estimate", "cpi_score"]  # kind: panel_column
keep_donors = []  # kind: country  # screened-out donors to put back, e.g. ["GEO"]
# measured in survey waves (irregular years): compared before/after, not event-studied
wave_outcomes = ["bribery_incidence_pct", "informal_payments_pct", "tax_gift_expected_pct"]  # kind: panel_column

# %%
from IPython.display import Markdown, display

import divides
from divides import config
from divides.figures import registry, style
from divides.models import ModelError, case, headline, narrative
from divides.models.tables import save_table, show

panel = divides.load_panel(data)
screen = case.donor_screen(donor_group, keep=tuple(keep_donors), panel=panel, treated=treated)
donors = case.donors(donor_group, keep=tuple(keep_donors), panel=panel, treated=treated)
names = panel.drop_duplicates("iso3").set_index("iso3")["country_name"]
treated_name = names.get(treated, treated)
figures_dir = config.notebook_output_dir(data, report_dir) / "figures"
tables_dir = config.notebook_output_dir(data, report_dir) / "tables"
tables_dir.mkdir(parents=True, exist_ok=True)
# the files of this case are named by what changes them: the treated unit, the donor group
# (with any screened donors put back) and the treatment year
donor_tag = case.group_tag(donor_group, keep_donors)
case_tag = f"{treated}_{donor_tag}_{treatment_year}"
print(f"treated: {treated} ({treated_name}); donor group {donor_group!r}, donors "
      f"({len(donors)}): {', '.join(donors)}")
for _, row in screen[screen["reason"] != ""].iterrows():
    print(f"screened: {row['iso3']} ({row['name']}): {row['reason']}")
Markdown(f"## {treated_name} from {treatment_year}, against the donor group {donor_group}")

# %% [markdown]
# ## Which outcomes have the data
#
# Each outcome needs values of the treated country in at least three years before the
# treatment year (including the year just before it, the event study's reference), one
# from it on, and at least three donors observed in all those years. An outcome with the
# reference year but fewer earlier years (the CPI's 0-100 scale starts in 2012) gets the
# event study only; one without even that is left out here, with the reason, and the case
# study goes on with the others.

# %%
# NBVAL_CHECK_OUTPUT
outcome_checks = case.outcome_checks(panel, outcomes, treated, donors, treatment_year)
usable = outcome_checks.loc[outcome_checks["status"] == "ok", "outcome"].tolist()
event_outcomes = outcome_checks.loc[outcome_checks["event_study"], "outcome"].tolist()
for _, row in outcome_checks[outcome_checks["status"] != "ok"].iterrows():
    kept = "event study only" if row["event_study"] else "left out"
    print(f"{kept}: {row['outcome']}: {row['status']}")
if not usable:
    raise ModelError(f"case study {treated} from {treatment_year}: no outcome has the data "
                     f"it needs ({'; '.join(outcome_checks['status'])})")
main = usable[0]
print(f"outcomes studied: {', '.join(usable)} (robustness checks on {main})")

# %% [markdown]
# ## The raw paths
#
# The treated country against the median of its donors, before and after the treatment.

# %%
# NBVAL_CHECK_OUTPUT
columns = list(dict.fromkeys([*usable, "egdi", "osi", "internet_users_pct"]))
window = panel[panel["year"].between(treatment_year - 5, treatment_year + 7)]
paths = (window.assign(unit=window["iso3"].where(window["iso3"] == treated, "donor median"))
         [window["iso3"].isin([treated, *donors])]
         .groupby(["unit", "year"])[columns].median()
         .unstack("unit").round(3))
save_table(paths, tables_dir / f"04_case_paths_{case_tag}.csv",
           caption=f"{treated_name} and the donors' median, {treatment_year - 5} to "
                   f"{treatment_year + 7}")

# %% [markdown]
# ## Bribe requests in the survey waves
#
# The perception indexes above are yearly; what firms report about bribe requests (the
# World Bank Enterprise Surveys) exists only in a country's survey waves, a few irregular
# years that differ between countries, so it gets no event study or synthetic control.
# Instead: the treated country's waves before the treatment year and from it on, against
# the donors' waves, and the change in the mean of each country's waves. Where the build
# has no wave on one side, the text says so and makes no comparison.

# %%
# NBVAL_CHECK_OUTPUT
wave_texts = []
for wave_outcome in wave_outcomes:
    waves = case.survey_waves(panel, wave_outcome, treated=treated, donor_pool=donors,
                              treatment_year=treatment_year)
    changes = case.wave_changes(waves, treated, donors)
    display(save_table(changes, tables_dir / f"04_survey_waves_{case_tag}_{wave_outcome}.csv",
                       caption=f"{wave_outcome}: survey waves before and from "
                               f"{treatment_year}", float_format="%.6g"))
    if len(waves):
        _ = registry.save("case_survey_waves", figures_dir, waves=waves, wave_outcome=wave_outcome,
                          treated=treated, donor_group=donor_tag, treatment_year=treatment_year)
    wave_texts.append(case.waves_sentence(changes, style.label(wave_outcome, unit=False),
                                          treated_name, treatment_year))
Markdown("\n\n".join(wave_texts), metadata=narrative.HEADLINE)  # the summary's finding

# %% [markdown]
# ## Event study
#
# The treated country's coefficient for each year around the treatment, one outcome at a
# time. The bars are placebo intervals (the spread of the same coefficient when each donor
# is treated instead), not classical confidence intervals.

# %%
# NBVAL_CHECK_OUTPUT
for outcome in event_outcomes:
    es = case.event_study(panel, outcome, treated=treated, donor_pool=donors,
                          treatment_year=treatment_year)
    _ = registry.save("event_study", figures_dir, es=es, outcome=outcome, treated=treated,
                      donor_group=donor_tag, treatment_year=treatment_year)
    print(narrative.event_window_sentence(es, panel, treated))
    display(save_table(es, tables_dir / f"04_event_study_{case_tag}_{outcome}.csv",
                       caption=f"Event study of {outcome}, {treated_name}",
                       float_format="%.6g"))

# %% [markdown]
# ## Synthetic control with placebo runs

# %%
# NBVAL_CHECK_OUTPUT
for outcome in usable:
    sc = case.synthetic_control(panel, outcome, treated=treated, donor_pool=donors,
                                treatment_year=treatment_year)
    _ = registry.save("synth", figures_dir, paths=sc.paths, outcome=outcome, treated=treated,
                      donor_group=donor_tag, treatment_year=treatment_year)
    weights = sc.weights[(sc.weights["unit"] == treated) & (sc.weights["weight"] > 0.001)]
    display(show(weights[["donor", "weight"]], caption=f"{outcome}: donor weights"))
    display(save_table(sc.summary, tables_dir / f"04_synth_{case_tag}_{outcome}_placebos.csv",
                       caption=f"Synthetic control of {outcome}: {treated_name} and the "
                               "placebo runs", float_format="%.6g"))
    print(f"permutation p-value (rank of the RMSPE ratio): {sc.p_value:.3f}")

# %% [markdown]
# ## The data choices as specifications
#
# Each outcome by treatment year (the year before the chosen one, and the chosen one). A
# combination without enough pre-treatment years is kept with its reason in `status`,
# rather than mixing in another indicator.

# %%
# NBVAL_CHECK_OUTPUT
specs = case.case_specs(panel, treated=treated, donor_pool=donors, outcomes=tuple(usable),
                        treatment_years=(treatment_year - 1, treatment_year))
save_table(specs, tables_dir / f"04_case_specs_{case_tag}.csv", float_format="%.6g",
           caption=f"Synthetic control of {treated_name} by outcome and treatment year")

# %% [markdown]
# ## How fragile is the synthetic control?
#
# Three checks of the result above, on the first outcome with data: (1) leave-one-out, the
# synthetic control re-run without each donor in turn; (2) the donor pool with the
# screened donors put back (by default Georgia, whose Public Service Halls were the model
# for ASAN, so it is a treated unit, not a control); (3) placebos in time, fake treatment
# years before the real one, using only years before it; and an interval for a constant
# post-treatment gap by conformal inference (Chernozhukov, Wuthrich and Zhu 2021).

# %%
# NBVAL_CHECK_OUTPUT
loo = case.leave_one_out(panel, main, treated=treated, donor_pool=donors,
                         treatment_year=treatment_year)
save_table(loo, tables_dir / f"04_leave_one_out_{case_tag}_{main}.csv", float_format="%.6g",
           caption=f"Synthetic control of {main} for {treated_name}, leaving out one donor "
                   "at a time")

# %%
_ = registry.save("synth_leave_one_out", figures_dir, loo=loo, outcome=main,
                  treated=treated, donor_group=donor_tag, treatment_year=treatment_year)

# %%
# NBVAL_CHECK_OUTPUT
loo_text = narrative.leave_one_out_sentence(loo)
print(loo_text)
screened = screen.loc[~screen["used"] & (screen["iso3"] != treated), "iso3"].tolist()
if screened:
    with_screened = case.synthetic_control(
        panel, main, treated=treated, treatment_year=treatment_year,
        donor_pool=case.donors(donor_group, keep=tuple(screened), panel=panel, treated=treated))
    gap_all = with_screened.summary.set_index("unit").loc[treated, "post_gap_mean"]
    screened_text = narrative.screened_sentence(screened, donor_group, gap_all,
                                                with_screened.p_value)
else:
    screened_text = narrative.screened_sentence(screened, donor_group)
print(screened_text)

# %%
# NBVAL_CHECK_OUTPUT
fake = case.placebo_in_time(panel, main, treated=treated, donor_pool=donors,
                            treatment_year=treatment_year)
display(save_table(fake, tables_dir / f"04_placebo_in_time_{case_tag}_{main}.csv",
                   float_format="%.6g", caption=f"Placebos in time: {main} for "
                                                f"{treated_name}, fake treatment years"))
interval = case.conformal_interval(panel, main, treated=treated, donor_pool=donors,
                                   treatment_year=treatment_year, alpha=0.1)
conformal_text = case.conformal_sentence(interval)
print(conformal_text)
_ = headline.write(config.notebook_output_dir(data, report_dir), "04",
                   headline.from_case(loo, interval, treated))

# %% [markdown]
# What this does to the claim: whether the synthetic-control gap rests on one donor is
# read from the leave-one-out range printed above, the honest summary of the point estimate;
# where dropping one donor moves the gap to about zero and the placebo p-value to a value
# no one would call evidence, the result is a statement about that donor, not about the
# reform. The placebos in time show how large gaps at fake dates are, and the conformal
# interval includes zero whenever its printed p-value of a zero gap is above 0.1.

# %% [markdown]
# ## What this can and cannot show
#
# * One treated country and a group of donors: the smallest possible placebo p-value is
#   1 / (donors + 1), so "significance" is coarse by construction.
# * A reform comes with other changes (for the default case, ASAN in Azerbaijan: oil
#   revenues, the 2013 election, anti-corruption campaigns), and perception indices react
#   to many of them; the design cannot separate the reform from them.
# * A reform of service delivery can be a bribe-free "pocket of integrity" (as qualitative
#   studies call ASAN) whose effect on systemic corruption is limited; a national
#   perception index is a blunt instrument for that narrower claim. The firms' bribe
#   requests are closer to it, but they exist in a few waves per country, each a sample of
#   firms, and firms deal with more offices than the service halls.
# * The figures and tables above are exploratory evidence, not a causal estimate.
