# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A JUnit XML report (the format CI dashboards read) from a plain description of test suites and cases.

    {"name": "wabiz.migration migration",
     "suites": [{"name": "migration.prod-new", "hostname": "prod-new", "timestamp": "2025-01-31T12:00:00",
                 "properties": {"result": "migrated"},
                 "cases": [{"name": "preflight", "status": "passed", "time": 1.5},
                           {"name": "restore", "status": "failed", "message": "..."},
                           {"name": "verify", "status": "skipped", "message": "not run"}]}]}

Statuses: ``passed``, ``failed`` (a <failure>), ``skipped`` (a <skipped>). Every text is escaped.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from xml.sax.saxutils import escape, quoteattr

STATUSES = ("passed", "failed", "skipped")


class JUnitError(ValueError):
    """The description cannot be rendered; the message says which part is wrong."""


def _seconds(value, where):
    if value in (None, ""):
        return "0"
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise JUnitError("%s: time must be a number of seconds, not %r" % (where, value)) from None
    return "%.3f" % max(seconds, 0.0)


def _text(value):
    return "" if value is None else "%s" % (value,)


def _attrs(pairs):
    return "".join(" %s=%s" % (key, quoteattr(_text(value))) for key, value in pairs if value is not None)


def _counts(cases):
    return dict((status, sum(1 for case in cases if case["status"] == status)) for status in STATUSES)


def _check(description):
    if not isinstance(description, dict) or not isinstance(description.get("suites"), list):
        raise JUnitError("junit must be a dict with a list of suites")
    for index, suite in enumerate(description["suites"]):
        where = "junit.suites[%d]" % index
        if not isinstance(suite, dict) or not suite.get("name") or not isinstance(suite.get("cases"), list):
            raise JUnitError("%s must have a name and a list of cases" % where)
        for number, case in enumerate(suite["cases"]):
            spot = "%s.cases[%d]" % (where, number)
            if not isinstance(case, dict) or not case.get("name"):
                raise JUnitError("%s must have a name" % spot)
            if case.get("status", "passed") not in STATUSES:
                raise JUnitError("%s: status must be one of %s" % (spot, ", ".join(STATUSES)))
            _seconds(case.get("time"), spot)


def render(description):
    """The JUnit XML text of ``description`` (see the module's docstring); raises JUnitError."""
    _check(description)
    suites = []
    for suite in description["suites"]:
        cases = [dict(case, status=case.get("status", "passed")) for case in suite["cases"]]
        counts = _counts(cases)
        total = sum(float(_seconds(case.get("time"), "")) for case in cases)
        lines = [
            "  <testsuite%s>"
            % _attrs(
                [
                    ("name", suite["name"]),
                    ("tests", len(cases)),
                    ("failures", counts["failed"]),
                    ("errors", 0),
                    ("skipped", counts["skipped"]),
                    ("time", "%.3f" % total),
                    ("timestamp", suite.get("timestamp")),
                    ("hostname", suite.get("hostname")),
                ]
            )
        ]
        properties = suite.get("properties") or {}
        if properties:
            lines.append("    <properties>")
            for key in sorted(properties):
                lines.append("      <property%s/>" % _attrs([("name", key), ("value", properties[key])]))
            lines.append("    </properties>")
        for case in cases:
            head = "    <testcase%s" % _attrs(
                [
                    ("classname", case.get("classname") or suite["name"]),
                    ("name", case["name"]),
                    ("time", _seconds(case.get("time"), "")),
                ]
            )
            message = _text(case.get("message"))
            if case["status"] == "failed":
                lines.append(head + ">")
                lines.append(
                    "      <failure%s>%s</failure>"
                    % (_attrs([("message", message), ("type", case.get("type") or "Failed")]), escape(message))
                )
                lines.append("    </testcase>")
            elif case["status"] == "skipped":
                lines.append(head + ">")
                lines.append("      <skipped%s/>" % _attrs([("message", message or None)]))
                lines.append("    </testcase>")
            else:
                lines.append(head + "/>")
        lines.append("  </testsuite>")
        suites.append((counts, len(cases), total, lines))
    head = '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites%s>' % _attrs(
        [
            ("name", description.get("name") or "wabiz.migration"),
            ("tests", sum(n for _c, n, _t, _l in suites)),
            ("failures", sum(c["failed"] for c, _n, _t, _l in suites)),
            ("errors", 0),
            ("skipped", sum(c["skipped"] for c, _n, _t, _l in suites)),
            ("time", "%.3f" % sum(t for _c, _n, t, _l in suites)),
        ]
    )
    body = [line for _c, _n, _t, lines in suites for line in lines]
    return "\n".join([head, *body, "</testsuites>"]) + "\n"
