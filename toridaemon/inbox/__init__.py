"""The inbox: watcher thread, stability gate, ignore rules and scans."""

from toridaemon.inbox.gate import EventKind, StabilityGate, Verdict
from toridaemon.inbox.inbox import Inbox
from toridaemon.inbox.rules import is_candidate, is_ignored
from toridaemon.inbox.watcher import Watcher

__all__ = ["EventKind", "Inbox", "StabilityGate", "Verdict", "Watcher", "is_candidate", "is_ignored"]
