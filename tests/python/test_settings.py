"""The clients' settings (feedstar/settings.py) and connection (feedstar/chclient.py): one table,
read in one place, documented once in README.md; passwords from the environment or a file."""

import os
import re
import subprocess

import pytest
from dbt_profile import REPO_ROOT

from feedstar import settings
from feedstar.chclient import ClickHouseUnreachable, connection


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No FEEDSTAR_* or CLICKHOUSE_* variable of the caller's shell leaks into these tests."""
    for key in list(os.environ):
        if key.startswith(("FEEDSTAR_", "CLICKHOUSE_")):
            monkeypatch.delenv(key)


def readme() -> str:
    with open(os.path.join(REPO_ROOT, "README.md")) as handle:
        return handle.read()


def test_readme_lists_exactly_the_declared_settings():
    assert settings.markdown_table() in readme()
    documented = set(re.findall(r"^\| `(FEEDSTAR_[A-Z_]+)` \|", readme(), flags=re.M))
    assert documented == {declared.env_var for declared in settings.SETTINGS.values()}


def test_readme_layout_names_every_top_level_path():
    listed = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    top_level = {path.split("/")[0] for path in listed.stdout.splitlines()}
    layout = readme().split("## Layout", 1)[1].split("\n## ", 1)[0]
    first_cells = [line.split("|")[1] for line in layout.splitlines() if line.startswith("| `")]
    named = {code.split("/")[0] for cell in first_cells for code in re.findall(r"`([^`]+)`", cell)}
    assert top_level - named == set()


def test_defaults_make_the_embedded_endpoints_two_users():
    writer, reader = connection(), connection(readonly=True)
    assert (writer.host, writer.port, writer.username, writer.password, writer.secure) == (
        "127.0.0.1", 8123, "default", "", False)
    assert (reader.username, reader.database) == ("dashboard", "analytics")
    assert writer.client_params()["database"] == "" and reader.client_params(use_database=True)["database"] == "analytics"


def test_passwords_come_from_the_environment_or_a_file(monkeypatch, tmp_path):
    monkeypatch.setenv("FEEDSTAR_CH_PASSWORD", "from-env")
    assert connection().password == "from-env"
    assert connection(readonly=True).password == ""  # each user has its own
    secret = tmp_path / "ro"
    secret.write_text("from file\nignored second line\n")
    monkeypatch.setenv("FEEDSTAR_CH_READONLY_PASSWORD_FILE", str(secret))
    assert connection(readonly=True).password == "from file"
    monkeypatch.setenv("FEEDSTAR_CH_READONLY_PASSWORD", "both")
    with pytest.raises(ClickHouseUnreachable, match="not both"):
        connection(readonly=True)
    monkeypatch.delenv("FEEDSTAR_CH_READONLY_PASSWORD")
    monkeypatch.setenv("FEEDSTAR_CH_READONLY_PASSWORD_FILE", str(tmp_path / "missing"))
    with pytest.raises(ClickHouseUnreachable, match="FEEDSTAR_CH_READONLY_PASSWORD_FILE: cannot read"):
        connection(readonly=True)


def test_a_url_overrides_where_and_who_but_never_carries_a_password(monkeypatch):
    monkeypatch.setenv("FEEDSTAR_CH_READONLY_PASSWORD", "s3cret")
    conn = connection("https://reader@ch.example:9443/marts", readonly=True)
    assert (conn.host, conn.port, conn.username, conn.password, conn.database, conn.secure) == (
        "ch.example", 9443, "reader", "s3cret", "marts", True)
    assert conn.redacted() == "https://reader:***@ch.example:9443/marts" and "s3cret" not in repr(conn)
    with pytest.raises(ClickHouseUnreachable, match="set FEEDSTAR_CH_READONLY_PASSWORD or") as refused:
        connection("http://reader:hunter2@ch.example/marts", readonly=True)
    assert "hunter2" not in str(refused.value)
    for url, message in (("ftp://h/x", "not a ClickHouse HTTP URL"), ("http://h:99999/a", "bad port"),
                         ("http://h/a/b", "one database name")):
        with pytest.raises(ClickHouseUnreachable, match=message):
            connection(url)


def test_old_names_are_refused_with_the_new_one(monkeypatch):
    monkeypatch.setenv("FEEDSTAR_CLICKHOUSE_URL", "http://127.0.0.1:8123")
    with pytest.raises(ClickHouseUnreachable, match="FEEDSTAR_CLICKHOUSE_URL is no longer read: set FEEDSTAR_CH_HOST"):
        connection()
    monkeypatch.setenv("FEEDSTAR_CH_HOST", "127.0.0.1")  # the new name set: the old one is left alone
    monkeypatch.setenv("CLICKHOUSE_PASSWORD", "old")
    with pytest.raises(ClickHouseUnreachable, match="CLICKHOUSE_PASSWORD is no longer read: set FEEDSTAR_CH_PASSWORD"):
        connection()


def test_secure_changes_the_default_port_and_bad_values_are_named(monkeypatch):
    monkeypatch.setenv("FEEDSTAR_CH_SECURE", "true")
    assert connection().port == 8443
    monkeypatch.setenv("FEEDSTAR_CH_PORT", "eighty")
    with pytest.raises(ClickHouseUnreachable, match="FEEDSTAR_CH_PORT='eighty' is not a port number"):
        connection()


def test_dbt_project_dir_is_found_from_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.chdir(os.path.join(REPO_ROOT, "models", "staging"))
    assert settings.dbt_project_dir() == REPO_ROOT
    monkeypatch.chdir(tmp_path)
    with pytest.raises(settings.SettingsError, match="no dbt_project.yml .* set FEEDSTAR_DBT_PROJECT_DIR"):
        settings.dbt_project_dir()
    monkeypatch.setenv("FEEDSTAR_DBT_PROJECT_DIR", "/somewhere")
    assert settings.dbt_project_dir() == "/somewhere"
