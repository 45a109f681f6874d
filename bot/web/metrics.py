"""Prometheus metrics for operators: questions by route, refusals, answer latency, and operational errors.
Off unless `BOT_METRICS=on`; with `BOT_METRICS_TOKEN` set, `/metrics` also needs `Authorization: Bearer <token>`.
Nothing a visitor typed is ever a label."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from bot.schema import Answer, Route

FAILURES = (Route.UNAVAILABLE, Route.TIMED_OUT)
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()  # one per app, so several apps in one process do not collide
        self.questions = Counter("bot_questions", "Questions answered, by route", ["route"], registry=self.registry)
        self.refusals = Counter("bot_refusals", "Questions the sources did not answer", registry=self.registry)
        self.errors = Counter("bot_errors", "Answers that failed: index unavailable or timed out", ["route"],
                              registry=self.registry)
        self.latency = Histogram("bot_answer_latency_seconds", "Time to answer one question",
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self.notices = Counter("bot_safety_notices", "Safety notices shown, by route", ["route"],
                               registry=self.registry)

    def observe(self, answer: Answer, seconds: float) -> None:
        route = Route(answer.route).value
        self.questions.labels(route).inc()
        for notice_route in answer.safety_routes:
            self.notices.labels(notice_route).inc()
        if answer.route in FAILURES:
            self.errors.labels(route).inc()
            return
        if answer.route == Route.REFUSED:
            self.refusals.inc()
        self.latency.observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
