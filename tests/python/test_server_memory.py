"""Memory caps: a query that needs more than the endpoint may use fails; the endpoint stays up."""

from endpoint import http, start_endpoint

CAP = 1_000_000_000  # bytes, for the whole process; one query may use half


def test_a_query_over_the_memory_cap_is_an_error_not_a_crash(tmp_path):
    endpoint = start_endpoint(str(tmp_path / "data"), "--max-server-memory-usage", str(CAP))
    try:
        # ~3.2 GB of UInt64 in one array: far past both caps.
        answer = http(endpoint, "POST", {}, b"SELECT length(groupArray(number)) FROM numbers(400000000)")
        assert answer.status == 500, answer.text
        assert answer.headers["x-clickhouse-exception-code"] == "241", answer.text  # MEMORY_LIMIT_EXCEEDED
        assert http(endpoint, "POST", {}, b"SELECT getSetting('max_memory_usage')").body == b"%d\n" % (CAP // 2)
        # Spilling keeps a big GROUP BY within the cap instead of failing it.
        grouped = http(endpoint, "POST", {}, b"SELECT count() FROM (SELECT number % 20000000 AS k, count() "
                                              b"FROM numbers(40000000) GROUP BY k)")
        assert grouped.status == 200 and grouped.body == b"20000000\n", grouped.text
        assert endpoint.process.poll() is None
        assert http(endpoint, "GET", path="/ping").body == b"Ok.\n"
    finally:
        endpoint.stop()
