"""Who may read the broker files ``broker-config`` writes, and the office receiver's ``central.toml``.

On Debian, mosquitto starts as root, opens its listeners (and the server key), then drops to the user
``mosquitto`` before it reads the password file and the ACL (and again on every reload). So:

- the folder is ``0750 root:mosquitto``: the broker may enter it, other users may not list it;
- ``passwd``, ``acl`` and ``server.key`` are ``0600 mosquitto:mosquitto``: the broker reads them and nobody else
  (mosquitto 2.0.16 and later warn, and say they will refuse, when such a file's owner is not the broker's user);
- ``ca.key`` (the trial CA), ``central.password``, ``central.toml`` and ``choices.toml`` are ``0600`` root's:
  the broker never needs them;
- ``ca.crt``, ``server.crt`` and ``mosquitto.conf`` (root reads it before dropping privileges; it holds only
  paths and settings) are ``0644``.

Where that user does not exist (a technician's laptop, a test) or the tool is not run as root, the broker's
three files stay ``0600`` and owned by whoever ran it, the folder ``0700``, and the summary says to run
``chown`` on the broker (:func:`secure` returns that sentence).
"""

from __future__ import annotations

import contextlib
import grp
import json
import os
import pwd
from pathlib import Path

from layanan.config import ConfigError, load_settings
from provisioning.broker_choices import BrokerChoices
from provisioning.common import ProvisionError

BROKER_READS = ("passwd", "acl", "server.key")
ROOT_ONLY = ("ca.key", "central.password", "central.toml", "choices.toml", "revoked")
PUBLIC = ("ca.crt", "server.crt", "mosquitto.conf")
RECEIVER_CONFIG = "central.toml"


def _broker_ids(user: str) -> tuple[int, int] | None:
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return None
    with contextlib.suppress(KeyError):
        return entry.pw_uid, grp.getgrnam(user).gr_gid
    return entry.pw_uid, entry.pw_gid


def secure(out: Path, user: str) -> str | None:
    """Give every file in ``out`` the mode and owner above; a sentence saying what to do by hand, or None."""
    ids = _broker_ids(user)
    for name in PUBLIC:
        if (out / name).exists():
            os.chmod(out / name, 0o644)
    for name in ROOT_ONLY:
        if (out / name).exists():
            os.chmod(out / name, 0o600)
    owned = ids is not None
    for name in BROKER_READS:
        path = out / name
        if not path.exists():
            continue
        os.chmod(path, 0o600)
        if ids is not None:
            try:
                os.chown(path, *ids)
            except PermissionError:
                owned = False
    if owned and ids is not None:
        try:
            os.chown(out, 0, ids[1])
            os.chmod(out, 0o750)
        except PermissionError:
            owned = False
    if owned:
        return None
    os.chmod(out, 0o700)
    why = f"there is no user {user!r} here" if ids is None else "this was not run as root"
    return (
        f"{why}: passwd, acl and server.key are 0600 and yours; on the broker run 'sudo chown {user}:{user} "
        f"passwd acl server.key && sudo chown root:{user} . && sudo chmod 0750 .' in that folder"
    )


def receiver_url(choices: BrokerChoices, names: list[str]) -> str:
    return choices.receiver_url or f"mqtts://{names[0]}:{choices.port}"


def receiver_text(choices: BrokerChoices, names: list[str], zone: str) -> str:
    """The office receiver's central.toml: every key is described in docs/operations.md."""
    q = json.dumps  # a JSON string is a TOML basic string
    rdir, data = Path(choices.receiver_dir), Path(choices.receiver_data_dir)
    db = choices.office_db or f"sqlite://{data / 'central.db'}"  # sqlite:// + an absolute path
    return "\n".join(
        [
            "# The office receiver's settings (kiosk-central serve, web, and every other kiosk-central command).",
            "# Written by kiosk-provision broker-config; each key is described in docs/operations.md,",
            '# "The office receiver\'s settings". Install it as /etc/kiosk/central.toml, 0640 root:kiosk-central.',
            "",
            "[kiosk]",
            "# the broker's TLS listener, by a name its certificate was made for",
            f"broker_url = {q(receiver_url(choices, names))}",
            "# the receiver's data dir: the office keys (keys/) and, with SQLite, the database",
            f"data_dir = {q(str(data))}",
            "",
            "[mqtt]",
            f"username = {q(choices.central_user)}",
            f"password_file = {q(str(rdir / 'central.password'))}",
            f"ca_file = {q(str(rdir / 'ca.crt'))}",
            "",
            "[central]",
            "# the office database: replace with postgresql://USER@HOST:PORT/DB for PostgreSQL",
            f"db_url = {q(db)}",
            "",
            "[site]",
            "# the office's time zone: times in exports, the console and the public pages",
            f"time_zone = {q(zone)}",
            "",
        ]
    )


def check_receiver_text(text: str, tmp: Path) -> None:
    """Refuse a central.toml the office commands would refuse (e.g. a bad --receiver-url)."""
    tmp.write_text(text)
    try:
        load_settings(tmp, env={})
    except ConfigError as exc:
        raise ProvisionError(
            f"central.toml would be refused by kiosk-central ({str(exc).replace(str(tmp), 'central.toml')}); "
            "fix --receiver-url, --office-db or --receiver-dir"
        ) from None
    finally:
        tmp.unlink(missing_ok=True)
