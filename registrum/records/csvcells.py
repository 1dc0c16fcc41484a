"""Spreadsheet formula injection: the rule lives on the ground floor (`registrum.csvcells`), where
every export (the register's, the audit trail's) finds it."""

from registrum.csvcells import neutralise, restore

__all__ = ["neutralise", "restore"]
