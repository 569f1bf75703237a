"""Where feedstar's messages go (alerts, reports): apprise URLs, configured once for every sender.

Targets are apprise URLs (Telegram `tgram://`, Slack `slack://`, e-mail `mailto://`, a generic
webhook `json://` / `form://`, ...: https://github.com/caronc/apprise/wiki) from

    FEEDSTAR_NOTIFY_URLS    one or more URLs, separated by spaces, commas or newlines
    FEEDSTAR_NOTIFY_CONFIG  and/or an apprise configuration file (TEXT or YAML), which keeps
                            tokens out of the environment of every process

Each target is sent to on its own and reported on its own (`send` returns which targets got
the message), so a sender that remembers what it delivered (`feedstar alerts`) retries only
the targets that failed and never sends a message twice to one that got it.  No target
configured: `send` raises NoTargets, so nothing is silently dropped.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass

URLS_ENV_VAR = "FEEDSTAR_NOTIFY_URLS"
CONFIG_ENV_VAR = "FEEDSTAR_NOTIFY_CONFIG"

log = logging.getLogger(__name__)


class NoTargets(RuntimeError):
    """No apprise URL is configured (or none of them is a valid apprise URL)."""


@dataclass(frozen=True)
class Target:
    id: str      # stable id of the URL (a hash: ids are stored, URLs may hold tokens)
    label: str   # the URL with its secrets hidden, for messages and logs
    url: str


def targets(urls: str | None = None, config: str | None = None) -> list[Target]:
    """The configured targets: `urls` / `config`, else FEEDSTAR_NOTIFY_URLS / FEEDSTAR_NOTIFY_CONFIG."""
    import apprise

    urls = os.environ.get(URLS_ENV_VAR, "") if urls is None else urls
    config = os.environ.get(CONFIG_ENV_VAR, "") if config is None else config
    bundle = apprise.Apprise()
    for url in (part for part in re.split(r"[\s,]+", urls) if part):
        if not bundle.add(url):
            raise NoTargets(f"{URLS_ENV_VAR}: not a valid apprise URL: {_hide(url)}")
    if config:
        if not os.path.isfile(config):
            raise NoTargets(f"{CONFIG_ENV_VAR}: no such file: {config}")
        loaded = apprise.AppriseConfig()
        loaded.add(config)
        bundle.add(loaded)
    found = [Target(hashlib.sha256(server.url().encode()).hexdigest()[:16], server.url(privacy=True), server.url())
             for server in bundle]
    if not found:
        raise NoTargets(f"no notification target: set {URLS_ENV_VAR} (apprise URLs) or {CONFIG_ENV_VAR} (a config file)")
    return found


def send(title: str, body: str, images: list[str] = (), to: list[Target] | None = None,
         body_format: str | None = None) -> dict[str, bool]:
    """Send one message (text + image files) to each target; {target id: delivered}.

    body_format ("text", "markdown", "html"): what `body` is written in, so that apprise
    converts it to what each service shows; None sends it as it is."""
    import apprise

    results = {}
    for target in to if to is not None else targets():
        one = apprise.Apprise()
        one.add(target.url)
        attach = apprise.AppriseAttachment()
        for path in images:
            attach.add(path)
        try:
            delivered = bool(one.notify(body=body, title=title, body_format=body_format,
                                        attach=attach if images else None))
        except Exception as exc:  # a plugin bug must not lose the other targets' results
            log.warning("delivery to %s raised %s", target.label, exc)
            delivered = False
        if not delivered:
            log.warning("delivery to %s failed", target.label)
        results[target.id] = delivered
    return results


def _hide(url: str) -> str:
    return re.sub(r"(?<=://)[^/@]*@", "***@", url)
