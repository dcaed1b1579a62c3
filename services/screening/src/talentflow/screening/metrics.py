"""What a rule may look at: the metrics of a result, minus the ones the law puts off limits."""

from __future__ import annotations

from collections.abc import Mapping

OVERALL = "overall"

# EU AI Act Art. 5(1)(f): no emotion inference in recruitment. Facial and voice metrics (and
# anything derived from them) may never be used in a screening rule or requirement profile.
PROHIBITED_METRICS = frozenset(
    {
        "smile_count",
        "smile_frequency",
        "smile_ratio",
        "eye_contact",
        "eye_contact_frequency",
        "eye_contact_ratio",
        "eye_contact_score",
        "gaze",
        "gaze_aversion",
        "facial_expression",
        "facial_expressions",
        "micro_expressions",
        "emotion",
        "emotions",
        "emotion_score",
        "emotional_state",
        "voice_tone",
        "voice_pitch",
        "voice_stress",
        "vocal_stress",
        "tone_of_voice",
        "nervousness",
        "anxiety",
        "happiness",
        "enthusiasm_detected",
    }
)
PROHIBITED_PREFIXES = (
    "smile_",
    "eye_contact_",
    "gaze_",
    "facial_",
    "face_",
    "emotion_",
    "micro_expression",
    "voice_",
    "vocal_",
)


def is_prohibited_metric(name: str) -> bool:
    """True for facial, voice and emotion metrics that screening must never use."""
    lowered = name.lower()
    return lowered in PROHIBITED_METRICS or lowered.startswith(PROHIBITED_PREFIXES)


def result_metrics(
    *, competencies: Mapping[str, float], counts: Mapping[str, int], overall: float | None
) -> dict[str, float]:
    """The metrics a rule sees: counts, competencies (winning a name clash) and `overall`.

    Names are lower-cased; prohibited metrics are left out even if a producer sent them.
    """
    metrics: dict[str, float] = {name.lower(): float(v) for name, v in counts.items()}
    metrics.update({name.lower(): float(v) for name, v in competencies.items()})
    metrics.pop(OVERALL, None)
    if overall is not None:
        metrics[OVERALL] = float(overall)
    return {name: v for name, v in metrics.items() if not is_prohibited_metric(name)}
