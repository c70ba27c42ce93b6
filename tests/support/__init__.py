"""Helpers and fakes for the tests: fakes of the kiosk's edges (each put through its contract test), waiting with
timeouts, kiosk and central set-ups. The broker, free ports and the link proxy are tools.net (the demo and the
benchmarks use them too)."""
