"""The dbt profile the tests use: their own copy of profiles.yml.example, never the repo's profiles.yml.

`make` copies profiles.yml.example to profiles.yml; `pip install -e .` then `pytest` does
not, so a test that needs a profile makes one.  The copy keeps the example's targets and
env vars (a test points the `local` target at its own endpoint with FEEDSTAR_CH_PORT) but
always defaults to `local`: a FEEDSTAR_TARGET=prod left in a shell never sends a test to a
real server.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import yaml

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
_directory: str | None = None


def profile_from_example(**local_overrides) -> dict:
    """profiles.yml.example as a dict, target `local`, with `local_overrides` set on that target."""
    with open(os.path.join(REPO_ROOT, "profiles.yml.example")) as source:
        profiles = yaml.safe_load(source)
    profiles["feedstar"]["target"] = "local"
    profiles["feedstar"]["outputs"]["local"].update(local_overrides)
    return profiles


def write_profiles_dir(directory: str, **local_overrides) -> str:
    """Write profiles.yml (see profile_from_example) into `directory`; returns the directory."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "profiles.yml"), "w") as target:
        yaml.safe_dump(profile_from_example(**local_overrides), target)
    return directory


def dbt_profiles_dir() -> str:
    """A directory with the tests' profiles.yml, made once per test process and removed at exit."""
    global _directory
    if _directory is None:
        _directory = write_profiles_dir(tempfile.mkdtemp(prefix="feedstar-dbt-profile-"))
        atexit.register(shutil.rmtree, _directory, True)
    return _directory
