"""Receivers by kind; `build_receiver` turns a routing-file entry into one."""

from __future__ import annotations

from alerts.dispatch.receivers.base import DeliveryError, PermanentError, Receiver, RetryableError
from alerts.dispatch.receivers.pagerduty import PagerDutyReceiver
from alerts.dispatch.receivers.smtp import SmtpReceiver
from alerts.dispatch.receivers.webhook import WebhookReceiver
from alerts.dispatch.routing import PagerDutyReceiverConfig, ReceiverConfig, SmtpReceiverConfig

__all__ = [
    "DeliveryError",
    "PagerDutyReceiver",
    "PermanentError",
    "Receiver",
    "RetryableError",
    "SmtpReceiver",
    "WebhookReceiver",
    "build_receiver",
]


def build_receiver(name: str, config: ReceiverConfig) -> Receiver:
    if isinstance(config, SmtpReceiverConfig):
        return SmtpReceiver(name, config)
    if isinstance(config, PagerDutyReceiverConfig):
        return PagerDutyReceiver(name, config)
    return WebhookReceiver(name, config)
