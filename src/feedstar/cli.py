"""The `feedstar` command: a group of verbs, each a thin wrapper over a package function.

Each verb lives beside the code it drives (`feedstar/<area>/cli.py` exports a click
command) and is imported only when invoked, so `feedstar serve` does not pay for
importing the generator or the dashboard.
"""

import importlib
import importlib.util

import click

# verb -> "module:attribute" of its click command
VERBS = {
    "serve": "feedstar.server.cli:serve",
    "generate": "feedstar.generate.cli_intraday:generate",
    "alerts": "feedstar.alerts.cli:alerts",
    "dashboard": "feedstar.dashboard.cli:dashboard",
    "report": "feedstar.report.cli:report",
}


def _module_exists(module_name: str) -> bool:
    try:
        return importlib.util.find_spec(module_name) is not None
    except ModuleNotFoundError:
        return False


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        # Verbs whose module is not installed (yet) are left out of --help.
        return sorted(name for name, target in VERBS.items() if _module_exists(target.split(":")[0]))

    def get_command(self, ctx, name):
        target = VERBS.get(name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            raise click.ClickException(f"`feedstar {name}` is not available in this install ({exc})") from exc
        return getattr(module, attribute)


@click.group(cls=LazyGroup)
@click.version_option(package_name="feedstar")
def main():
    """feedstar: dbt + ClickHouse warehouse for a messenger + news-feed app."""


if __name__ == "__main__":
    main()
