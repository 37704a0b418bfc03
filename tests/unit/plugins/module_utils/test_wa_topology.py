"""wa_topology: counts from documented calls, and the vendor's rule (same shards, Masters and Coreapps)."""

from ansible_collections.wabiz.migration.plugins.module_utils import wa_topology
from ansible_collections.wabiz.migration.plugins.module_utils.wa_health import summarize, support_nodes

HA_MC_SUPPORT = {
    "wa-master:aa": {"role": "primary_master", "shards": [[-1, -1]], "multi_connect": True},
    "wa-core-1:b1": {"role": "coreapp", "shards": [[0, 0]]},
    "wa-core-2:b2": {"role": "coreapp", "shards": [[1, 1]]},
    "wa-core-3:b3": {"role": "coreapp", "shards": [], "unknown": "ignored"},
}


class Client:
    def __init__(self, support=None, shards=None):
        self._support, self._shards = support, shards

    def support(self):
        return self._support

    def account_shards(self):
        return self._shards


def test_support_nodes_ignore_unknown_fields():
    nodes = support_nodes(HA_MC_SUPPORT)
    assert sorted(n["role"] for n in nodes) == ["coreapp", "coreapp", "coreapp", "primary_master"]
    assert {n["name"]: n["shards"] for n in nodes}["wa-core-3:b3"] == [] and support_nodes("nope") == []


def test_registered_counts_from_support_and_account_shards():
    health = {k: {"gateway_status": "connected", "role": v["role"]} for k, v in HA_MC_SUPPORT.items()}
    topo = wa_topology.read(Client(HA_MC_SUPPORT, shards=2), summarize(health))
    assert (topo["masters"], topo["coreapps"], topo["shards"]) == (1, 3, 2)
    assert (topo["counted_from"], topo["shards_from"]) == ("support", "account_shards")
    assert topo["node_keys"] == sorted(HA_MC_SUPPORT)


def test_without_the_optional_calls_health_counts():
    health = {"m:1": {"gateway_status": "unregistered", "role": "primary_master"}}
    health.update({f"c{i}:{i}": {"gateway_status": "unregistered", "role": "coreapp"} for i in range(3)})
    topo = wa_topology.read(Client(), summarize(health))
    assert (topo["masters"], topo["coreapps"], topo["shards"], topo["counted_from"]) == (1, 3, None, "health")


def test_a_mirror_of_an_ha_multiconnect_source_passes():
    source = {"masters": 1, "coreapps": 3, "shards": 2}
    assert wa_topology.mismatches(source, {"masters": 1, "coreapps": 3, "shards": None}) == []


def test_each_differing_count_is_named():
    source = {"masters": 1, "coreapps": 3, "shards": 2}
    assert wa_topology.mismatches(source, {"masters": 2, "coreapps": 2, "shards": None}) == [
        "the source runs 1 Master(s) and the target 2",
        "the source runs 3 Coreapp(s) and the target 2",
    ]
    assert wa_topology.mismatches({"shards": 2}, {"coreapps": 1, "shards": None}) == [
        "the source has 2 shard(s) and the target runs only 1 Coreapp(s)"
    ]
    assert wa_topology.mismatches(source, {"masters": 1, "coreapps": 3, "shards": 1}) == [
        "the source has 2 shard(s) and the target 1"
    ]
