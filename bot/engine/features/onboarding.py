"""Onboarding and settings: /start (what the bot is and is not, the hotlines, then role
and school stage by buttons), /help, /about, /settings, /forget."""

from typing import ClassVar

from bot.engine.callbacks import Press, encode
from bot.engine.contract import Button, Reply
from bot.engine.features.base import DEFAULT_ROLE, ButtonHandler, CommandHandler, Context, Feature
from bot.store.records import Profile
from bot.texts import label, text
from index.vocab import AUDIENCES, GRADES, LANGS


class Onboarding(Feature):
    def _start(self, ctx: Context, args: str) -> list[Reply]:
        self.store.save_profile(ctx.profile)
        lines = self._hotline_lines(ctx.lang, ("police", "ambulance", "fire", "mental_health"))
        return [Reply(text("greeting", ctx.lang, hotlines=lines), self._choices("role", AUDIENCES, ctx.lang))]

    def _help(self, ctx: Context, args: str = "") -> list[Reply]:
        return [Reply(text("help", ctx.lang))]

    def _about(self, ctx: Context, args: str) -> list[Reply]:
        return [Reply(text("about", ctx.lang))]

    def _settings(self, ctx: Context, args: str) -> list[Reply]:
        p = ctx.profile
        buttons = (
            (
                Button(text("btn_role", ctx.lang), encode("set", "role")),
                Button(text("btn_grade", ctx.lang), encode("set", "grade")),
                Button(text("btn_lang", ctx.lang), encode("set", "lang")),
            ),
        )
        return [
            Reply(text("settings", ctx.lang, role=label(p.role, ctx.lang), grade=label(p.grade, ctx.lang)), buttons)
        ]

    def _forget(self, ctx: Context, args: str) -> list[Reply]:
        return [
            Reply(
                text("forget_confirm", ctx.lang),
                (
                    (
                        Button(text("btn_yes_forget", ctx.lang), encode("forget", "yes")),
                        Button(text("btn_cancel", ctx.lang), encode("forget", "no")),
                    ),
                ),
            )
        ]

    # -- buttons -------------------------------------------------------------------------

    def _on_role(self, ctx: Context, press: Press) -> list[Reply]:
        p, role = ctx.profile, press.rest
        if role not in AUDIENCES:
            return self._gone(ctx.lang)
        self.store.save_profile(Profile(p.chat_id, role, p.grade, p.lang))
        if p.grade is None:
            return [Reply(text("ask_grade", ctx.lang), self._choices("grade", GRADES, ctx.lang), edit=True)]
        return [Reply(text("saved", ctx.lang), edit=True)]

    def _on_grade(self, ctx: Context, press: Press) -> list[Reply]:
        p, grade = ctx.profile, press.rest
        if grade not in GRADES:
            return self._gone(ctx.lang)
        role = p.role or DEFAULT_ROLE
        self.store.save_profile(Profile(p.chat_id, role, grade, p.lang))
        return [Reply(text("onboarded", ctx.lang, role=label(role, ctx.lang), grade=label(grade, ctx.lang)), edit=True)]

    def _on_lang(self, ctx: Context, press: Press) -> list[Reply]:
        p, lang = ctx.profile, press.rest
        if lang not in LANGS:
            return self._gone(ctx.lang)
        self.store.save_profile(Profile(p.chat_id, p.role, p.grade, lang))
        return [Reply(text("saved", lang), edit=True)]

    def _on_set(self, ctx: Context, press: Press) -> list[Reply]:
        options = {"role": ("ask_role", AUDIENCES), "grade": ("ask_grade", GRADES), "lang": ("ask_lang", LANGS)}
        if press.rest not in options:
            return self._gone(ctx.lang)
        key, values = options[press.rest]
        return [Reply(text(key, ctx.lang), self._choices(press.rest, values, ctx.lang), edit=True)]

    def _on_forget(self, ctx: Context, press: Press) -> list[Reply]:
        if press.rest == "yes":
            self.store.forget(ctx.profile.chat_id)
            self.turns.forget(ctx.profile.chat_id)
            return [Reply(text("forgotten", ctx.lang), edit=True)]
        return [Reply(text("cancelled", ctx.lang), edit=True)]

    commands: ClassVar[dict[str, CommandHandler]] = {
        "start": _start,
        "help": _help,
        "about": _about,
        "settings": _settings,
        "forget": _forget,
    }
    buttons: ClassVar[dict[str, ButtonHandler]] = {
        "role": _on_role,
        "grade": _on_grade,
        "lang": _on_lang,
        "set": _on_set,
        "forget": _on_forget,
    }
