"""Run every benchmark module (bench/bench_*.py), one after another, each as `python -m bench.<name>`.

    python -m bench [name ...]      # e.g. python -m bench bench_server

Each runs in its own process (chDB allows one data path per process) and prints its own
figures; this prints a summary of which ones failed, and exits non-zero if any did.
"""

from __future__ import annotations

import os
import subprocess
import sys


def benchmark_modules() -> list[str]:
    here = os.path.dirname(os.path.abspath(__file__))
    return sorted(name[:-3] for name in os.listdir(here) if name.startswith("bench_") and name.endswith(".py"))


def main(argv: list[str]) -> int:
    available = benchmark_modules()
    chosen = argv or available
    unknown = sorted(set(chosen) - set(available))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available)}", file=sys.stderr)
        return 2
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    failed = []
    for name in chosen:
        print(f"== python -m bench.{name}", flush=True)
        if subprocess.run([sys.executable, "-m", f"bench.{name}"], cwd=root).returncode != 0:
            failed.append(name)
    print(f"== {len(chosen) - len(failed)} of {len(chosen)} benchmarks ran" +
          (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
