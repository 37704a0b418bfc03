# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of module_utils/wa_health: every shape of the health object, and a property test."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.wabiz.migration.plugins.module_utils.wa_health import (
    WAHealthError,
    nodes_of,
    satisfies,
    summarize,
)


def node(status, role):
    return {"gateway_status": status, "role": role}


def test_single_connected():
    s = summarize({"gateway_status": "connected"})
    assert s["topology"] == "single"
    assert s["nodes"] == [{"name": "single", "role": "single", "gateway_status": "connected"}]
    assert s["gateway_status"] == "connected"
    assert (s["registered"], s["ready"], s["connected"], s["shards"]) == (True, True, True, 1)


@pytest.mark.parametrize(
    ("status", "registered", "ready", "connected"),
    [
        ("connecting", True, True, False),
        ("disconnected", True, True, False),
        ("unregistered", False, True, False),
        ("uninitialized", False, False, False),
        ("something-new", False, False, False),
    ],
)
def test_single_states(status, registered, ready, connected):
    s = summarize({"gateway_status": status})
    assert (s["registered"], s["ready"], s["connected"]) == (registered, ready, connected)
    assert s["shards"] == 1
    assert s["gateway_status"] == status


def test_whole_answer_is_unwrapped():
    s = summarize({"health": {"gateway_status": "connected"}, "meta": {"version": "v2.45.1"}})
    assert s["topology"] == "single" and s["connected"]


def test_multiconnect_two_shards():
    health = {
        "wa-master:1": node("connected", "primary_master"),
        "wa-core-1:a": node("connected", "coreapp"),
        "wa-core-2:b": node("connected", "coreapp"),
    }
    s = summarize(health)
    assert s["topology"] == "multiconnect"
    assert [n["name"] for n in s["nodes"]] == ["wa-core-1:a", "wa-core-2:b", "wa-master:1"]
    assert s["gateway_status"] == "connected"
    assert (s["registered"], s["ready"], s["connected"], s["shards"]) == (True, True, True, 2)
    assert (s["coreapps"], s["connected_coreapps"]) == (2, 2)


def test_ha_with_disconnected_standbys():
    health = {
        "h1:1": node("connected", "primary_master"),
        "h2:2": node("disconnected", "secondary_master"),
        "h3:3": node("connected", "coreapp"),
        "h4:4": node("disconnected", "coreapp"),
        "h5:5": node("disconnected", "coreapp"),
    }
    s = summarize(health)
    assert s["registered"] and s["connected"] and s["ready"]
    assert s["shards"] == 1  # one coreapp connected, the rest standby
    assert s["coreapps"] == 3
    assert s["gateway_status"] == "connected"


def test_multiconnect_unregistered_counts_nodes_but_not_shards():
    health = {
        "m:1": node("unregistered", "primary_master"),
        "c1:1": node("unregistered", "coreapp"),
        "c2:2": node("unregistered", "coreapp"),
        "c3:3": node("unregistered", "coreapp"),
        "c4:4": node("unregistered", "coreapp"),
    }
    s = summarize(health)
    assert not s["registered"] and s["ready"] and not s["connected"]
    # Some coreapps may be HA standbys: an unregistered client's shard count cannot be read.
    assert s["shards"] is None and (s["masters"], s["coreapps"]) == (1, 4)
    assert s["gateway_status"] == "unregistered"
    assert satisfies(s, "unregistered") and not satisfies(s, "registered")


def test_multiconnect_uninitialized():
    health = {"m:1": node("connected", "primary_master"), "c:1": node("uninitialized", "coreapp")}
    s = summarize(health)
    assert not s["ready"]
    assert s["gateway_status"] == "uninitialized"
    assert not satisfies(s, "ready") and not satisfies(s, "registered")


def test_multiconnect_primary_master_down_is_not_connected():
    health = {"m:1": node("disconnected", "primary_master"), "c:1": node("connected", "coreapp")}
    s = summarize(health)
    assert s["registered"] and not s["connected"]
    assert s["gateway_status"] == "disconnected"


def test_registered_but_all_disconnected():
    health = {"m:1": node("disconnected", "primary_master"), "c:1": node("disconnected", "coreapp")}
    s = summarize(health)
    assert s["registered"] and not s["connected"] and s["shards"] == 0
    health["c:1"]["gateway_status"] = "connecting"
    assert summarize(health)["gateway_status"] == "connecting"


def test_without_primary_master_a_connected_coreapp_is_enough():
    s = summarize({"c:1": node("connected", "coreapp"), "c:2": node("disconnected", "coreapp")})
    assert s["connected"] and s["shards"] == 1


def test_unknown_fields_are_ignored():
    health = {
        "m:1": {"gateway_status": "CONNECTED", "role": "primary_master", "uptime": 12, "extra": {"x": 1}},
        "c:1": {"gateway_status": "connected", "role": "coreapp", "cpu": [1, 2]},
        "build": "1234",
        "flags": [1, 2],
        "nested": {"not": "a node"},
    }
    s = summarize(health)
    assert len(s["nodes"]) == 2
    assert s["connected"] and s["shards"] == 1
    assert s["nodes"][1]["gateway_status"] == "connected"  # case folded


def test_nodes_with_missing_or_odd_fields():
    _topology, nodes = nodes_of({"a:1": {"role": "coreapp"}, "b:2": {"gateway_status": 5, "role": None}})
    assert nodes == [
        {"name": "a:1", "role": "coreapp", "gateway_status": "unknown"},
        {"name": "b:2", "role": "unknown", "gateway_status": "unknown"},
    ]
    s = summarize({"a:1": {"role": "coreapp"}})
    assert s["gateway_status"] == "unknown" and not s["ready"]


@pytest.mark.parametrize(
    "value",
    [None, [], "connected", 3, {}, {"meta": {}}, {"gateway_status": 1}, {"health": []}, {"x": {"y": 1}}],
    ids=repr,
)
def test_not_a_health_object(value):
    with pytest.raises(WAHealthError, match="Not a health object"):
        summarize(value)


def test_satisfies():
    connected = summarize({"m:1": node("connected", "primary_master"), "c:1": node("connected", "coreapp")})
    assert satisfies(connected, "none")
    assert satisfies(connected, "ready")
    assert satisfies(connected, "registered")
    assert satisfies(connected, "connected")
    assert satisfies(connected, "connected", expected_shards=1)
    assert not satisfies(connected, "connected", expected_shards=2)
    assert not satisfies(connected, "unregistered")
    with pytest.raises(ValueError):
        satisfies(connected, "bogus")


# ---------------------------------------------------------------------------- property tests

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
statuses = st.sampled_from(["connected", "connecting", "disconnected", "unregistered", "uninitialized"]) | st.text(
    max_size=6
)
roles = st.sampled_from(["primary_master", "secondary_master", "coreapp"]) | st.text(max_size=6)
node_values = st.fixed_dictionaries(
    {"gateway_status": statuses | json_values}, optional={"role": roles | json_values, "x": json_values}
)
health_like = st.one_of(
    json_values,
    st.fixed_dictionaries({"gateway_status": statuses | json_values}, optional={"x": json_values}),
    st.dictionaries(st.text(max_size=10), node_values | json_values, max_size=6),
    st.fixed_dictionaries({"health": st.dictionaries(st.text(max_size=10), node_values, max_size=4)}),
)


def check_summary(s):
    assert s["topology"] in ("single", "multiconnect")
    assert isinstance(s["nodes"], list) and s["nodes"]
    for n in s["nodes"]:
        assert set(n) == {"name", "role", "gateway_status"}
        assert all(isinstance(v, str) for v in n.values())
    assert isinstance(s["gateway_status"], str)
    for key in ("registered", "ready", "connected"):
        assert isinstance(s[key], bool)
    assert s["shards"] is None or (isinstance(s["shards"], int) and s["shards"] >= 0)
    assert 0 <= s["connected_coreapps"] <= s["coreapps"] and s["masters"] >= 0
    if s["connected"]:
        assert s["registered"] and s["ready"]
    if s["topology"] == "single":
        assert s["shards"] == 1
    elif s["registered"]:
        assert s["shards"] == s["connected_coreapps"]
    else:
        assert s["shards"] is None
    for wanted in ("none", "ready", "unregistered", "registered", "connected"):
        assert isinstance(satisfies(s, wanted), bool)


@settings(max_examples=400, deadline=None)
@given(health_like)
def test_any_json_gives_a_summary_or_the_one_error(value):
    try:
        s = summarize(value)
    except WAHealthError as exc:
        assert str(exc).startswith("Not a health object")
        return
    check_summary(s)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.builds("{}:{}".format, st.text(max_size=8), st.text(max_size=8)), node_values, min_size=1))
def test_node_maps_always_summarize(value):
    # node keys are hostname:container-id
    check_summary(summarize(value))
