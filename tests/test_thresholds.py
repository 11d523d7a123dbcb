"""The config file's ``[integrity]`` table (:mod:`ladder_cli.util.thresholds`): the
contract's defaults, keys given replacing them, and every wrong value bad input naming its
key."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ladder_cli.util.errors import BadInput
from ladder_cli.util.thresholds import IntegrityRules, parse_rules

RULES = IntegrityRules()


def test_an_empty_table_is_the_defaults() -> None:
    assert parse_rules({}, "config.toml") == IntegrityRules()
    assert RULES.as_dict() == {
        "window_days": 7,
        "pair_games": 10,
        "pair_share": 0.8,
        "feeder_losses": 8,
        "feeder_share": 0.6,
        "sandbag_streak": 8,
        "sandbag_drop": 150,
        "sandbag_regain": 100,
        "newcomer_games": 5,
        "newcomer_upsets": 4,
        "newcomer_gap": 300,
    }


def test_keys_given_replace_their_defaults() -> None:
    rules = parse_rules({"window_days": 14, "pair_share": 1, "newcomer_gap": 0}, "c.toml")
    assert rules == replace(RULES, window_days=14, pair_share=1.0, newcomer_gap=0)


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ({"window_days": 0}, "window_days"),
        ({"window_days": "7"}, "window_days"),
        ({"pair_games": 10.0}, "pair_games"),
        ({"pair_games": True}, "pair_games"),
        ({"pair_share": 0}, "pair_share"),
        ({"pair_share": 1.01}, "pair_share"),
        ({"feeder_share": "60%"}, "feeder_share"),
        ({"feeder_share": float("nan")}, "feeder_share"),
        ({"feeder_losses": -1}, "feeder_losses"),
        ({"sandbag_drop": 0}, "sandbag_drop"),
        ({"sandbag_regain": [100]}, "sandbag_regain"),
        ({"newcomer_gap": -5}, "newcomer_gap"),
        ({"newcomer_upsets": 6}, "newcomer_upsets"),
        ({"pair_gmaes": 10}, "pair_gmaes"),
    ],
)
def test_a_wrong_value_is_bad_input_naming_the_key(table: dict[str, object], named: str) -> None:
    with pytest.raises(BadInput, match=named) as caught:
        parse_rules(table, "/home/admin/.config/ladder/config.toml")
    message = str(caught.value)
    assert "[integrity]" in message and "/home/admin/.config/ladder/config.toml" in message
    assert "\n" not in message


def test_a_value_that_is_no_table_is_bad_input() -> None:
    with pytest.raises(BadInput, match=r"\[integrity\] must be a table"):
        parse_rules(7, "config.toml")


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(sorted(RULES.as_dict())),
    st.one_of(
        st.text(max_size=5),
        st.booleans(),
        st.none(),
        st.integers(max_value=0),
        st.floats(allow_nan=True).filter(lambda v: not 0 < v <= 1),
    ),
)
def test_any_bad_value_names_its_key(key: str, value: object) -> None:
    if key == "newcomer_gap" and value == 0 and not isinstance(value, bool):
        value = -1  # 0 is a valid gap
    with pytest.raises(BadInput, match=key):
        parse_rules({key: value}, "config.toml")
