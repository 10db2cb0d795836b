"""Sending a text: the ``SmsGateway`` interface, Kannel's smsbox and a log-only backend.

Leaf library: plain values in, a ``SendResult`` out; no database, no settings, no retries
(the outbox decides what to do with a temporary failure).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Protocol

import requests

from notify.phones import mask_phone
from notify.sms_parts import count_parts, fit_text, is_gsm7

# count_parts and fit_text live in notify.sms_parts; callers keep importing them from here.
__all__ = ["KannelGateway", "LogGateway", "SendResult", "SmsGateway", "count_parts", "fit_text",
           "without_link_tokens"]

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class SendResult:
    """What the gateway said: accepted, or a failure that is ``temporary`` (retry) or not.

    ``gateway_fault``: the gateway itself failed (unreachable, 5xx, credentials, throttling),
    so the failure says nothing about this message; the outbox waits for the gateway
    instead of counting it as one of the message's attempts.
    """

    accepted: bool
    temporary: bool = False
    gateway_fault: bool = False
    error: str | None = None
    provider_id: str | None = None
    parts: int = 1


class SmsGateway(Protocol):
    """Anything that can hand a text to a carrier (Kannel today, a cloud SMS API later)."""

    name: str

    def send(self, *, to: str, text: str, sender: str, reference: str,
             report_url: str | None) -> SendResult:
        """Hand over one text; ``reference`` is our id, ``report_url`` our DLR callback."""
        ...


# The reporter's status link carries their token (``…/status/<id>?t=<hex>``): whoever reads
# it can cancel, reopen or rate as the reporter.
_LINK_TOKEN = re.compile(r"([?&]t=)[0-9A-Za-z_-]+")


def without_link_tokens(text: str) -> str:
    """Return ``text`` with status-link tokens replaced by ``…`` (for staff eyes and logs)."""
    return _LINK_TOKEN.sub(r"\1…", text)


class LogGateway:
    """Accept every text and only log it: the default when no gateway is configured."""

    name = "log"

    def send(self, *, to: str, text: str, sender: str, reference: str,
             report_url: str | None) -> SendResult:
        """Log the text and report it accepted."""
        # Phone numbers and texts are personal data: INFO names the masked number only;
        # the text (tokens hidden) is for DEBUG, when someone is looking at a problem.
        log.info("sms (log backend) %s -> %s [%s], %d part(s)", sender, mask_phone(to),
                 reference, count_parts(text))
        log.debug("sms (log backend) [%s]: %s", reference, without_link_tokens(text))
        return SendResult(accepted=True, provider_id=f"log-{reference}",
                          parts=count_parts(text))


class KannelGateway:
    """Kannel smsbox ``/cgi-bin/sendsms`` (GSM-7 or UCS-2), delivery reports, our id in the DLR."""

    name = "kannel"
    # 1 delivered, 2 undelivered, 4 buffered, 8 SMSC accepted, 16 SMSC rejected
    DLR_MASK = 31

    def __init__(self, url: str, username: str, password: str, *, timeout: float = 10.0,
                 http: requests.Session | None = None, smsc: str | None = None) -> None:
        self.url = url
        self.smsc = smsc  # Kannel smsc-id to route through (None: Kannel's routing)
        self.username = username
        self.password = password
        self.timeout = timeout
        self.http = http or requests.Session()

    def send(self, *, to: str, text: str, sender: str, reference: str,
             report_url: str | None) -> SendResult:
        """Send through smsbox; 202 means Kannel stored it (sent now or queued for the SMSC)."""
        params = {
            "username": self.username, "password": self.password,
            "from": sender, "to": to, "text": text,
            # GSM-7 (coding=0) when the text allows it: 160 characters a part instead of 70,
            # and the carrier bills per part. Otherwise UCS-2: without coding=2 Kannel
            # answers 202 and delivers '???'. Either way Kannel converts from UTF-8.
            "coding": "0" if is_gsm7(text) else "2", "charset": "UTF-8",
        }
        if self.smsc:
            params["smsc"] = self.smsc
        if report_url:
            params["dlr-mask"] = str(self.DLR_MASK)
            params["dlr-url"] = report_url
        try:
            response = self.http.get(self.url, params=params, timeout=self.timeout)
        except requests.RequestException as exc:
            # No answer: the outcome is unknown; Kannel down is the usual cause. Retry.
            return SendResult(accepted=False, temporary=True, gateway_fault=True,
                              error=f"gateway unreachable: {exc.__class__.__name__}")
        body = response.text.strip()[:200]
        if response.status_code == 202:
            return SendResult(accepted=True, provider_id=f"kannel-{reference}",
                              parts=count_parts(text))
        # 503 (bearerbox gone), 5xx, 403 (credentials being rotated) and 429 are the
        # gateway's trouble and may heal by themselves; a 4xx about the message will not.
        gateway_fault = response.status_code >= 500 or response.status_code in (401, 403, 429)
        return SendResult(accepted=False, temporary=gateway_fault, gateway_fault=gateway_fault,
                          error=f"gateway answered {response.status_code}: {body}")
