#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: wa_report
short_description: Write a run's report files, readable by their owner only, in one step
version_added: 1.1.0
description:
  - Writes each of O(files) (a file name and its text) into the directory O(path), atomically (a temporary file in
    the same directory, then renamed) and with mode C(0600). O(path) is created with mode C(0700) when it is missing
    (missing parents as C(mkdir -p) makes them).
  - A file that already holds the same text is left as it is.
  - It is what the P(wabiz.migration.migrate#role) role and C(playbooks/drill.yml) write their JSON, Markdown and
    JUnit reports with, in one module process instead of a C(file), a C(copy) and a C(template) task, each of which
    starts its own.
  - A file is either a text (O(files[].content)), written as given, or a JUnit XML report built from a plain description
    of its test suites and cases (O(files[].junit)), for CI dashboards.
  - Every URL in them loses its user information (C(https://user:password@host) is written C(https://host)). Put no
    secret in them; reports name files, figures and checksums only.
author:
  - wabiz.migration maintainers (@wabiz)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Nothing is written; RV(written) names the files that would be.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  path:
    description:
      - The directory of the report files. Created (mode C(0700)) when it is missing.
    type: path
    required: true
  files:
    description:
      - The files to write, in this order.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - The file's name in O(path), a plain name (without C(/), not hidden).
        type: str
        required: true
      content:
        description:
          - Its text. Render a template into a text with C(lookup('ansible.builtin.template', 'report.md.j2')).
          - One of O(files[].content) and O(files[].junit) is required.
        type: str
      junit:
        description:
          - A JUnit XML report, described as C(name) (of the whole report) and C(suites), a list of suites, each with
            C(name), optional C(hostname), C(timestamp) and C(properties) (a dict), and C(cases), a list of test
            cases with C(name), C(status) (V(passed), V(failed) or V(skipped)), optional C(message), C(time) (seconds)
            and C(classname) (default the suite's name).
          - Every text is escaped; counts and times of suites are computed.
        type: dict
seealso:
  - module: ansible.builtin.copy
"""

EXAMPLES = r"""
- name: Write the JSON and Markdown reports of a run
  wabiz.migration.wa_report:
    path: /var/lib/wa-migrations/reports
    files:
      - name: prod-{{ run_id }}.json
        content: "{{ report | to_nice_json }}\n"
      - name: prod-{{ run_id }}.md
        content: "{{ lookup('ansible.builtin.template', 'report.md.j2') }}"

- name: Write a JUnit XML report, one test case a phase
  wabiz.migration.wa_report:
    path: /var/lib/wa-migrations/reports
    files:
      - name: prod-{{ run_id }}.xml
        junit:
          name: wabiz.migration migration
          suites:
            - name: migration.prod
              hostname: prod
              cases:
                - {name: preflight, status: passed, time: 1.2}
                - {name: restore, status: failed, message: the target refused the import}
                - {name: verify, status: skipped, message: not run}
"""

RETURN = r"""
written:
  description: Paths of the files written (in check mode, that would be written), in the order of O(files).
  returned: always
  type: list
  elements: str
  sample: [/var/lib/wa-migrations/reports/prod-20250131T120000.json]
unchanged:
  description: Paths of the files that already held the same text.
  returned: always
  type: list
  elements: str
"""

import os  # noqa: E402

from ansible_collections.wabiz.migration.plugins.module_utils.wa_backup_file import atomic_write  # noqa: E402
from ansible_collections.wabiz.migration.plugins.module_utils.wa_junit import JUnitError, render  # noqa: E402
from ansible_collections.wabiz.migration.plugins.module_utils.wa_module_base import WABaseModule  # noqa: E402
from ansible_collections.wabiz.migration.plugins.module_utils.wa_url import without_url_credentials  # noqa: E402


def bad_name(name):
    return not name or "/" in name or name.startswith(".") or "\0" in name


def holds(path, payload):
    try:
        with open(path, "rb") as handle:
            return handle.read(len(payload) + 1) == payload
    except OSError:
        return False


def main():
    module = WABaseModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            files=dict(
                type="list",
                elements="dict",
                required=True,
                options=dict(
                    name=dict(type="str", required=True),
                    content=dict(type="str"),
                    junit=dict(type="dict"),
                ),
                mutually_exclusive=[["content", "junit"]],
                required_one_of=[["content", "junit"]],
            ),
        ),
        supports_check_mode=True,
    )
    directory = os.path.abspath(module.params["path"])
    files = module.params["files"]
    names = [item["name"] for item in files]
    wrong = sorted(name for name in names if bad_name(name))
    if wrong:
        module.fail_json(msg="files: %s must be plain file names (no '/', not hidden); nothing was written." % wrong)
    if len(set(names)) < len(names):
        module.fail_json(msg="files: a name is given twice; nothing was written.")
    if not files:
        module.fail_json(msg="files is empty: give at least one file name and its text.")
    if os.path.lexists(directory) and not os.path.isdir(directory):
        module.fail_json(msg="path %s exists and is not a directory: choose another path." % directory)

    payloads = []
    for item in files:
        try:
            text = item["content"] if item["content"] is not None else render(item["junit"])
        except JUnitError as exc:
            module.fail_json(msg="files: %s: %s; nothing was written." % (item["name"], exc))
        payloads.append((item["name"], without_url_credentials(text).encode("utf-8")))

    written, unchanged = [], []
    for name, payload in payloads:
        path = os.path.join(directory, name)
        if holds(path, payload):
            unchanged.append(path)
            continue
        if not module.check_mode:
            try:
                if not os.path.isdir(directory):
                    os.makedirs(directory, 0o700)
                atomic_write(path, payload, force=True)
            except (IOError, OSError) as exc:
                module.fail_json(
                    msg="Cannot write %s: %s. Written before it: %s." % (path, exc.strerror or exc, written or "none"),
                    written=written,
                    unchanged=unchanged,
                )
        written.append(path)
    module.exit_json(changed=bool(written), written=written, unchanged=unchanged)


if __name__ == "__main__":
    main()
