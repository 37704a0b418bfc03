# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of module_utils/wa_settings: what must be sent, and the reading of every part."""

from ansible_collections.wabiz.migration.plugins.module_utils.wa_settings import (
    business_profile_fields,
    merged,
    missing,
    read_settings,
)


def test_missing_is_only_what_differs_nested_key_by_key():
    current = {"webhooks": {"url": "a", "max_concurrent_requests": 6}, "callback_persist": True, "media": None}
    wanted = {"webhooks": {"url": "b"}, "callback_persist": True, "media": {"auto_download": ["image"]}}

    change = missing(current, wanted)

    assert change == {"webhooks": {"url": "b"}, "media": {"auto_download": ["image"]}}
    assert merged(current, change) == {
        "webhooks": {"url": "b", "max_concurrent_requests": 6},
        "callback_persist": True,
        "media": {"auto_download": ["image"]},
    }
    assert missing(merged(current, change), wanted) == {}  # a second run sends nothing


def test_business_profile_fields_keeps_the_documented_fields_that_are_set():
    assert business_profile_fields({"email": "a@b.example", "vertical": None, "websites": [], "extra": 1}) == {
        "email": "a@b.example",
        "websites": [],
    }


class Client:
    def __init__(self):
        self.calls = []

    def get_application_settings(self):
        self.calls.append("application")
        return {"webhooks": {"url": ""}}

    def get_profile_about(self):
        self.calls.append("about")
        return "About"

    def get_business_profile(self):
        self.calls.append("business_profile")
        return {"address": "1 Main St", "unknown_field": "x"}


def test_read_settings_reads_the_parts_asked_for():
    client = Client()
    assert read_settings(client) == {
        "application": {"webhooks": {"url": ""}},
        "about": "About",
        "business_profile": {"address": "1 Main St"},
    }
    other = Client()
    assert read_settings(other, about=False, business_profile=False) == {"application": {"webhooks": {"url": ""}}}
    assert other.calls == ["application"]
