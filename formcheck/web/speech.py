"""Spoken cues: which cue to say when (a cooldown), and the tiny browser script that says it.

Speech happens in the browser (``speechSynthesis``), so no audio leaves or enters the server.
It is off by default; the page turns it on only when the user ticks the box.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field

from formcheck.engine.session import SETTLING_CUE

#: Cue kinds that are spoken ("good" is said once per change, like the others).
SPOKEN_KINDS = ("fault", "setup", "good")


@dataclass
class SpeechCooldown:
    """Decides whether a cue should be spoken now.

    A cue is spoken when it differs from the last one spoken, the same text was not spoken in
    the last ``repeat_s`` seconds, and nothing at all was spoken in the last ``gap_s``. The short
    settling moment's "Hold the pose…" is shown, never spoken: it lasts about a second, and a
    voice still saying it would talk over the first real cue.

    Attributes:
        repeat_s: the same text is not repeated within this many seconds.
        gap_s: at least this long between any two utterances, in seconds.
    """

    repeat_s: float = 8.0
    gap_s: float = 2.5
    _last_text: str = ""
    _last_any: float = float("-inf")
    _spoken_at: dict[str, float] = field(default_factory=dict)

    def should_speak(self, text: str, kind: str, now_s: float) -> bool:
        """Return True (and remember it) when ``text`` should be spoken at ``now_s``."""
        if not text or kind not in SPOKEN_KINDS or text == SETTLING_CUE.text:
            return False
        if text == self._last_text:
            return False
        if now_s - self._last_any < self.gap_s:
            return False
        if now_s - self._spoken_at.get(text, float("-inf")) < self.repeat_s:
            return False
        self._last_text = text
        self._last_any = now_s
        self._spoken_at[text] = now_s
        return True

    def reset(self) -> None:
        """Forget what was said."""
        self._last_text = ""
        self._last_any = float("-inf")
        self._spoken_at.clear()


def speech_html(text: str, uid: str, rate: float = 1.0) -> str:
    """A small HTML/JS snippet that speaks ``text`` once with the browser's speech synthesis.

    It uses the page's own ``speechSynthesis`` (the component iframe shares the page's origin,
    and the page holds the user's click that Chrome requires for speech), cancels anything
    still being said, and does nothing where speech synthesis is missing.

    Args:
        text: what to say.
        uid: a unique id per utterance so the snippet (and so the speech) is not reused.
        rate: speaking rate (1 = normal).
    """
    # Escape <, > and & so that no text can close the script element.
    payload = json.dumps({"text": text, "rate": rate}).replace("<", "\\u003c").replace(">", "\\u003e")
    payload = payload.replace("&", "\\u0026")
    return (
        f"<div id='fc-say' data-uid='{html.escape(uid)}'></div><script>(function(){{"
        f"var d={payload};var w=window;try{{if(window.parent&&window.parent.speechSynthesis)w=window.parent;}}"
        "catch(e){}if(!w.speechSynthesis){return;}"
        "var u=new w.SpeechSynthesisUtterance(d.text);u.rate=d.rate;"
        "w.speechSynthesis.cancel();w.speechSynthesis.speak(u);})();</script>"
    )
