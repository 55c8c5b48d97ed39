"""lib.premium.inputs: the default study on the frozen data, a maker without trims, and every bad
parameter named with what was expected."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from lib import data, makers
from lib.premium import inputs
from tests.conftest import FROZEN_DATA

DEFAULTS = {
    "reference_brand": "BYD",
    "comparison_brands": ["Tesla", "Li Auto", "NIO", "AITO", "Xiaomi", "XPeng", "Zeekr"],
    "powertrains": ["bev", "erev", "phev"],
    "model_years": [2023, 2024, 2025],
    "price_band_low_rmb": 250_000,
    "price_band_high_rmb": 300_000,
    "flagship_series": "",  # the maker's own flagship as the data name it
    "flagship_trims": [],
    "flagship_drive_if_missing": "awd",
    "min_brand_trims": 10,
    "price_tier_edges_rmb": [0, 100_000, 150_000, 200_000, 250_000, 300_000, 400_000],
    "prediction_level": 0.8,
    "confidence_level": 0.95,
    "n_draws": 4000,
    "seed": 2026,
}


def study(maker: str = "leapmotor", data_dir=FROZEN_DATA, **overrides) -> inputs.Study:
    return inputs.load_study(maker, **(DEFAULTS | overrides), data_dir=data_dir)


def test_default_study_on_the_frozen_data():
    found = study()
    trims = data.load_trims(FROZEN_DATA)
    assert found.focus == "Leapmotor" and found.maker.key == "leapmotor"
    assert len(found.sample) + found.excluded["trims"].sum() == len(trims)
    assert set(found.flagship["drive"]) == {"awd"}
    assert any("2026 priced as 2025" in note for note in found.flagship_notes)
    assert found.comparisons == ("Tesla", "Li Auto", "NIO", "AITO", "Xiaomi", "XPeng", "Zeekr")
    assert found.badges[:2] == ["Leapmotor", "BYD"]
    assert list(found.band_rows["name"]) == [
        "premium_d19_rumoured_price_low_rmb",
        "premium_d19_rumoured_price_high_rmb",
    ]


def test_the_focus_badge_comes_from_the_registry_and_leaves_the_comparisons():
    found = study("tesla_china")
    assert found.focus == "Tesla" and "Tesla" not in found.comparisons


def test_the_flagship_is_the_makers_own_as_the_data_name_it():
    leapmotor = study()  # its series with a sourced expected price band: the D19, both trims
    assert list(leapmotor.flagship["trim_name"]) == ["D19 BEV (115 kWh)", "D19 EREV (80.3 kWh)"]
    assert leapmotor.has_flagship and leapmotor.no_flagship == ""
    for maker in ("nio", "tesla_china", "xpeng"):  # no band named for any of their series
        found = study(maker, comparison_brands=["Leapmotor"])
        assert not found.has_flagship and found.band_rows.empty and found.launches.empty
        assert "D19" not in set(found.flagship["series"])
        name = found.maker.display_name
        assert found.no_flagship.startswith(f"no flagship named in the data for {name} (")
    # a band row for another maker's series does not make it this maker's flagship
    registry, trims = makers.registry(FROZEN_DATA), data.load_trims(FROZEN_DATA)
    assumptions = data.load_assumptions(FROZEN_DATA)
    assert makers.flagship(registry["leapmotor"], assumptions, trims) == "D19"
    assert makers.flagship(registry["nio"], assumptions, trims) is None
    et9 = assumptions.loc[
        ["premium_d19_rumoured_price_low_rmb", "premium_d19_rumoured_price_high_rmb"]
    ]
    et9.index = ["premium_et9_rumoured_price_low_rmb", "premium_et9_rumoured_price_high_rmb"]
    assert makers.flagship(registry["nio"], pd.concat([assumptions, et9]), trims) == "ET9"
    assert (
        makers.flagship(
            registry["leapmotor"],
            pd.concat([assumptions.drop(index="premium_d19_rumoured_price_high_rmb"), et9]),
            trims,
        )
        is None
    )
    # an explicit series is priced as asked
    assert set(
        study("nio", flagship_series="ET9", comparison_brands=["Tesla"]).flagship["series"]
    ) == {"ET9"}


def test_the_band_sources_leave_out_the_launch_prices():
    # The live data also hold the launch prices (compared by a later issue): not the band's source.
    names = set(study(data_dir=None).band_rows["name"])
    assert names == {"premium_d19_rumoured_price_low_rmb", "premium_d19_rumoured_price_high_rmb"}


def test_a_maker_without_trims_under_its_badge_is_missing_data(tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(FROZEN_DATA, copy)
    trims = pd.read_csv(copy / "vehicle_trims.csv", dtype=str, keep_default_na=False)
    trims[trims["brand"] != "Xiaomi"].to_csv(copy / "vehicle_trims.csv", index=False)
    with pytest.raises(makers.MissingData, match=r"Xiaomi has no trims under its badge 'Xiaomi'"):
        study("xiaomi", data_dir=copy, comparison_brands=["Tesla"])


def test_transaction_discounts_come_from_the_registry_rows():
    table = study().discounts.set_index("brand")
    assert table.loc["Leapmotor", "discount_pct"] == 11.4
    assert table.loc["Li Auto", "discount_pct"] == 4.0
    assert table.loc["Tesla", "discount_pct"] == 4.3  # the tesla_china maker's row
    assert table.loc["BYD", "basis"].startswith("NEV average")
    nev = data.load_assumptions(FROZEN_DATA).loc["transaction_discount_nev_pct", "value"]
    assert table.loc["BYD", "discount_pct"] == nev
    assert table.loc["Luxeed", "discount_pct"] == nev  # AITO's figure is AITO's badge only


def test_unknown_maker_and_brands_list_the_closest_names():
    with pytest.raises(
        makers.UnknownMaker, match=r"unknown maker 'leap_motor': did you mean leapmotor"
    ):
        study("leap_motor")
    with pytest.raises(KeyError, match=r"comparison_brands='Li auto'.*closest: Li Auto"):
        study(comparison_brands=["Tesla", "Li auto"])


def test_brand_with_too_few_trims_for_an_estimate():
    # FangChengBao has trims in the data but none with every spec the model needs.
    with pytest.raises(ValueError, match=r"'FangChengBao': too few trims for an estimate"):
        study(comparison_brands=["FangChengBao"])
    with pytest.raises(ValueError, match=r"reference_brand='Tesla': too few trims"):
        study("byd", reference_brand="Tesla", powertrains=["phev"])


def test_flagship_trim_with_a_missing_spec():
    with pytest.raises(ValueError, match=r"'D19 BEV \(115 kWh\)'.*no value for drive"):
        study(flagship_drive_if_missing="")
    # The new NIO ES8 row has neither battery size nor power.
    with pytest.raises(ValueError, match=r"ES8 \(3rd gen\) entry.*battery_kwh, power_kw"):
        study(flagship_series="ES8 (3rd gen)", flagship_trims=[])


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"flagship_series": "D91"}, KeyError, r"flagship_series='D91'.*closest: D9, D19"),
        ({"flagship_trims": ["D19 Ultra"]}, KeyError, r"'D19 Ultra'.*its trims: 'D19 BEV"),
        (
            {"reference_brand": "Leapmotor"},
            makers.MissingData,
            r"badge Leapmotor is the reference brand",
        ),
        ({"powertrains": ["ice"]}, ValueError, r"powertrains=\['ice'\].*bev, erev, phev"),
        ({"model_years": [2019]}, ValueError, r"model_years=\[2019\]"),
        (
            {"price_band_low_rmb": 300_000, "price_band_high_rmb": 250_000},
            ValueError,
            r"price band",
        ),
        ({"flagship_drive_if_missing": "4wd"}, ValueError, r"flagship_drive_if_missing='4wd'"),
        ({"powertrains": ["bev"]}, ValueError, r"D19 EREV.*powertrain 'erev'.*not fitted"),
        ({"min_brand_trims": 0}, ValueError, r"min_brand_trims=0"),
        ({"prediction_level": 1.2}, ValueError, r"prediction_level=1.2"),
        ({"n_draws": 10}, ValueError, r"n_draws=10"),
        ({"seed": -1}, ValueError, r"seed=-1"),
        ({"price_tier_edges_rmb": [0, 200_000, 100_000]}, ValueError, r"edges_rmb=\[0, 200000"),
    ],
)
def test_bad_parameters_name_themselves(overrides, error, message):
    with pytest.raises(error, match=message):
        study(**overrides)
