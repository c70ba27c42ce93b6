"""The shipped models with their manifests and model cards; the kiosk reads them as ``kiosk.models`` (package
data of its wheel). ``training/`` is tooling: it is not installed."""
