"""Fixtures the API tests share."""

import pytest

from dispatch.citizens import citizen_token


@pytest.fixture
def complaint(create_complaint):
    """One filed complaint."""
    return create_complaint()


@pytest.fixture
def reporter(complaint, settings) -> dict:
    """The headers of that complaint's reporter (their citizen token)."""
    return {"X-Citizen-Token": citizen_token(settings.secret_key, complaint.public_id)}
