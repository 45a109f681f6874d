"""The safety gate that runs before retrieval: which notices a message needs, in the visitor's language.

Two layers, cheapest first:
1. patterns (patterns.yaml) over the folded message. A message that the patterns settle as both a crisis and
   an emergency is decided here: the semantic layer is not run, and nothing is embedded for it. One settled
   as only one of them still goes on, since "i took the whole bottle so i wont wake up" needs 988 as well
   as 911 (urgent messages are rare, so this costs ordinary questions nothing);
2. a semantic layer (semantic.py): a multilingual embedding of the message scored by one classifier per
   route, fitted on example messages. It catches what the patterns miss (indirect wording, third person,
   slang, Spanish) and decides the words that only suggest a route ("overdose" in "what happens in an
   overdose?" versus "i think i overdosed").

A notice never suppresses a grounded answer ("i've had suicidal thoughts since starting baclofen, is that a
side effect?" gets 988 and the cited answer). When the layers disagree about an urgent route, the notice is
shown: a false alarm costs a line above a normal answer; a miss can cost a life.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from bot.safety.language import detect_language
from bot.safety.normalize import fold
from bot.safety.notices import notice
from bot.safety.patterns import SafetyPattern, Strength, default_patterns, match_routes, respelled
from bot.safety.semantic import CLASSIFIER_FILE, SemanticClassifier, features_of_parts, message_features, parts_of

log = logging.getLogger("bot.safety")

ROUTE_ORDER = ("emergency", "crisis", "interaction", "dosing", "treatment")  # most urgent first: act now, then talk
URGENT = frozenset({"crisis", "emergency"})
# A route that another one makes likelier: in a message read as a crisis, even a faint sign of an emergency
# counts ("ya no quiero vivir, me tome el frasco"), as it does when overdose words suggest one.
SUGGESTED_BY = {"emergency": "crisis"}
DECIDING_ORDER = ("crisis", "emergency", "interaction", "dosing", "treatment")  # a route before those it suggests
PERSONAL_CARE = frozenset({"interaction", "dosing"})  # set aside when the patterns settle an urgent route


@dataclass(frozen=True)
class SafetyCheck:
    route: str = "answer"  # the most urgent route shown, or "answer"
    notices: tuple[str, ...] = field(default_factory=tuple)
    routes: tuple[str, ...] = ()  # every route whose notice is shown, most urgent first
    language: str = "en"
    layer: str = "none"  # "patterns" (settled without the semantic layer), "semantic", or "none"
    probabilities: dict[str, float] = field(default_factory=dict, compare=False)
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)  # the multilingual embedding

    @property
    def urgent(self) -> bool:
        return self.route in URGENT


class SafetyGate:
    def __init__(self, patterns: tuple[SafetyPattern, ...] | None = None,
                 classifier: SemanticClassifier | None = None,
                 encode: Callable[[str], tuple[np.ndarray, np.ndarray]] | None = None):
        self.patterns = patterns if patterns is not None else default_patterns()
        self._classifier = classifier
        self._encode = encode
        self._lock = threading.Lock()

    @property
    def classifier(self) -> SemanticClassifier:
        if self._classifier is None:
            with self._lock:
                if self._classifier is None:
                    self._classifier = SemanticClassifier.load(CLASSIFIER_FILE)
        return self._classifier

    @property
    def reads_multilingual_vectors(self) -> bool:
        """True when messages are encoded with the bundled models (multilingual-e5 among them)."""
        return self._encode is None

    def encode(self, text: str, minilm_vector: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(classifier features, multilingual vector) of a message."""
        if self._encode is not None:
            return self._encode(text)
        return message_features(text, minilm_vector)

    def encode_parts(self, parts: list[str]) -> list[np.ndarray]:
        if not parts:
            return []
        if self._encode is not None:
            return [self._encode(part)[0] for part in parts]
        return list(features_of_parts(parts))

    def check(self, message: str, minilm_vector: np.ndarray | None = None) -> SafetyCheck:
        """The routes a message needs. `minilm_vector` may carry the message's MiniLM embedding when the
        caller has it already; the embeddings are computed only when the patterns leave the message open."""
        folded = fold(message)
        language = detect_language(message)
        hits = match_routes(folded, self.patterns)
        if all(hits.get(route) is Strength.SETTLES for route in URGENT):
            return self._result(set(hits), language, "patterns", certain=True)
        reading = respelled(message, self.patterns)  # the typos the patterns know, spelled out for the embeddings
        features, vector = self.encode(reading, minilm_vector if reading == message else None)
        parts = self.encode_parts(parts_of(reading))  # a long message: its parts too
        probabilities = self.classifier.message_probabilities(features, parts, len(message.split()))
        routes = {route for route in hits if hits[route] is Strength.SETTLES}
        certain = bool(routes & URGENT)
        for route in DECIDING_ORDER:
            model = self.classifier.routes[route]
            suggested = hits.get(route) is Strength.SUGGESTS or SUGGESTED_BY.get(route) in routes
            if probabilities[route] >= (model.lenient if suggested else model.strict):
                routes.add(route)
        return self._result(routes, language, "semantic", probabilities, vector, certain)

    @staticmethod
    def _result(routes: set[str], language: str, layer: str, probabilities=None, vector=None,
                certain: bool = False) -> SafetyCheck:
        if certain:
            # An emergency or crisis that the patterns name outright: the notice to act now is not diluted by
            # "ask your pharmacist". When only the classifier raised it, it may be a careful question read as
            # urgent ("does baclofen mix badly with sertraline?"), so the care notice stays, below it.
            routes -= PERSONAL_CARE
        shown = tuple(r for r in ROUTE_ORDER if r in routes)
        return SafetyCheck(route=shown[0] if shown else "answer", notices=tuple(notice(r, language) for r in shown),
                           routes=shown, language=language, layer=layer if shown or layer == "semantic" else "none",
                           probabilities=probabilities or {}, vector=vector)


_default: SafetyGate | None = None
_default_lock = threading.Lock()


def default_gate() -> SafetyGate:
    global _default
    with _default_lock:
        if _default is None:
            _default = SafetyGate()
        return _default


def check_message(message: str) -> SafetyCheck:
    """The default gate's verdict on one message."""
    return default_gate().check(message)
