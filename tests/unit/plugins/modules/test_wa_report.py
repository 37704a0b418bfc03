# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the wa_report module, on real files."""

import os
import stat

import pytest

from ansible_collections.wabiz.migration.plugins.modules import wa_report
from ansible_collections.wabiz.migration.tests.unit.wa_fake_api import run_module

TEXTS = {"run-1.json": '{"result": "migrated"}\n', "run-1.md": "# Migration\n\nmigrated: ünïcode\n"}


def files(texts):
    return [{"name": name, "content": content} for name, content in texts.items()]


FILES = files(TEXTS)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_writes_every_file_0600_into_a_new_0700_directory(tmp_path):
    directory = tmp_path / "reports" / "prod"

    failed, result, _raw = run_module(wa_report, {"path": str(directory), "files": FILES})

    assert not failed, result
    assert result["changed"] is True
    assert result["written"] == [str(directory / name) for name in TEXTS]
    assert result["unchanged"] == []
    assert mode(directory) == 0o700
    for name, text in TEXTS.items():
        assert (directory / name).read_text(encoding="utf-8") == text
        assert mode(directory / name) == 0o600
    assert sorted(os.listdir(directory)) == sorted(TEXTS)  # no temporary file left


def test_same_text_is_left_alone_and_other_text_replaced(tmp_path):
    run_module(wa_report, {"path": str(tmp_path), "files": FILES})
    changed = files(dict(TEXTS, **{"run-1.md": "# Migration\n\nfailed\n"}))

    failed, result, _raw = run_module(wa_report, {"path": str(tmp_path), "files": changed})

    assert not failed, result
    assert result["written"] == [str(tmp_path / "run-1.md")]
    assert result["unchanged"] == [str(tmp_path / "run-1.json")]
    assert (tmp_path / "run-1.md").read_text() == "# Migration\n\nfailed\n"
    _failed, again, _raw = run_module(wa_report, {"path": str(tmp_path), "files": changed})
    assert again["changed"] is False and again["written"] == []


def test_check_mode_writes_nothing_and_says_what_it_would(tmp_path):
    directory = tmp_path / "reports"

    failed, result, _raw = run_module(wa_report, {"path": str(directory), "files": FILES}, check_mode=True)

    assert not failed, result
    assert result["changed"] is True
    assert result["written"] == [str(directory / name) for name in TEXTS]
    assert not directory.exists()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (files({"../escape.json": "x", "ok.md": "x"}), "must be plain file names"),
        (files({".hidden": "x", "ok.md": "x"}), "must be plain file names"),
        ([{"name": "a.md", "content": "x"}, {"name": "a.md", "content": "y"}], "a name is given twice"),
        ([], "files is empty"),
    ],
)
def test_bad_names_are_refused_before_anything_is_written(tmp_path, files, message):
    failed, result, _raw = run_module(wa_report, {"path": str(tmp_path / "r"), "files": files})

    assert failed
    assert message in result["msg"]
    assert not (tmp_path / "r").exists()


def test_a_path_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "reports").write_text("not a directory")

    failed, result, _raw = run_module(wa_report, {"path": str(tmp_path / "reports"), "files": FILES})

    assert failed
    assert "is not a directory" in result["msg"]
    assert (tmp_path / "reports").read_text() == "not a directory"


def test_a_write_that_fails_says_which_and_what_was_written(tmp_path):
    (tmp_path / "run-1.md").mkdir()  # a directory where a report file should go

    failed, result, _raw = run_module(wa_report, {"path": str(tmp_path), "files": FILES})

    assert failed
    assert "Cannot write %s" % (tmp_path / "run-1.md") in result["msg"]
    assert result["written"] == [str(tmp_path / "run-1.json")]


def test_urls_are_written_without_their_user_information(tmp_path):
    text = (
        '{"source": "http://admin:S3cr3t@wa-old:443", "target": "https://tok3n-S3cr3t@wa-new/v1",\n'
        ' "contact": "ops@example.com", "note": "see https://wa.example.com/a@b"}\n'
    )
    failed, result, _raw = run_module(
        wa_report, {"path": str(tmp_path), "files": [{"name": "r.json", "content": text}]}
    )
    assert not failed, result
    written = (tmp_path / "r.json").read_text()
    assert "S3cr3t" not in written
    assert '"http://wa-old:443"' in written and '"https://wa-new/v1"' in written
    assert "ops@example.com" in written and "https://wa.example.com/a@b" in written  # not user information


JUNIT = {
    "name": "wabiz.migration migration",
    "suites": [
        {
            "name": "migration.prod-new",
            "hostname": "prod-new",
            "properties": {"result": "failed", "note": 'a "quoted" <value> & more'},
            "cases": [
                {"name": "preflight", "status": "passed", "time": 1.25},
                {"name": "restore", "status": "failed", "message": 'refused: <data> & "password"', "time": "2"},
                {"name": "verify", "status": "skipped", "message": "not run: an earlier phase failed"},
            ],
        }
    ],
}


def test_a_junit_file_is_built_from_its_description_and_escaped(tmp_path):
    import xml.etree.ElementTree as ET

    failed, result, _raw = run_module(
        wa_report, {"path": str(tmp_path), "files": [{"name": "run.xml", "junit": JUNIT}, *FILES]}
    )

    assert not failed, result
    root = ET.parse(tmp_path / "run.xml").getroot()
    assert root.tag == "testsuites" and root.get("name") == "wabiz.migration migration"
    assert (root.get("tests"), root.get("failures"), root.get("skipped"), root.get("errors")) == ("3", "1", "1", "0")
    (suite,) = root
    assert (suite.get("name"), suite.get("hostname"), suite.get("time")) == ("migration.prod-new", "prod-new", "3.250")
    assert {p.get("name"): p.get("value") for p in suite.iter("property")}["note"] == 'a "quoted" <value> & more'
    cases = list(suite.iter("testcase"))
    assert [(c.get("name"), c.get("classname"), c.get("time")) for c in cases] == [
        ("preflight", "migration.prod-new", "1.250"),
        ("restore", "migration.prod-new", "2.000"),
        ("verify", "migration.prod-new", "0"),
    ]
    assert cases[1].find("failure").get("message") == 'refused: <data> & "password"'
    assert cases[1].find("failure").text == 'refused: <data> & "password"'
    assert cases[2].find("skipped").get("message") == "not run: an earlier phase failed"
    assert mode(tmp_path / "run.xml") == 0o600


@pytest.mark.parametrize(
    ("junit", "message"),
    [
        ({"suites": "no"}, "junit must be a dict with a list of suites"),
        ({"suites": [{"name": "s"}]}, "junit.suites[0] must have a name and a list of cases"),
        ({"suites": [{"name": "s", "cases": [{"status": "passed"}]}]}, "junit.suites[0].cases[0] must have a name"),
        ({"suites": [{"name": "s", "cases": [{"name": "c", "status": "ok"}]}]}, "status must be one of"),
        ({"suites": [{"name": "s", "cases": [{"name": "c", "time": "soon"}]}]}, "time must be a number of seconds"),
    ],
)
def test_a_bad_junit_description_is_refused_before_anything_is_written(tmp_path, junit, message):
    failed, result, _raw = run_module(
        wa_report, {"path": str(tmp_path / "r"), "files": [*FILES, {"name": "run.xml", "junit": junit}]}
    )

    assert failed
    assert message in result["msg"] and "nothing was written" in result["msg"]
    assert not (tmp_path / "r").exists()


def test_content_or_junit_one_of_them(tmp_path):
    for item in ({"name": "a.xml"}, {"name": "a.xml", "content": "x", "junit": JUNIT}):
        failed, result, _raw = run_module(wa_report, {"path": str(tmp_path / "r"), "files": [item]})
        assert failed, item
        assert "content" in result["msg"] and "junit" in result["msg"]
    assert not (tmp_path / "r").exists()
