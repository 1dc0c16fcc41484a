"""Every kind of audit event, as one enumeration: writers name a member, auditors filter by it,
and a value nobody declared cannot be written (`registrum.audit.record` checks)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    # Accounts: sign-in and credentials
    LOGIN = "accounts.login", _("signed in")
    LOGIN_FAILED = "accounts.login_failed", _("sign-in failed")
    LOGOUT = "accounts.logout", _("signed out")
    LOCKED_OUT = "accounts.locked_out", _("locked out after repeated failures")
    SESSIONS_ENDED = "accounts.sessions_ended", _("signed out everywhere")
    PASSWORD_CHANGED = "accounts.password_changed", _("password changed")
    PASSWORD_RESET_REQUESTED = "accounts.password_reset_requested", _("password reset code requested")
    PASSWORD_RESET_COMPLETED = "accounts.password_reset_completed", _("password reset with a code")
    PASSWORD_RESET_FAILED = "accounts.password_reset_failed", _("password reset code refused")
    OTP_ENROLLED = "accounts.otp_enrolled", _("second factor enrolled")
    OTP_FAILED = "accounts.otp_failed", _("second factor refused")
    OTP_RECOVERY_USED = "accounts.otp_recovery_used", _("recovery code used")
    OTP_RESET = "accounts.otp_reset", _("second factor reset")
    TOKEN_ISSUED = "accounts.token_issued", _("API token issued")
    TOKEN_REVOKED = "accounts.token_revoked", _("API token revoked")

    # Organisation and administration
    UNIT_CREATED = "org.unit_created", _("unit created")
    UNIT_MOVED = "org.unit_moved", _("unit moved")
    UNIT_CHANGED = "org.unit_changed", _("unit changed")
    PERSON_CREATED = "org.person_created", _("person created")
    PERSON_CHANGED = "org.person_changed", _("person changed")
    PERSON_DEACTIVATED = "org.person_deactivated", _("person deactivated")
    PERSON_REACTIVATED = "org.person_reactivated", _("person reactivated")
    ROLES_CHANGED = "org.roles_changed", _("roles changed")
    CLEARANCE_SET = "org.clearance_set", _("clearance recorded")
    CLEARANCE_REQUESTED = "org.clearance_requested", _("clearance awaiting confirmation")
    CLEARANCE_CONFIRMED = "org.clearance_confirmed", _("clearance confirmed by a second person")
    CLEARANCE_REJECTED = "org.clearance_rejected", _("clearance rejected by a second person")
    REGISTRY_CREATED = "org.registry_created", _("registry created")
    REGISTRY_CHANGED = "org.registry_changed", _("registry changed")
    REGISTRY_STAFF_ADDED = "org.registry_staff_added", _("registry staff added")
    REGISTRY_STAFF_REMOVED = "org.registry_staff_removed", _("registry staff removed")

    # The register
    DOCUMENT_REGISTERED = "records.document_registered", _("document registered")
    RECEIPT_REGISTERED = "records.receipt_registered", _("receipt registered")
    REGISTRATION_CORRECTED = "records.registration_corrected", _("registration corrected")
    REGISTRATION_VOIDED = "records.registration_voided", _("registration voided")
    VERSION_ADDED = "records.version_added", _("version added")
    VERSION_DOWNLOADED = "records.version_downloaded", _("version downloaded")
    VERSION_VIEWED = "records.version_viewed", _("content read")
    DOCUMENT_PRINTED = "records.document_printed", _("document printed")
    ACCESS_GRANTED = "records.access_granted", _("need-to-know granted")
    ACCESS_REVOKED = "records.access_revoked", _("need-to-know revoked")
    ACCESS_REFUSED = "records.access_refused", _("access refused")
    IMPORT_COMPLETED = "records.import_completed", _("import completed")
    REGISTER_EXPORTED = "records.register_exported", _("register exported")
    AUDIT_EXPORTED = "audit.exported", _("audit trail exported")

    # Operations
    STORAGE_REPAIRED = "storage.repaired", _("content storage repaired")
    KEYS_ROTATED = "storage.keys_rotated", _("encryption keys rotated")
    CONTENT_SEALED = "storage.content_sealed", _("plain content encrypted")
    AUDIT_CHECKPOINT = "audit.checkpoint", _("audit chain checkpoint signed")
