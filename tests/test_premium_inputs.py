"""lib.premium.inputs: the default inputs on the frozen data (every sourced default with its
origin), a maker without trims, and every bad parameter named with what was expected."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from lib import data, makers
from lib.errors import BadParameter
from tests.conftest import FROZEN_DATA, premium_inputs


def test_default_inputs_on_the_frozen_data():
    found = premium_inputs()
    trims = data.load_trims(FROZEN_DATA)
    assert found.focus == "Leapmotor" and found.maker.key == "leapmotor"
    assert len(found.sample) + found.excluded["trims"].sum() == len(trims)
    assert set(found.flagship["drive"]) == {"awd"}
    assert any("2026 priced as 2025" in note for note in found.flagship_notes)
    # the reference: the badge with the most trims in the model; the comparisons: every other
    # registry maker's own badge, in the registry's order (the frozen registry has no Zeekr)
    assert found.reference == "BYD" and "most trims in the model" in found.reference_origin
    assert found.comparisons == ("AITO", "Li Auto", "NIO", "Tesla", "Xiaomi", "XPeng")
    assert found.badges[:2] == ["Leapmotor", "BYD"]
    assert found.band == (250_000, 300_000) and found.band_origin == "sourced"
    assert list(found.band_rows["name"]) == [
        "premium_d19_rumoured_price_low_rmb",
        "premium_d19_rumoured_price_high_rmb",
    ]


def test_the_focus_badge_comes_from_the_registry_and_leaves_the_comparisons():
    found = premium_inputs("tesla_china")
    assert found.focus == "Tesla" and "Tesla" not in found.comparisons


def test_the_flagship_is_the_makers_own_as_the_data_name_it():
    leapmotor = (
        premium_inputs()
    )  # its series with a sourced expected price band: the D19, both trims
    assert list(leapmotor.flagship["trim_name"]) == ["D19 BEV (115 kWh)", "D19 EREV (80.3 kWh)"]
    assert leapmotor.has_flagship and leapmotor.no_flagship == ""
    for maker in ("nio", "tesla_china", "xpeng"):  # no band named for any of their series
        found = premium_inputs(maker, comparison_brands=["Leapmotor"])
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
        premium_inputs(
            "nio",
            flagship_series="ET9",
            comparison_brands=["Tesla"],
            price_band_low_rmb=700_000,
            price_band_high_rmb=900_000,
        ).flagship["series"]
    ) == {"ET9"}


def test_the_band_sources_leave_out_the_launch_prices():
    # The live data also hold the launch prices (compared by a later issue): not the band's source.
    names = set(premium_inputs(data_dir=None).band_rows["name"])
    assert names == {"premium_d19_rumoured_price_low_rmb", "premium_d19_rumoured_price_high_rmb"}


def test_a_maker_without_trims_under_its_badge_is_missing_data(tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(FROZEN_DATA, copy)
    trims = pd.read_csv(copy / "vehicle_trims.csv", dtype=str, keep_default_na=False)
    trims[trims["brand"] != "Xiaomi"].to_csv(copy / "vehicle_trims.csv", index=False)
    with pytest.raises(makers.MissingData, match=r"Xiaomi has no trims under its badge 'Xiaomi'"):
        premium_inputs("xiaomi", data_dir=copy, comparison_brands=["Tesla"])


def test_transaction_discounts_come_from_the_registry_rows():
    table = premium_inputs().discounts.set_index("brand")
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
        premium_inputs("leap_motor")
    with pytest.raises(KeyError, match=r"comparison_brands='Li auto'.*closest: Li Auto"):
        premium_inputs(comparison_brands=["Tesla", "Li auto"])


def test_brand_with_too_few_trims_for_an_estimate():
    # FangChengBao has trims in the data but none with every spec the model needs.
    with pytest.raises(ValueError, match=r"'FangChengBao': too few trims for an estimate"):
        premium_inputs(comparison_brands=["FangChengBao"])
    with pytest.raises(ValueError, match=r"reference_brand='Tesla': too few trims"):
        premium_inputs("byd", reference_brand="Tesla", powertrains=["phev"])


def test_flagship_trim_with_a_missing_spec():
    with pytest.raises(ValueError, match=r"'D19 BEV \(115 kWh\)'.*no value for drive"):
        premium_inputs(flagship_drive_if_missing="")
    # The new NIO ES8 row has neither battery size nor power.
    with pytest.raises(ValueError, match=r"ES8 \(3rd gen\) entry.*battery_kwh, power_kw"):
        premium_inputs(
            "nio",
            flagship_series="ES8 (3rd gen)",
            price_band_low_rmb=400_000,
            price_band_high_rmb=500_000,
        )


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
        ({"flagship_drive_if_missing": "4wd"}, BadParameter, r"flagship_drive_if_missing:.*'4wd'"),
        ({"powertrains": ["bev"]}, ValueError, r"D19 EREV.*powertrain 'erev'.*not fitted"),
        ({"min_brand_trims": 0}, BadParameter, r"min_brand_trims: value 0 is out of range"),
        ({"prediction_level": 1.2}, BadParameter, r"prediction_level: value 1.2"),
        ({"n_draws": 10}, BadParameter, r"n_draws: value 10"),
        ({"seed": -1}, BadParameter, r"seed: value -1"),
        ({"price_band_low_rmb": 200_000}, BadParameter, r"set both price_band_low_rmb and"),
        ({"price_tier_edges_rmb": [0, 200_000, 100_000]}, ValueError, r"edges_rmb=\[0, 200000"),
    ],
)
def test_bad_parameters_name_themselves(overrides, error, message):
    with pytest.raises(error, match=message):
        premium_inputs(**overrides)


def test_the_band_is_the_makers_own_sourced_band_or_a_parameter():
    # Leapmotor's D19 band is not another maker's: priced for Tesla China it needs a band of its own
    with pytest.raises(BadParameter, match=r"no expected price band for it as a Tesla China"):
        premium_inputs("tesla_china", flagship_series="D19")
    asked = premium_inputs(
        "tesla_china",
        flagship_series="D19",
        price_band_low_rmb=250_000,
        price_band_high_rmb=300_000,
    )
    assert asked.band == (250_000, 300_000) and asked.band_origin == "parameter"
    assert asked.band_rows.empty  # the D19's rumoured rows appear only in Leapmotor's report
    # a maker without a flagship has no band unless one is asked for
    nio = premium_inputs("nio")
    assert nio.band is None and nio.band_origin == "" and not nio.has_flagship
    assert premium_inputs("nio", price_band_low_rmb=100_000, price_band_high_rmb=200_000).band == (
        100_000,
        200_000,
    )


def test_the_reference_and_comparisons_can_be_asked_for():
    found = premium_inputs(
        reference_brand="Tesla", comparison_brands=["NIO", "BYD", "NIO", "Leapmotor"]
    )
    assert found.reference == "Tesla" and found.reference_origin == "parameter"
    assert found.comparisons == ("NIO", "BYD")  # each once, never the maker's own badge
    assert premium_inputs(reference_brand="Tesla").comparisons == (
        "AITO",
        "BYD",
        "Li Auto",
        "NIO",
        "Xiaomi",
        "XPeng",
    )


def test_a_maker_whose_trims_the_model_cannot_use_is_missing_data(tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(FROZEN_DATA, copy)
    trims = pd.read_csv(copy / "vehicle_trims.csv", dtype=str, keep_default_na=False)
    trims.loc[trims["brand"] == "Xiaomi", "battery_kwh"] = ""
    trims.to_csv(copy / "vehicle_trims.csv", index=False)
    with pytest.raises(makers.MissingData, match=r"Xiaomi has \d+ trims under its badge 'Xiaomi'"):
        premium_inputs("xiaomi", data_dir=copy)
