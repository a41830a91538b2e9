from tests.api.conftest import (  # noqa: F401  (shared fixtures)
    _fresh_throttle,
    _no_export_broker,
    api,
    article,
    claim,
    outsider_claim,
    reviewed_claim,
)
