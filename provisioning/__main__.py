"""``python -m provisioning`` is the ``kiosk-provision`` command."""

from provisioning.cli import main

raise SystemExit(main())
