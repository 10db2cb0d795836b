"""Web Push through pywebpush to a local push service that decrypts the payload."""

from notify.push import generate_vapid_keys, payload, send_push

MESSAGE = payload("새 민원 261128-0000042", "역삼1동 가로등 고장",
                  "/staff/complaints/261128-0000042", "complaint-261128-0000042")


def test_payload_arrives_decrypted_with_vapid(push_endpoint, vapid_keys):
    result = send_push(push_endpoint.subscription(), MESSAGE, vapid_private_key=vapid_keys[0],
                       vapid_subject="mailto:ops@dasan.invalid", timeout=5)
    assert result.ok and result.status == 201
    assert push_endpoint.received == [MESSAGE]
    assert set(MESSAGE) == {"title", "body", "url", "tag"}
    headers = {k.lower(): v for k, v in push_endpoint.headers[0].items()}
    authorization = headers["authorization"]
    assert authorization.startswith("vapid t=") and vapid_keys[1] in authorization


def test_gone_subscription(push_endpoint, vapid_keys):
    push_endpoint.mode = 410
    result = send_push(push_endpoint.subscription(), MESSAGE, vapid_private_key=vapid_keys[0],
                       vapid_subject="mailto:ops@dasan.invalid", timeout=5)
    assert result.gone and not result.temporary and result.status == 410


def test_timeout_is_temporary(push_endpoint, vapid_keys):
    push_endpoint.mode = "timeout"
    result = send_push(push_endpoint.subscription(), MESSAGE, vapid_private_key=vapid_keys[0],
                       vapid_subject="mailto:ops@dasan.invalid", timeout=0.5)
    assert not result.ok and result.temporary


def test_server_error_is_temporary(push_endpoint, vapid_keys):
    push_endpoint.mode = 503
    result = send_push(push_endpoint.subscription(), MESSAGE, vapid_private_key=vapid_keys[0],
                       vapid_subject="mailto:ops@dasan.invalid", timeout=5)
    assert result.temporary and result.status == 503


def test_broken_subscription_keys_are_gone(push_endpoint, vapid_keys):
    subscription = push_endpoint.subscription()
    subscription["keys"]["p256dh"] = "not-a-key"
    result = send_push(subscription, MESSAGE, vapid_private_key=vapid_keys[0],
                       vapid_subject="mailto:ops@dasan.invalid", timeout=5)
    assert result.gone and not result.ok


def test_generated_keys_are_base64url():
    private, public = generate_vapid_keys()
    assert len(private) == 43 and len(public) == 87
