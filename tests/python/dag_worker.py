"""Test harness: drive one long-lived `dag_local_run.py --serve-fd` process: run the DAG many times, pay the
Airflow start-up once.  Used by the DAG tests and bench/bench_dag.py.

    with DagWorker(airflow_home, log_path, env) as worker:
        outcome = worker.run("2025-03-10", "2025-03-09", FEEDSTAR_DAG_RETRIES="2")
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

LOCAL_RUN = str(Path(__file__).with_name("dag_local_run.py"))


class DagWorker:
    def __init__(self, airflow_home: str, log_path: str, env: dict[str, str]):
        self.airflow_home, self.log_path, self.env = airflow_home, Path(log_path), env
        self.process = None

    def start(self) -> "DagWorker":
        reply_read, reply_write = os.pipe()
        self._log = open(self.log_path, "a")
        argv = [sys.executable, LOCAL_RUN, "--airflow-home", self.airflow_home,
                "--migrate", "--serve-fd", str(reply_write)]
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=self._log, stderr=subprocess.STDOUT,
                                        text=True, env=self.env, pass_fds=(reply_write,))
        os.close(reply_write)
        self._replies = os.fdopen(reply_read)
        return self

    def run(self, *logical_dates: str, **env: str | None) -> dict:
        """Parse the DAG (with `env` overrides; None unsets a variable) and run it for each date
        in order.  The outcome of dag_local_run.run_dates, plus "log": what the worker logged meanwhile."""
        log_start = self.log_path.stat().st_size
        self.process.stdin.write(json.dumps({"dates": list(logical_dates), "env": env}) + "\n")
        self.process.stdin.flush()
        reply = self._replies.readline()
        with open(self.log_path) as handle:
            handle.seek(log_start)
            log = handle.read()
        if not reply:
            raise RuntimeError(f"the Airflow worker exited ({self.process.poll()}):\n{log[-3000:]}")
        return {**json.loads(reply), "log": log}

    def stop(self, timeout: float = 60) -> None:
        if self.process is None:
            return
        self.process.stdin.close()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._replies.close()
        self._log.close()
        self.process = None

    def __enter__(self) -> "DagWorker":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
