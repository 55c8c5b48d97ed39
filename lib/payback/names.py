"""The names notebook 04 records its results under (lib.results): the summary, the league table
and the workbook read them by these strings, so a constant is renamed only with its readers.

Each route the model compares has six results, named `<route>_<measure>`; the routes are
`export` (built in China, shipped whole to Europe), `europe_assembly` (kits assembled in the
maker's European venture) and `sea` (kits assembled in its South-East Asian venture)."""

# The notebook the results are recorded in (later runs look them up by it).
NOTEBOOK = "04_globalization_payback"

# Where notebook 04 says that no answer of its kind has an outcome yet (its heading's anchor).
RECORD_SECTION = "#The-answer"

# The answer: the route with the highest median NPV to the maker, and its chance of paying back.
BEST_STRATEGY = "best_strategy"  # slug of the best route (text: export, europe_assembly, sea)
BEST_P_PAYBACK_HORIZON = "best_p_payback_horizon"  # the headline: P(payback within the horizon)
BEST_ROUTE = "best_route"  # the best route for readers, its place from the data ("Assemble in ...")

# Exporting from China to Europe over EU duties.
EXPORT_MEDIAN_NPV_RMB_MN = "export_median_npv_rmb_mn"  # median NPV to the maker [p10, p90]
EXPORT_P_NPV_NEGATIVE = "export_p_npv_negative"  # probability the NPV is below zero
EXPORT_MEDIAN_PAYBACK_YEARS = "export_median_payback_years"  # median payback [p10, p90]
EXPORT_P_PAYBACK_5Y = "export_p_payback_5y"  # probability of payback within 5 years
EXPORT_P_PAYBACK_8Y = "export_p_payback_8y"  # probability of payback within 8 years
EXPORT_TOP_DRIVER = "export_top_driver"  # the input that moves the NPV most (text)

# Assembling kits in the maker's European venture (was `spain_*`: a country is data, not code).
EUROPE_ASSEMBLY_MEDIAN_NPV_RMB_MN = "europe_assembly_median_npv_rmb_mn"  # median NPV [p10, p90]
EUROPE_ASSEMBLY_P_NPV_NEGATIVE = "europe_assembly_p_npv_negative"  # P(NPV below zero)
EUROPE_ASSEMBLY_MEDIAN_PAYBACK_YEARS = "europe_assembly_median_payback_years"  # [p10, p90]
EUROPE_ASSEMBLY_P_PAYBACK_5Y = "europe_assembly_p_payback_5y"  # P(payback within 5 years)
EUROPE_ASSEMBLY_P_PAYBACK_8Y = "europe_assembly_p_payback_8y"  # P(payback within 8 years)
EUROPE_ASSEMBLY_TOP_DRIVER = "europe_assembly_top_driver"  # the input moving the NPV most

# Assembling kits in the maker's South-East Asian venture.
SEA_MEDIAN_NPV_RMB_MN = "sea_median_npv_rmb_mn"  # median NPV to the maker [p10, p90]
SEA_P_NPV_NEGATIVE = "sea_p_npv_negative"  # probability the NPV is below zero
SEA_MEDIAN_PAYBACK_YEARS = "sea_median_payback_years"  # median payback [p10, p90]
SEA_P_PAYBACK_5Y = "sea_p_payback_5y"  # probability of payback within 5 years
SEA_P_PAYBACK_8Y = "sea_p_payback_8y"  # probability of payback within 8 years
SEA_TOP_DRIVER = "sea_top_driver"  # the input that moves the NPV most (text)

# The six results of each route, by route slug and measure (what `Result.record` iterates).
ROUTE_RESULTS = {
    "export": {
        "median_npv": EXPORT_MEDIAN_NPV_RMB_MN,
        "p_npv_negative": EXPORT_P_NPV_NEGATIVE,
        "median_payback": EXPORT_MEDIAN_PAYBACK_YEARS,
        "p_payback_short": EXPORT_P_PAYBACK_5Y,
        "p_payback_long": EXPORT_P_PAYBACK_8Y,
        "top_driver": EXPORT_TOP_DRIVER,
    },
    "europe_assembly": {
        "median_npv": EUROPE_ASSEMBLY_MEDIAN_NPV_RMB_MN,
        "p_npv_negative": EUROPE_ASSEMBLY_P_NPV_NEGATIVE,
        "median_payback": EUROPE_ASSEMBLY_MEDIAN_PAYBACK_YEARS,
        "p_payback_short": EUROPE_ASSEMBLY_P_PAYBACK_5Y,
        "p_payback_long": EUROPE_ASSEMBLY_P_PAYBACK_8Y,
        "top_driver": EUROPE_ASSEMBLY_TOP_DRIVER,
    },
    "sea": {
        "median_npv": SEA_MEDIAN_NPV_RMB_MN,
        "p_npv_negative": SEA_P_NPV_NEGATIVE,
        "median_payback": SEA_MEDIAN_PAYBACK_YEARS,
        "p_payback_short": SEA_P_PAYBACK_5Y,
        "p_payback_long": SEA_P_PAYBACK_8Y,
        "top_driver": SEA_TOP_DRIVER,
    },
}
