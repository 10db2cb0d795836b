"""Settings, CLI commands and retry policy of the notification part."""

import pytest

from dispatch.cli import main as cli_main
from dispatch.settings import Settings, SettingsError

BASE = {"DASAN_DATABASE_URL": "postgresql://x/y", "DASAN_SECRET_KEY": "s" * 20}


@pytest.mark.parametrize(("key", "value"), [
    ("DASAN_QUIET_HOURS", "late-early"), ("DASAN_QUIET_HOURS", "22:00"),
    ("DASAN_QUIET_HOURS", "08:00-08:00"),
    ("DASAN_SMS_BACKEND", "carrier-pigeon"), ("DASAN_SMS_MAX_PARTS", "0")])
def test_bad_notification_settings_are_named(key, value):
    with pytest.raises(SettingsError, match=key):
        Settings.from_env({**BASE, key: value})


def test_derived_gateway_secrets_are_stable_and_distinct():
    settings = Settings.from_env(BASE)
    assert settings.kannel_password_value == Settings.from_env(BASE).kannel_password_value
    assert settings.kannel_password_value != settings.sms_mo_secret_value
    explicit = Settings.from_env({**BASE, "DASAN_SMS_MO_SECRET": "given-secret"})
    assert explicit.sms_mo_secret_value == "given-secret"


def test_vapid_keys_command(capsys):
    assert cli_main(["vapid-keys"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("=", 1)[0] for line in lines] == [
        "DASAN_VAPID_PRIVATE_KEY", "DASAN_VAPID_PUBLIC_KEY"]


def test_kannel_config_command(tmp_path, monkeypatch, capsys):
    for key, value in {**BASE, "DASAN_SMS_CALLBACK_URL": "http://127.0.0.1:8123"}.items():
        monkeypatch.setenv(key, value)
    assert cli_main(["kannel-config", "--dir", str(tmp_path)]) == 0
    conf = (tmp_path / "kannel.conf").read_text()
    secret = Settings.from_env().sms_mo_secret_value
    assert f'get-url = "http://127.0.0.1:8123/api/v1/sms/incoming?secret={secret}' in conf
    assert "sendsms-port = 13013" in conf and "max-messages = 0" in conf
    assert (tmp_path / "dlr-spool").is_dir()



def test_kannel_config_keeps_the_operators_smsc_file(tmp_path, monkeypatch):
    for key, value in BASE.items():
        monkeypatch.setenv(key, value)
    assert cli_main(["kannel-config", "--dir", str(tmp_path)]) == 0
    smsc = tmp_path / "smsc.conf"
    assert "smsc = fake" in smsc.read_text()
    carrier = "group = smsc\nsmsc = smpp\nsmsc-id = carrier\nhost = smpp.carrier.example\n"
    smsc.write_text(carrier)
    monkeypatch.setenv("DASAN_KANNEL_PASSWORD", "a-changed-password")
    assert cli_main(["kannel-config", "--dir", str(tmp_path)]) == 0
    assert smsc.read_text() == carrier
    conf = (tmp_path / "kannel.conf").read_text()
    assert f'include = "{smsc}"' in conf and "smsc = fake" not in conf
    assert "password = a-changed-password" in conf
