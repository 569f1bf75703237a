"""`feedstar generate` on bad input: a one-line error, a non-zero exit, and `product` untouched.

Each case runs the real click command against a real endpoint that already holds a small
generated data set, then compares checksums of every `product` table with those taken
before: a run that fails validation must not have written anything.
"""

import pytest
from click.testing import CliRunner
from endpoint import free_port, start_endpoint

from feedstar.generate.cli import generate

SMALL = ["--days", "3", "--scale", "0.02", "--start", "2025-03-01", "--seed", "11", "--no-progress"]


def product_checksums(client) -> dict:
    """Row count and an order-independent hash sum of every table in `product`."""
    tables = [name for (name,) in client.query(
        "select name from system.tables where database = 'product' order by name").result_rows]
    return {table: client.query(f"select count(), sum(cityHash64(*)) from product.`{table}`").result_rows[0]
            for table in tables}


def invoke(*args):
    return CliRunner().invoke(generate, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def populated(endpoint):
    result = invoke(*SMALL, "--url", endpoint.url)
    assert result.exit_code == 0, result.output
    client = endpoint.client()
    before = product_checksums(client)
    assert before["feed_actions"][0] > 0 and before["message_actions"][0] > 0
    return endpoint, client, before


@pytest.mark.parametrize("args, expected", [
    (["--days", "-1"], "--days: -1 is out of range"),
    (["--days", "0"], "--days: 0 is out of range"),
    (["--days", "abc"], "--days: 'abc' is not a whole number"),
    (["--scale", "0"], "--scale: 0 is out of range"),
    (["--scale", "-3"], "--scale: -3 is out of range"),
    (["--start", "2025-02-30"], "--start: '2025-02-30' is not a date"),
    (["--start", "last monday"], "--start: 'last monday' is not a date"),
    (["--late-share", "1.5"], "--late-share: 1.5 is out of range"),
    (["--seed", "-5"], "--seed: -5 is out of range"),
    (["--append-day", "--seed", "3"], "--append-day reuses the stored data set's parameters; drop --seed"),
    (["--day", "2025-03-04", "--scale", "2"], "--day reuses the stored data set's parameters; drop --scale"),
    (["--day", "2025-03-04", "--append-day"], "--append-day adds the next day, --day names one: give one of them"),
    (["--day", "tomorrow"], "--day: 'tomorrow' is not a date"),
    # The populated data set is 2025-03-01..03; a day may be rewritten or the next one added.
    (["--day", "2025-03-05"], "--day 2025-03-05: the data set holds 2025-03-01..2025-03-03; "
                              "write a day in it or the next one, 2025-03-04"),
    (["--day", "2025-02-28"], "--day 2025-02-28: the data set holds 2025-03-01..2025-03-03"),
])
def test_bad_flag_is_one_line_error_and_product_untouched(populated, args, expected):
    endpoint, client, before = populated
    result = invoke(*args, "--url", endpoint.url, "--no-progress")
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {expected}") and result.output.count("\n") == 1
    assert product_checksums(client) == before


def test_unreachable_url_is_one_line_error(populated):
    endpoint, client, before = populated
    port = free_port()
    result = invoke(*SMALL, "--url", f"http://127.0.0.1:{port}")
    assert result.exit_code == 1
    assert result.output == f"Error: cannot reach ClickHouse at http://default@127.0.0.1:{port}: Connection refused\n"
    assert product_checksums(client) == before


def test_malformed_url_password_in_url_and_wrong_password_hide_the_password(populated, monkeypatch):
    endpoint, client, before = populated
    result = invoke(*SMALL, "--url", "ftp://me:hunter2@127.0.0.1:1")
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert "hunter2" not in result.output and "not a ClickHouse HTTP URL" in result.output
    # a password on the command line is refused before anything is sent
    result = invoke(*SMALL, "--url", f"http://default:hunter2@127.0.0.1:{endpoint.port}")
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert "hunter2" not in result.output and "set FEEDSTAR_CH_PASSWORD or FEEDSTAR_CH_PASSWORD_FILE" in result.output
    # a wrong password from the environment: refused by the endpoint, hidden in the message
    monkeypatch.setenv("FEEDSTAR_CH_PASSWORD", "hunter2")
    result = invoke(*SMALL, "--url", f"http://nobody@127.0.0.1:{endpoint.port}")
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert "hunter2" not in result.output and "Authentication failed" in result.output
    assert "http://nobody:***@127.0.0.1" in result.output
    assert product_checksums(client) == before


def test_flag_validation_happens_before_connecting(populated):
    # A bad flag with an unreachable URL reports the flag: nothing was even attempted.
    result = invoke("--days", "-2", "--url", f"http://127.0.0.1:{free_port()}")
    assert result.output == "Error: --days: -2 is out of range (1..3650)\n"


def test_if_absent_leaves_an_existing_data_set_alone(populated):
    endpoint, client, before = populated
    result = invoke("--if-absent", "--seed", "99", "--url", endpoint.url, "--no-progress")
    assert result.exit_code == 0
    assert result.output.endswith("already holds 2025-03-01..2025-03-03 (seed 11, scale 0.02); --if-absent: nothing to do\n")
    assert product_checksums(client) == before


def test_append_day_without_a_data_set_is_refused(tmp_path):
    fresh = start_endpoint(str(tmp_path / "data"))
    try:
        result = invoke("--append-day", "--url", fresh.url, "--no-progress")
        assert result.exit_code == 1
        assert result.output == ("Error: --append-day: no generated data set in `product` "
                                 "(run `feedstar generate` first)\n")
        # Nothing was created either: no table appeared in `product`.
        assert fresh.client().command("select count() from system.tables where database = 'product'") == 0
        # --if-absent on the empty endpoint does generate.
        result = invoke("--if-absent", "--days", "1", "--scale", "0.01", "--url", fresh.url, "--no-progress")
        assert result.exit_code == 0, result.output
        assert fresh.client().command("select count() > 0 from product.feed_actions") == 1
    finally:
        fresh.stop()
