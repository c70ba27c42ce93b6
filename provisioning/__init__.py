"""Technician provisioning: identity, keys, broker config, model install, self-test and firmware rendering.

``kiosk-provision COMMAND`` (see :mod:`provisioning.cli`) runs one step; every step can be run again safely
and refuses bad input with one sentence that names the field and the fix, leaving the previous files
untouched."""
