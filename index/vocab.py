"""The fixed vocabularies of the content model (DESIGN.md). Slugs are part of the
contract; labels are what users see."""

from typing import Literal

Topic = Literal[
    "drowning",
    "violence",
    "traffic",
    "mental_health",
    "public_health",
    "campus_surroundings",
    "personal_safety",
    "home_holiday",
]
Audience = Literal["student", "parent", "teacher"]
Grade = Literal["preschool", "primary", "middle", "high", "college"]
Lang = Literal["zh", "en"]

TOPIC_LABELS: dict[str, dict[str, str]] = {
    "drowning": {"zh": "防溺水", "en": "Drowning"},
    "violence": {"zh": "暴力伤害、管制刀具与校园欺凌", "en": "Violence, knives and bullying"},
    "traffic": {"zh": "交通与校车、研学出行", "en": "Traffic, school buses and study trips"},
    "mental_health": {"zh": "心理健康与危机干预", "en": "Mental health and crisis help"},
    "public_health": {"zh": "传染病防控与食品卫生", "en": "Infectious disease and food safety"},
    "campus_surroundings": {
        "zh": "校园周边：诈骗、校园贷、网络游戏、不良场所",
        "en": "Around school: fraud, student loans, online games",
    },
    "personal_safety": {"zh": "防性侵、防拐骗", "en": "Sexual abuse and abduction"},
    "home_holiday": {
        "zh": "假期居家：消防、用电、燃气、烟花爆竹、自然灾害",
        "en": "Holidays at home: fire, electricity, gas, fireworks, disasters",
    },
}
TOPICS: tuple[str, ...] = tuple(TOPIC_LABELS)
AUDIENCES: tuple[str, ...] = ("student", "parent", "teacher")
GRADES: tuple[str, ...] = ("preschool", "primary", "middle", "high", "college")
LANGS: tuple[str, ...] = ("zh", "en")
