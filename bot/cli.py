"""The `safebot` command. Domain errors become one line on stderr and exit code 2 here,
at the edge, and nowhere else."""

import datetime as dt
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.logs import keep_secret, setup_logging
from bot.settings import Settings
from index import Preferences, build_index
from index.build import index_path
from index.check import check_rule_files, find_problems
from index.embedders import get_embedder
from index.errors import BadInputError, SafebotError
from index.manifest import Manifest
from index.vocab import AUDIENCES, GRADES, LANGS

if TYPE_CHECKING:
    from bot.reminders.book import ReminderBook
    from bot.reminders.sender import Summary
    from bot.runtime import Runtime
    from bot.store import Store

logger = logging.getLogger(__name__)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """SafeBot (平安校园助手): safety answers for students, parents and teachers."""
    setup_logging(verbose)  # first, so an error in the settings is logged redacted too
    settings = Settings.from_env()
    setup_logging(verbose, settings.secrets, settings.log_file)
    ctx.obj = settings


def _questions(question: str | None) -> Iterator[str]:
    if question is not None:
        yield question
        return
    data = sys.stdin.buffer.read()
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInputError(f"standard input is not valid UTF-8 (byte {exc.start})") from exc
    lines = [line for line in decoded.splitlines() if line.strip()]
    if not lines:
        raise BadInputError("no question given: pass QUESTION or one question per line on stdin")
    yield from lines


@cli.command()
@click.argument("question", required=False)
@click.option("--audience", type=click.Choice(AUDIENCES), help="Who is asking.")
@click.option("--grade", type=click.Choice(GRADES), help="The child's grade band.")
@click.option("--lang", type=click.Choice(LANGS), help="Answer language (default: the question's).")
@click.option("--top-k", type=click.IntRange(1, 50), default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per question (JSON Lines).")
@click.pass_obj
def ask(
    settings: Settings,
    question: str | None,
    audience: str | None,
    grade: str | None,
    lang: str | None,
    top_k: int,
    as_json: bool,
) -> None:
    """Answer QUESTION, or one question per line from stdin."""
    from bot.engine.answering.assistant import Assistant

    questions = list(_questions(question))
    assistant = Assistant.open(settings)
    prefs = Preferences(audience=audience, grade=grade, lang=lang)
    for q in questions:
        answer = assistant.answer(q, prefs, top_k=top_k)
        if as_json:
            click.echo(json.dumps(answer.to_json(), ensure_ascii=False))
        else:
            click.echo(answer.reply + ("\n" if len(questions) > 1 else ""))


@cli.group()
def index() -> None:
    """Build or inspect the search index."""


@index.command("build")
@click.option("--rebuild", is_flag=True, help="Embed everything again, ignoring the cache.")
@click.pass_obj
def index_build(settings: Settings, rebuild: bool) -> None:
    """Build the index from the knowledge directory."""
    manifest = build_index(
        settings.knowledge_dir,
        settings.data_dir,
        get_embedder(settings.embedder),
        rebuild=rebuild,
        show_progress=sys.stderr.isatty(),
    )
    click.echo(f"index built: {manifest.documents} documents, {manifest.chunks} chunks, embedder {manifest.embedder}")


@index.command("info")
@click.pass_obj
def index_info(settings: Settings) -> None:
    """Print the manifest of the current index."""
    path = index_path(settings.data_dir)
    if not (path / "manifest.json").exists():
        raise SafebotError(f"no index in {path}: run `safebot index build`")
    manifest = Manifest.read(path)
    for key, value in vars(manifest).items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        click.echo(f"{key}: {value}")


@cli.group()
def kb() -> None:
    """Work with the knowledge base."""


@kb.command("check")
@click.pass_obj
def kb_check(settings: Settings) -> None:
    """Validate every knowledge file; exit 2 on any problem."""
    report = find_problems(settings.knowledge_dir)
    for problem in report.problems:
        click.echo(str(problem) if problem.fatal else f"{problem} (warning)")
    if report.errors:
        click.echo(f"{len(report.errors)} problem(s) in {settings.knowledge_dir}", err=True)
        sys.exit(2)
    check_rule_files(report.knowledge, settings.calendar_file)
    click.echo(report.summary())


@cli.command()
@click.option("--audience", type=click.Choice(AUDIENCES), help="Chat as this role (what /start asks).")
@click.pass_obj
def chat(settings: Settings, audience: str | None) -> None:
    """Chat in the terminal with the same dialogue as the bot (works on a pipe too)."""
    from bot.channels.terminal import choose_role, run_chat
    from bot.runtime import Runtime

    with Runtime(settings) as runtime:
        if audience:
            choose_role(runtime.store, audience)
        interactive = sys.stdin.isatty()
        if interactive:
            click.echo("平安校园助手 SafeBot — 输入问题或 /start，Ctrl-D 退出。")
            click.echo("Type a question or /start; Ctrl-D quits.\n")
        run_chat(runtime.dialogue, sys.stdin, sys.stdout, echo=not interactive, files=settings.data_dir / "lessons")


@cli.command()
@click.pass_obj
def run(settings: Settings) -> None:
    """Run the Telegram bot: long polling, or a webhook when SAFEBOT_WEBHOOK_URL is set
    (then served by the same HTTP app as `safebot serve`, on SAFEBOT_WEBHOOK_LISTEN and
    SAFEBOT_WEBHOOK_PORT)."""
    if not settings.telegram_token:
        raise BadInputError("TELEGRAM_BOT_TOKEN is not set: get one from @BotFather, or use `safebot chat`")
    from telegram import Update
    from telegram.error import InvalidToken

    from bot.channels.telegram.app import build_application

    try:
        if settings.webhook_url:
            _serve_http(settings, settings.webhook_listen, settings.webhook_port)
        else:
            build_application(settings).run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken as exc:
        raise BadInputError("Telegram rejected TELEGRAM_BOT_TOKEN: check the token from @BotFather") from exc


def _serve_http(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from bot.channels.http import create_app
    from bot.channels.http.config import HttpSettings

    http = HttpSettings.from_env()
    keep_secret([http.session_secret])
    app = create_app(settings, http)
    clients = len(set(http.keys.values()))
    webhook = f"; the Telegram webhook at {settings.webhook_url}" if settings.webhook_url else ""
    click.echo(f"SafeBot: the web page and the API on http://{host}:{port}/ ({clients} API clients){webhook}", err=True)
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, server_header=False)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True, help="Port to listen on.")
@click.pass_obj
def serve(settings: Settings, host: str, port: int) -> None:
    """Serve the HTTP API and the web chat page (settings: SAFEBOT_HTTP_*), and the
    Telegram webhook when TELEGRAM_BOT_TOKEN and SAFEBOT_WEBHOOK_URL are set."""
    _serve_http(settings, host, port)


@cli.command()
@click.argument("topic")
@click.option("--grade", required=True, help="primary, middle or high.")
@click.option("--kind", required=True, help="plan, letter, pledge or poster.")
@click.option("--format", "fmt", default="md", show_default=True, help="md, html or docx.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: TOPIC-GRADE-KIND.FORMAT here; md goes to stdout).",
)
@click.option("--school", default="____学校", help="School name printed on the material.")
@click.option("--class", "class_name", default="____班", help="Class name printed on the material.")
@click.option("--teacher", default="________", help="Teacher's name printed on the material.")
@click.option("--date", "date_text", help="Date printed on the material, YYYY-MM-DD (default: today).")
@click.option("--term", help="Term printed on the material (default: the term the date falls in).")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.pass_obj
def lesson(
    settings: Settings,
    topic: str,
    grade: str,
    kind: str,
    fmt: str,
    output: Path | None,
    school: str,
    class_name: str,
    teacher: str,
    date_text: str | None,
    term: str | None,
    force: bool,
) -> None:
    """Lesson material for TOPIC: a class-meeting plan, a letter to parents with a reply
    slip, a student pledge or a poster."""
    from bot.lessons.maker import LessonRequest
    from bot.lessons.render import write_lesson
    from bot.runtime import Runtime

    try:
        day = dt.date.fromisoformat(date_text) if date_text else None
    except ValueError as exc:
        raise BadInputError(f"--date must be a date like 2027-06-20, not '{date_text}'") from exc
    request = LessonRequest(
        topic, grade, kind, school=school, class_name=class_name, teacher=teacher, date=day, term=term
    )
    with Runtime(settings).open(engine=False) as runtime:
        data = runtime.lessons.render(request, fmt)
    if output is None and fmt == "md":
        click.echo(data.decode(), nl=False)
        return
    path = output or Path(f"{request.filename_stem}.{fmt}")
    write_lesson(data, path, force)
    click.echo(f"wrote {path}")


@cli.group()
def reminders() -> None:
    """Seasonal reminders: preview and send."""


def _book(runtime: "Runtime") -> "ReminderBook":
    if runtime.book is None:
        raise SafebotError(f"no reminders.yaml in {runtime.settings.knowledge_dir}")
    return runtime.book


def _parse_time(value: str | None) -> dt.datetime:
    from bot.reminders.schedule import TZ

    if value is None:
        return dt.datetime.now(TZ)
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise BadInputError(f"--now must be an ISO time like 2027-06-26T18:30, not '{value}'") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=TZ)


@reminders.command("upcoming")
@click.option("--from", "start", required=True, help="First day, YYYY-MM-DD.")
@click.option("--days", type=click.IntRange(1, 800), default=30, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per occurrence.")
@click.pass_obj
def reminders_upcoming(settings: Settings, start: str, days: int, as_json: bool) -> None:
    """What will be sent, when, and to how many subscribers."""
    from bot.reminders.schedule import upcoming
    from bot.runtime import Runtime

    try:
        first = dt.date.fromisoformat(start)
    except ValueError as exc:
        raise BadInputError(f"--from must be a date like 2027-06-01, not '{start}'") from exc
    with Runtime(settings).open(engine=False) as runtime:
        book, store = _book(runtime), runtime.store
        for occ in upcoming(book.reminders, book.calendar, first, days):
            r = occ.reminder
            count = store.count_recipients(r.topic, list(r.audiences), list(r.grades), list(r.langs))
            row = {
                "time": occ.at.isoformat(timespec="minutes"),
                "reminder": r.id,
                "topic": r.topic,
                "audiences": list(r.audiences),
                "langs": list(r.langs),
                "recipients": count,
            }
            if as_json:
                click.echo(json.dumps(row, ensure_ascii=False))
            else:
                click.echo(f"{row['time']}  {r.id:<36} {r.topic:<20} {','.join(r.audiences):<16} {count:>7}")


@reminders.command("send-due")
@click.option("--now", "now_text", help="Pretend it is this time (ISO, Asia/Shanghai if no zone).")
@click.option("--dry-run", is_flag=True, help="Show what is due and to how many, change nothing.")
@click.option("--rate", type=click.FloatRange(0), help="Messages a second (default SAFEBOT_SEND_RATE; 0: no limit).")
@click.pass_obj
def reminders_send_due(settings: Settings, now_text: str | None, dry_run: bool, rate: float | None) -> None:
    """Queue every reminder that is due and send the outbox (for cron or a systemd timer)."""
    import asyncio

    from bot.reminders.schedule import due
    from bot.runtime import Runtime

    now = _parse_time(now_text)
    if not dry_run and not settings.telegram_token:
        raise BadInputError("TELEGRAM_BOT_TOKEN is not set: the outbox cannot be sent")
    with Runtime(settings, clock=lambda: now).open(engine=False) as runtime:
        book, store = _book(runtime), runtime.store
        if dry_run:
            for occ in due(book.reminders, book.calendar, now):
                r = occ.reminder
                count = store.count_recipients(r.topic, list(r.audiences), list(r.grades), list(r.langs))
                click.echo(f"due: {r.id} {occ.key} → {count} subscribers")
            click.echo(f"dry run: outbox {store.outbox_counts()}; nothing changed")
            return
        for occ, added in runtime.enqueue_due():
            click.echo(f"queued: {occ.reminder.id} {occ.key} → {added} new")
        summary = asyncio.run(_send(settings, store, book, now, rate if rate is not None else settings.send_rate))
        click.echo(
            f"sent {summary.sent}, failed {summary.failed}, deactivated {summary.deactivated}, "
            f"remaining {summary.remaining}"
        )


async def _send(settings: Settings, store: "Store", book: "ReminderBook", now: dt.datetime, rate: float) -> "Summary":
    from telegram import Bot
    from telegram.error import InvalidToken

    from bot.channels.telegram.delivery import deliverers, make_bot
    from bot.reminders.sender import OutboxSender

    bot: Bot = make_bot(settings)
    try:
        async with bot:
            sender = OutboxSender(store, deliverers(bot), book, rate=rate, now=lambda: now)
            return await sender.drain(show_progress=sys.stderr.isatty())
    except InvalidToken as exc:
        raise BadInputError("Telegram rejected TELEGRAM_BOT_TOKEN: check the token from @BotFather") from exc


def main() -> None:
    try:
        code = cli.main(standalone_mode=False, prog_name="safebot")
    except click.exceptions.Abort:
        sys.exit(1)
    except click.ClickException as exc:
        click.echo(f"safebot: {exc.format_message()}", err=True)
        sys.exit(2)
    except SafebotError as exc:
        click.echo(f"safebot: {exc}", err=True)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
