"""Prove the audit trail intact, sign its head, link what a crash left behind:

    registrum audit verify [--checkpoints FILE] [--public-key FILE]
        walk the chain, recompute every hash, check every signed checkpoint; exit 0 only when
        intact, 1 naming the first broken event (position, event id, what broke)
    registrum audit checkpoint
        link pending events and append a signed checkpoint of the head (also done automatically
        every 10,000 events or 10 minutes)
    registrum audit chain --stragglers
        link events left unlinked below the head (by a crash between commit and linking); run it
        only once `verify` has named them and they are known to be genuine

See registrum/audit/chain.py for what the chain covers and how.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registrum.audit import chain, checkpoints


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain and signed checkpoints; sign a checkpoint."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="walk the chain and the checkpoints; name the first broken event")
        verify.add_argument("--checkpoints", type=Path, help="checkpoint file (default: the site's)")
        verify.add_argument("--public-key", type=Path, help="Ed25519 public key, PEM (default: the site's)")
        verify.add_argument(
            "--jobs",
            type=int,
            default=min(2, os.cpu_count() or 1),
            help="processes walking parts of a long chain at once (default 2, or 1 on one core)",
        )
        sub.add_parser("checkpoint", help="sign the chain's head now")
        link = sub.add_parser("chain", help="link pending events")
        link.add_argument(
            "--stragglers", action="store_true", help="also events below the head that a crash left unlinked"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "verify":
                self._verify(options["checkpoints"], options["public_key"], options["jobs"])
            elif action == "checkpoint":
                signed = checkpoints.checkpoint_now()
                self.stdout.write(
                    f"checkpoint signed: position {signed.position}, hash {signed.hash}, "
                    f"written to {checkpoints.checkpoints_path()}"
                )
            else:
                linked = chain.chain_pending(stragglers=options["stragglers"])
                self.stdout.write(f"{linked} event(s) linked; the chain ends at position {chain.head().position}")
        except (checkpoints.SigningKeyError, ValueError) as exc:
            raise CommandError(str(exc)) from None

    def _verify(self, checkpoint_file: Path | None, public_key: Path | None, jobs: int) -> None:
        verdict = checkpoints.verify(checkpoints=checkpoint_file, public_key=public_key, jobs=max(1, jobs))
        walked = verdict.walk
        self.stdout.write(
            f"{walked.checked:,} event(s) checked in {walked.seconds:.2f} s ({walked.per_s:,.0f} events/s)"
        )
        if verdict.broken is not None:
            raise CommandError(f"audit trail BROKEN at {verdict.broken}", returncode=1)
        newest = verdict.newest_checkpoint
        self.stdout.write(
            f"{verdict.checkpoints} signed checkpoint(s) verified"
            + (f", the newest at position {newest.position} ({newest.at})" if newest else "")
        )
        if verdict.note:
            self.stdout.write(verdict.note)
        if walked.unlinked_above:
            self.stdout.write(f"{walked.unlinked_above} event(s) committed after the head, not linked yet")
        self.stdout.write(f"audit trail intact: positions 1 to {walked.length}")
