"""Pad profiles: the shipped YAMLs load; a bad profile is refused naming the file and key."""

from __future__ import annotations

import copy

import pytest
import yaml

from legkit import REPO_ROOT
from legkit.teleop import (
    BUTTON_ACTIONS,
    PadProfileError,
    find_pad_profile,
    known_pad_profiles,
    load_pad_profile,
)
from legkit.teleop.pads import pad_profile_from_dict

PADS = REPO_ROOT / "ros2_ws" / "src" / "legkit_ros" / "config" / "pads"

XBOX = yaml.safe_load((PADS / "xbox.yaml").read_text())


def test_the_common_pads_have_profiles():
    assert known_pad_profiles(PADS) == ["logitech_f710", "playstation", "xbox"]


@pytest.mark.parametrize("name", ["xbox", "playstation", "logitech_f710"])
def test_each_shipped_profile_loads_and_maps_every_action_to_its_own_button(name):
    pad = find_pad_profile(name, PADS)
    assert pad.name == name
    assert sorted(pad.buttons) == sorted(BUTTON_ACTIONS)
    assert len(set(pad.buttons.values())) == len(BUTTON_ACTIONS)
    assert pad.description


def test_a_profile_can_be_given_by_path(tmp_path):
    path = tmp_path / "my_pad.yaml"
    path.write_text(yaml.safe_dump({**XBOX, "name": "my_pad"}))
    assert find_pad_profile(str(path), PADS).name == "my_pad"


def test_an_unknown_profile_is_refused_listing_the_known_ones():
    with pytest.raises(PadProfileError) as err:
        find_pad_profile("steam_deck", PADS)
    message = str(err.value)
    assert "unknown pad profile 'steam_deck'" in message
    assert "logitech_f710, playstation, xbox" in message


def broken(edit) -> dict:
    doc = copy.deepcopy(XBOX)
    edit(doc)
    return doc


@pytest.mark.parametrize(
    "doc, message",
    [
        (broken(lambda d: d["axes"].pop("angular_z")), "missing axes.angular_z"),
        (broken(lambda d: d["axes"]["linear_x"].pop("index")), "missing axes.linear_x.index"),
        (broken(lambda d: d["buttons"].pop("deadman")), "missing buttons.deadman"),
        (broken(lambda d: d.update(axis={})), "unknown key 'axis'"),
        (broken(lambda d: d["buttons"].update(turbo=9)), "unknown key 'buttons.turbo'"),
        (
            broken(lambda d: d["axes"]["linear_y"].update(scale=2)),
            "unknown key 'axes.linear_y.scale'",
        ),
        (broken(lambda d: d["axes"]["linear_x"].update(index=-1)), "axes.linear_x.index must be"),
        (broken(lambda d: d["buttons"].update(estop="B")), "buttons.estop must be an index"),
        (broken(lambda d: d["axes"]["angular_z"].update(sign=2)), "axes.angular_z.sign must be"),
        (broken(lambda d: d["buttons"].update(estop=4)), "buttons.estop and buttons.deadman"),
        (broken(lambda d: d.update(deadzone=1.5)), "deadzone must be in [0, 1)"),
        (broken(lambda d: d.pop("name")), "missing key 'name'"),
        (["not", "a", "mapping"], "expected a mapping"),
    ],
)
def test_a_bad_profile_is_refused_naming_the_key(doc, message):
    with pytest.raises(PadProfileError) as err:
        pad_profile_from_dict(doc, "pad profile test.yaml")
    assert message in str(err.value)
    assert str(err.value).startswith("pad profile test.yaml: ")


def test_an_unreadable_profile_file_is_refused_naming_it(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("axes: [unclosed\n")
    with pytest.raises(PadProfileError, match=r"cannot read pad profile .*bad\.yaml"):
        load_pad_profile(path)
