"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, and sign-in helpers."""

from __future__ import annotations

import email
import queue
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import Client

LOGIN = "/accounts/login/"


@dataclass
class Mailbox:
    received: queue.Queue[Message] = field(default_factory=queue.Queue)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.put(email.message_from_bytes(envelope.content))
        return "250 OK"

    def next_message(self, timeout: float = 10.0) -> Message:
        """The next message to arrive (the sender is a background thread: waited for, not raced)."""
        return self.received.get(timeout=timeout)

    def empty(self) -> bool:
        return self.received.empty()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def mailbox(settings) -> Iterator[Mailbox]:
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    # The real SMTP backend (Django's test set-up swaps in an in-memory one).
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.DEFAULT_FROM_EMAIL = "registrum@hq.example"
    try:
        yield box
    finally:
        controller.stop()


def code_in(message: Message) -> str:
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    found = re.search(rb"\b(\d{8})\b", body)
    assert found, body
    return found.group(1).decode()


@pytest.fixture
def second_factor_from_nc(settings) -> None:
    """The site's default: a second factor from NATO CONFIDENTIAL clearance up."""
    settings.REGISTRUM_OTP_REQUIRED_FROM_LEVEL = "NATO CONFIDENTIAL"


def sign_in(client: Client, username: str, password: str, address: str = "10.0.0.1", **extra: str) -> Any:
    return client.post(LOGIN, {"username": username, "password": password, **extra}, REMOTE_ADDR=address)
