"""The `safebot` command. Domain errors become one line on stderr and exit code 2 here,
at the edge, and nowhere else."""

import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from bot.settings import Settings
from index import Preferences, build_index
from index.build import index_path
from index.embedders import get_embedder
from index.errors import BadInputError, SafebotError
from index.knowledge import load_knowledge
from index.manifest import Manifest
from index.quizzes import load_quizzes
from index.vocab import AUDIENCES, GRADES, LANGS

logger = logging.getLogger(__name__)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """SafeBot (平安校园助手): safety answers for students, parents and teachers."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = Settings.from_env()


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
def ask(settings: Settings, question: str | None, audience: str | None, grade: str | None,
        lang: str | None, top_k: int, as_json: bool) -> None:
    """Answer QUESTION, or one question per line from stdin."""
    from bot.assistant import Assistant

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
    manifest = build_index(settings.knowledge_dir, settings.data_dir, get_embedder(settings.embedder),
                           rebuild=rebuild, show_progress=sys.stderr.isatty())
    click.echo(f"index built: {manifest.documents} documents, {manifest.chunks} chunks, "
               f"embedder {manifest.embedder}")


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
    from bot.triage import load_triage_file

    knowledge = load_knowledge(settings.knowledge_dir)
    quizzes = load_quizzes(settings.knowledge_dir, knowledge.hotlines, {d.meta.id for d in knowledge.documents})
    problems = [*knowledge.problems, *quizzes.problems]
    for problem in problems:
        click.echo(str(problem) if problem.fatal else f"{problem} (warning)")
    errors = [p for p in problems if p.fatal]
    if not errors:
        load_triage_file(settings.knowledge_dir / "triage.yaml", knowledge)
    if errors:
        click.echo(f"{len(errors)} problem(s) in {settings.knowledge_dir}", err=True)
        sys.exit(2)
    count = sum(len(qs) for qs in quizzes.by_topic.values())
    click.echo(f"ok: {len(knowledge.documents)} documents, {len(knowledge.hotlines)} hotlines, {count} quiz questions")


@cli.command()
@click.pass_obj
def chat(settings: Settings) -> None:
    """Chat in the terminal with the same dialogue as the bot (works on a pipe too)."""
    from bot.assistant import Assistant
    from bot.dialogue import Dialogue
    from bot.store import Store
    from bot.terminal import run_chat

    store = Store(settings.database)
    try:
        dialogue = Dialogue(Assistant.open(settings), store)
        interactive = sys.stdin.isatty()
        if interactive:
            click.echo("平安校园助手 SafeBot — 输入问题或 /start，Ctrl-D 退出。")
            click.echo("Type a question or /start; Ctrl-D quits.\n")
        run_chat(dialogue, sys.stdin, sys.stdout, echo=not interactive, files=settings.data_dir / "lessons")
    finally:
        store.close()


@cli.command()
@click.pass_obj
def run(settings: Settings) -> None:
    """Run the Telegram bot: long polling, or a webhook when SAFEBOT_WEBHOOK_URL is set."""
    if not settings.telegram_token:
        raise BadInputError("TELEGRAM_BOT_TOKEN is not set: get one from @BotFather, or use `safebot chat`")
    from telegram import Update
    from telegram.error import InvalidToken

    from bot.telegram import build_application

    app = build_application(settings)
    try:
        if settings.webhook_url:
            app.run_webhook(listen=settings.webhook_listen, port=settings.webhook_port,
                            url_path=settings.webhook_path, webhook_url=settings.webhook_url,
                            secret_token=settings.webhook_secret or None, allowed_updates=Update.ALL_TYPES)
        else:
            app.run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken as exc:
        raise BadInputError("Telegram rejected TELEGRAM_BOT_TOKEN: check the token from @BotFather") from exc


@cli.command()
@click.argument("topic")
@click.option("--grade", required=True, help="primary, middle or high.")
@click.option("--kind", required=True, help="plan, letter, pledge or poster.")
@click.option("--format", "fmt", default="md", show_default=True, help="md, html or docx.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: TOPIC-GRADE-KIND.FORMAT here; md goes to stdout).")
@click.option("--school", default="____学校", help="School name printed on the material.")
@click.option("--class", "class_name", default="____班", help="Class name printed on the material.")
@click.option("--teacher", default="________", help="Teacher's name printed on the material.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.pass_obj
def lesson(settings: Settings, topic: str, grade: str, kind: str, fmt: str, output: Path | None, school: str,
           class_name: str, teacher: str, force: bool) -> None:
    """Lesson material for TOPIC: a class-meeting plan, a letter to parents with a reply
    slip, a student pledge or a poster."""
    from bot.lessons import LessonMaker, LessonRequest, write_lesson

    knowledge = load_knowledge(settings.knowledge_dir).require_valid()
    quizzes = load_quizzes(settings.knowledge_dir, knowledge.hotlines, {d.meta.id for d in knowledge.documents})
    request = LessonRequest(topic, grade, kind, school=school, class_name=class_name, teacher=teacher)
    data = LessonMaker(knowledge, quizzes).render(request, fmt)
    if output is None and fmt == "md":
        click.echo(data.decode(), nl=False)
        return
    path = output or Path(f"{request.filename_stem}.{fmt}")
    write_lesson(data, path, force)
    click.echo(f"wrote {path}")


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
