"""Fixtures for notifications (a pytest plugin): settings switches, a real Kannel, push keys."""

from __future__ import annotations

import pytest

from tests.kannel import KannelHarness
from tests.services import unavailable


@pytest.fixture
def use_settings(app, settings):
    """Return a function that swaps the settings of the app and of jobs for one test."""
    from dispatch import runtime

    def _use(**changes):
        changed = settings.replace(**{"quiet_hours": "", **changes})
        app.extensions["dispatch.settings"] = changed
        runtime.configure(changed)
        return changed

    yield _use
    app.extensions["dispatch.settings"] = settings
    runtime.configure(settings)


@pytest.fixture(scope="session")
def kannel(settings, tmp_path_factory):
    """A real bearerbox + smsbox on loopback ports, with the Python fake SMSC connected."""
    if not KannelHarness.installed():
        unavailable("Kannel (bearerbox, smsbox) is not installed")
    harness = KannelHarness(tmp_path_factory.mktemp("kannel"), settings.sms_mo_secret_value)
    try:
        harness.start()
    except (RuntimeError, OSError) as exc:
        harness.shutdown()
        unavailable(f"Kannel did not start: {exc}")
    yield harness
    harness.shutdown()


@pytest.fixture
def kannel_settings(kannel, use_settings):
    """Settings that send through the test Kannel; its queues are emptied first."""
    if not kannel.boxes.running:
        kannel.start()
    kannel.smsc.drain()
    kannel.callback.drain()
    return use_settings(sms_backend="kannel", kannel_sendsms_url=kannel.sendsms_url,
                        kannel_username=kannel.username, kannel_password=kannel.password,
                        sms_callback_url=kannel.callback.base_url)


@pytest.fixture(scope="session")
def vapid_keys():
    """A VAPID key pair (private, public) for the run."""
    from notify.push import generate_vapid_keys

    return generate_vapid_keys()


@pytest.fixture
def push_endpoint():
    """A local push service that decrypts payloads and answers as told."""
    from tests.push_endpoint import PushEndpoint

    endpoint = PushEndpoint()
    yield endpoint
    endpoint.stop()
