# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the safe_url filter (the role's summary and report print api_url through it)."""

import pytest

from ansible_collections.wabiz.migration.plugins.filter.safe_url import FilterModule

safe_url = FilterModule().filters()["safe_url"]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://admin:secret@wa:443", "http://wa:443"),
        ("admin:secret@wa:443", "wa:443"),
        ("https://wa.example.com:443", "https://wa.example.com:443"),
        ("", ""),
        (None, None),
    ],
)
def test_safe_url(url, shown):
    assert safe_url(url) == shown
