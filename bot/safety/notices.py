"""What the visitor reads first: the notice for each safety route, in English and Spanish.

The resources are US services that serve Spanish speakers: 988 (press 2 on a call, or text AYUDA), Poison
Control (interpreters on every call) and the SAMHSA National Helpline (English and Spanish).
"""
from __future__ import annotations

LANGUAGES = ("en", "es")

NOTICES: dict[str, dict[str, str]] = {
    "crisis": {
        "en": "If you are thinking about suicide or hurting yourself, or you are worried about someone who is, "
              "please reach out now: call or text 988 (Suicide & Crisis Lifeline, 24/7, free and confidential). "
              "If someone is in immediate danger, call 911.",
        "es": "Si está pensando en el suicidio o en hacerse daño, o le preocupa alguien que lo esté, busque ayuda "
              "ahora: llame o envíe un mensaje de texto al 988 (988 Línea de Prevención del Suicidio y Crisis, "
              "gratis, confidencial, las 24 horas). Hay atención en español: al llamar, marque 2; por mensaje de "
              "texto, escriba AYUDA al 988. Si alguien está en peligro inmediato, llame al 911.",
    },
    "emergency": {
        "en": "This may be a medical emergency: call 911 now. For a possible overdose or poisoning you can also "
              "call Poison Control at 1-800-222-1222 (24/7). Do not wait for an answer from this chat.",
        "es": "Esto puede ser una emergencia médica: llame al 911 ahora. Si alguien tomó demasiadas pastillas o "
              "pudo haberse intoxicado, también puede llamar a Poison Control (Centro de Toxicología) al "
              "1-800-222-1222, las 24 horas, con atención en español. No espere una respuesta de este chat.",
    },
    "dosing": {
        "en": "I can't advise on your own dose. Please talk to your prescriber before you start, change or stop "
              "baclofen. Here is what the sources say:",
        "es": "No puedo aconsejarle sobre su propia dosis. Hable con el médico que se lo recetó antes de empezar, "
              "cambiar o dejar el baclofeno. Esto es lo que dicen las fuentes:",
    },
    "interaction": {
        "en": "Whether baclofen is safe to combine with alcohol or another drug depends on you and the doses, "
              "so please ask your prescriber or a pharmacist before mixing them.",
        "es": "Si es seguro combinar el baclofeno con alcohol u otro medicamento depende de cada persona y de las "
              "dosis; pregunte a su médico o a un farmacéutico antes de mezclarlos.",
    },
    "treatment": {
        "en": "To find treatment, the SAMHSA National Helpline is free, confidential and open 24/7: "
              "1-800-662-4357.",
        "es": "Para encontrar tratamiento, la Línea Nacional de Ayuda de SAMHSA es gratuita, confidencial y "
              "atiende las 24 horas, en inglés y en español: 1-800-662-4357.",
    },
}

REFUSAL = {
    "en": "I couldn't find an answer to that in my sources, so I won't guess. I can answer questions about "
          "baclofen: what it is used for and how it works, its side effects and addiction potential, and the "
          "research on baclofen for alcohol, opioid and cocaine addiction.",
    "es": "No encontré una respuesta a eso en mis fuentes, así que no voy a adivinar. Mis fuentes están en inglés "
          "y puedo responder sobre el baclofeno: para qué se usa y cómo actúa, sus efectos secundarios, su "
          "potencial de adicción y la investigación sobre el baclofeno para la adicción al alcohol, los opioides "
          "y la cocaína. Si necesita ayuda ahora: en una crisis, llame o escriba al 988 (marque 2 para español); "
          "en una emergencia, llame al 911; para encontrar tratamiento, llame al 1-800-662-4357 (SAMHSA, en "
          "español).",
}
NO_COMBINATION_EVIDENCE = {
    "en": "My sources do not discuss taking baclofen together with that, so I can't say more.",
    "es": "Mis fuentes no hablan de tomar el baclofeno junto con eso, así que no puedo decir más.",
}
SOURCES_IN_ENGLISH = {
    "en": "",
    "es": "Las fuentes están en inglés: estas citas se muestran tal como aparecen en ellas.",
}
DISCLAIMER = {
    "en": "Educational information from the cited sources, not medical advice.",
    "es": "Información educativa de las fuentes citadas; no es consejo médico.",
}


def notice(route: str, language: str) -> str:
    by_language = NOTICES[route]
    return by_language.get(language, by_language["en"])


def localized(table: dict[str, str], language: str) -> str:
    return table.get(language, table["en"])
