"""The safety gate: crisis, emergency, interaction, dosing and treatment notices, shown before any answer.

    from bot.safety import check_message
    check_message("took 30 baclofen pills what happens").routes   # ("emergency",)

Layers: patterns.yaml (fast, settles the clear cases), then a semantic classifier over a multilingual
embedding (semantic.py, fitted by `python -m bot.safety.fit`). Notices in English and Spanish (notices.py).
"""
from bot.safety.gate import URGENT, SafetyCheck, SafetyGate, check_message, default_gate
from bot.safety.notices import notice

__all__ = ["URGENT", "SafetyCheck", "SafetyGate", "check_message", "default_gate", "notice"]
