"""Named joint arrays are reordered into profile order, or refused as a whole."""

import numpy as np
import pytest

from legkit.robots.joint_map import JointMap, JointNameError

PROFILE = ("a", "b", "c")


def test_reorders_values_into_profile_order():
    jm = JointMap(PROFILE)
    np.testing.assert_array_equal(
        jm.to_profile_order(["c", "a", "b"], [3.0, 1.0, 2.0]), [1.0, 2.0, 3.0]
    )


def test_repeated_name_lists_reuse_the_permutation():
    jm = JointMap(PROFILE)
    first = jm.permutation(["b", "c", "a"])
    assert jm.permutation(["b", "c", "a"]) is first


@pytest.mark.parametrize(
    ("names", "values", "message"),
    [
        (["a", "b", "x"], [0, 0, 0], "unknown joints ['x']"),
        (["a", "b"], [0, 0], "missing joints ['c']"),
        (["a", "b", "c", "a"], [0, 0, 0, 0], "duplicated joints ['a']"),
        (["a", "b", "c"], [0, 0], "3 joint names but 2 values"),
    ],
)
def test_wrong_names_or_lengths_are_refused_naming_the_problem(names, values, message):
    with pytest.raises(JointNameError, match=message.replace("[", r"\[").replace("]", r"\]")):
        JointMap(PROFILE).to_profile_order(names, values)
