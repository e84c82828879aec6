"""Admin commands, for the chats in SAFEBOT_ADMIN_IDS only: /broadcast TEXT (a preview,
then send or cancel) and /stats. Anyone else is refused and the attempt counted."""

import logging
from typing import ClassVar

from bot.engine.callbacks import Press, encode
from bot.engine.contract import Button, Reply
from bot.engine.features.base import ButtonHandler, CommandHandler, Context, Feature
from bot.texts import text

logger = logging.getLogger(__name__)


class Admin(Feature):
    def _is_admin(self, ctx: Context) -> bool:
        if ctx.profile.chat_id in self.admins:
            return True
        self.store.count("admin:refused")
        logger.warning("refused an admin command from a non-admin chat")
        return False

    def _broadcast(self, ctx: Context, message: str) -> list[Reply]:
        if not self._is_admin(ctx):
            return [Reply(text("not_admin", ctx.lang))]
        if not message:
            return [Reply(text("broadcast_usage", ctx.lang))]
        draft = self.store.draft_broadcast(message)
        preview = text("broadcast_preview", ctx.lang, message=message)
        return [
            Reply(
                preview,
                (
                    (
                        Button(text("btn_send", ctx.lang), encode("bc", draft)),
                        Button(text("btn_cancel", ctx.lang), encode("bcx", draft)),
                    ),
                ),
            )
        ]

    def _stats(self, ctx: Context, args: str) -> list[Reply]:
        if not self._is_admin(ctx):
            return [Reply(text("not_admin", ctx.lang))]
        figures = self.store.subscriber_figures()
        questions = self.store.counters("questions:")
        acks = self.store.acknowledgement_counts()
        lines = [
            "subscribers by role: " + ", ".join(f"{k} {v}" for k, v in sorted(figures["role"].items())),
            "subscribers by topic: " + ", ".join(f"{k} {v}" for k, v in sorted(figures["topic"].items())),
            "questions by topic: " + ", ".join(f"{k.split(':', 1)[1]} {v}" for k, v in sorted(questions.items())),
            f"unanswered: {self.store.counters('unanswered').get('unanswered', 0)}",
            f"refused admin commands: {self.store.counters('admin:').get('admin:refused', 0)}",
            "acknowledgements: " + ", ".join(f"{r}/{a} {n}" for (r, a), n in sorted(acks.items())),
        ]
        return [Reply("\n".join(lines))]

    # -- buttons -------------------------------------------------------------------------

    def _on_send(self, ctx: Context, press: Press) -> list[Reply]:
        return self._confirm_broadcast(ctx, True, press.rest)

    def _on_cancel(self, ctx: Context, press: Press) -> list[Reply]:
        return self._confirm_broadcast(ctx, False, press.rest)

    def _confirm_broadcast(self, ctx: Context, confirmed: bool, draft: str) -> list[Reply]:
        if not self._is_admin(ctx):
            return [Reply(text("not_admin", ctx.lang))]
        found = self.store.broadcast(int(draft)) if draft.isdigit() else None
        if found is None or found[1] != "draft":
            return self._gone(ctx.lang, edit=True)
        if not confirmed:
            return [Reply(text("cancelled", ctx.lang), edit=True)]
        queued = self.store.enqueue_broadcast(int(draft))
        return [Reply(text("broadcast_queued", ctx.lang, count=str(queued)), edit=True)]

    commands: ClassVar[dict[str, CommandHandler]] = {"broadcast": _broadcast, "stats": _stats}
    buttons: ClassVar[dict[str, ButtonHandler]] = {"bc": _on_send, "bcx": _on_cancel}
