"""Start a real `feedstar serve` process for a test: free port, throwaway data dir, stopped by PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Endpoint:
    process: subprocess.Popen
    port: int
    data_dir: str
    log_path: str
    host: str = "127.0.0.1"
    extra_args: list = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def client(self, **kwargs):
        import clickhouse_connect

        return clickhouse_connect.get_client(host=self.host, port=self.port, **kwargs)

    def stop(self, sig=signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def log(self) -> str:
        with open(self.log_path) as handle:
            return handle.read()


def start_endpoint(data_dir: str, *args: str, port: int | None = None, timeout: float = 30,
                   env: dict | None = None) -> Endpoint:
    """Start `feedstar serve` on `data_dir` and wait until /ping answers.

    `env` adds environment variables (FEEDSTAR_PASSWORD, FEEDSTAR_READONLY_PASSWORD: passwords
    never go on the command line).
    """
    port = port or free_port()
    os.makedirs(data_dir, exist_ok=True)
    log_path = os.path.join(os.path.dirname(os.path.abspath(data_dir)), f"serve-{port}.log")
    log = open(log_path, "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "feedstar.cli", "serve", "--path", data_dir, "--port", str(port), *args],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
    )
    endpoint = Endpoint(process, port, data_dir, log_path, extra_args=list(args))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"feedstar serve exited with {process.returncode}:\n{endpoint.log()}")
        try:
            with urllib.request.urlopen(f"{endpoint.url}/ping", timeout=1) as response:
                if response.read() == b"Ok.\n":
                    return endpoint
        except OSError:
            time.sleep(0.1)
    endpoint.stop()
    raise RuntimeError(f"feedstar serve did not answer /ping within {timeout}s:\n{endpoint.log()}")


@dataclass
class HttpAnswer:
    status: int
    headers: dict  # lower-case names
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()


def http(endpoint: Endpoint, method: str = "GET", params: dict | list | None = None, body: bytes | None = None,
         headers: dict | None = None, path: str = "/", timeout: float = 60) -> HttpAnswer:
    """One raw HTTP request (urllib: no automatic decompression, no raising on 4xx/5xx)."""
    import urllib.error
    import urllib.parse

    url = endpoint.url + path
    if params:
        url += "?" + urllib.parse.urlencode(params)
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return HttpAnswer(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as error:
        return HttpAnswer(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())
