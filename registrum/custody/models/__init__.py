"""Accountability of copies: containers, numbered copies and their movements, transfers and
receipts, charge-outs, inventories, losses, regrading, retention holds and destruction.

One module per part, so each part's model stays beside its siblings' without one long file."""

from registrum.custody.models.copies import (
    CombinationChange,
    Container,
    ContainerKind,
    Copy,
    CopyEvent,
    CopyEventKind,
    CopyKind,
    CopyStatus,
    Notice,
)
from registrum.custody.models.destruction import Destruction, DestructionItem, DestructionSignature, DestructionState
from registrum.custody.models.inventories import Inventory, InventoryItem, InventoryScan, InventoryState, ScanOutcome
from registrum.custody.models.losses import LossKind, LossReport, LossState
from registrum.custody.models.movements import (
    ChargeOut,
    Transfer,
    TransferItem,
    TransferState,
    TransmittalSequence,
)
from registrum.custody.models.regrading import Regrade, RegradeKind
from registrum.custody.models.reproduction import ReproductionRequest, ReproductionState
from registrum.custody.models.retention import DispositionDecision, Hold

__all__ = [
    "ChargeOut",
    "CombinationChange",
    "Container",
    "ContainerKind",
    "Copy",
    "CopyEvent",
    "CopyEventKind",
    "CopyKind",
    "CopyStatus",
    "Destruction",
    "DestructionItem",
    "DestructionSignature",
    "DestructionState",
    "DispositionDecision",
    "Hold",
    "Inventory",
    "InventoryItem",
    "InventoryScan",
    "InventoryState",
    "LossKind",
    "LossReport",
    "LossState",
    "Notice",
    "Regrade",
    "RegradeKind",
    "ReproductionRequest",
    "ReproductionState",
    "ScanOutcome",
    "Transfer",
    "TransferItem",
    "TransferState",
    "TransmittalSequence",
]
