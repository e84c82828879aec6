"""The web chat page in a real browser: Debian's chromium driven by Playwright, against
the app served by uvicorn on a free port. Screenshots at phone and desktop sizes go to
/tmp/shots/ for a person to look at."""

import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import playwright.sync_api as pw
import pytest
import uvicorn

from bot.channels.http import create_app
from bot.channels.http.config import HttpSettings
from bot.settings import Settings
from bot.store import open_store

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path("/tmp/shots")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

pw.expect.set_options(timeout=30_000)  # 2 shared cores: an answer can wait behind other work


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path, real_assistant: object) -> Iterator[str]:
    http = HttpSettings(keys={hashlib.sha256(b"unused-key").hexdigest(): "none"}, session_secret="w" * 32)
    app = create_app(
        Settings(data_dir=tmp_path / "var", database_url=f"sqlite:///{tmp_path / 'web.sqlite3'}"),
        http,
        assistant=real_assistant,  # type: ignore[arg-type]
    )
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(10)


@pytest.fixture
def browser() -> Iterator["pw.Browser"]:
    # a failure, not a skip: the page untested must not look like a green run
    assert CHROMIUM.exists(), "the browser tests need Debian's chromium: apt-get install chromium (.ci/run does)"
    with pw.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


def shot(page: "pw.Page", name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def onboard(page: "pw.Page", role: str, grade: str) -> None:
    page.get_by_role("button", name=role, exact=True).click()
    if role == "学生":
        page.get_by_role("button", name="我未满 14 周岁，家长已同意").click()
    page.get_by_role("button", name=grade, exact=True).click()
    pw.expect(page.locator("#composer")).to_be_visible()


def ask(page: "pw.Page", question: str) -> "pw.Locator":
    """Sends `question`; returns the first bot reply after it."""
    before = page.locator("#log > li").count()
    page.get_by_label("你的问题").fill(question)
    page.keyboard.press("Enter")
    pw.expect(page.locator("#log > li.pending")).to_have_count(0)
    reply = page.locator(f"#log > li:nth-child({before + 2})")
    pw.expect(reply).to_be_visible()
    return reply


def test_onboarding_asks_consent_of_a_student_and_settings_are_kept(
    server: str, browser: "pw.Browser", tmp_path: Path
) -> None:
    page = browser.new_page(viewport=PHONE)
    page.goto(server)
    pw.expect(page.get_by_text("我不是报警、急救或心理危机热线")).to_be_visible()
    pw.expect(page.locator(".hotlines a[href='tel:110']")).to_be_visible()
    pw.expect(page.locator(".hotlines a[href='tel:12356']")).to_be_visible()
    shot(page, "1-intro-phone")
    page.get_by_role("button", name="学生", exact=True).click()
    page.get_by_role("button", name="还没问家长").click()
    pw.expect(page.get_by_text("请先和家长商量")).to_be_visible()
    pw.expect(page.locator("#stage")).to_be_hidden()
    shot(page, "2-consent-phone")
    onboard(page, "学生", "初中")
    pw.expect(page.locator("#log")).to_contain_text("设置好了（学生，初中）")
    shot(page, "3-welcome-phone")
    page.reload()
    pw.expect(page.locator("#composer")).to_be_visible()
    pw.expect(page.locator("#intro")).to_be_hidden()
    settings = page.request.get(f"{server}/api/v1/settings").json()
    assert settings == {"role": "student", "grade": "middle", "lang": "zh", "saved": True}
    # a reminder waits in the inbox until the page opens again
    assert page.request.post(f"{server}/api/v1/reminders/subscribe", data={"topics": ["drowning"]}).ok
    store = open_store(f"sqlite:///{tmp_path / 'web.sqlite3'}")
    store.enqueue_broadcast(store.draft_broadcast("暑假防溺水提醒：不私自下水游泳。"))
    store.close()
    page.reload()
    pw.expect(page.locator("#log")).to_contain_text("暑假防溺水提醒：不私自下水游泳。")
    page.goto(f"{server}/privacy")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="删除我的全部数据").click()
    pw.expect(page.locator("#deleted")).to_have_text("已全部删除。回到对话页可以重新开始。")
    shot(page, "4-privacy-phone")
    page.goto(server)
    pw.expect(page.locator("#intro")).to_be_visible()


def test_a_question_is_answered_with_its_source(server: str, browser: "pw.Browser") -> None:
    page = browser.new_page(viewport=PHONE)
    page.goto(server)
    onboard(page, "家长", "小学")
    reply = ask(page, "孩子暑假老想去水库游泳怎么办")
    pw.expect(reply).to_contain_text("来源：")
    pw.expect(reply.locator(".chip").first).to_be_visible()
    shot(page, "5-answer-phone")
    desktop = browser.new_page(viewport=DESKTOP)
    desktop.goto(server)
    onboard(desktop, "老师", "高中")
    pw.expect(ask(desktop, "萝卜刀算管制刀具吗")).to_contain_text("来源：")
    shot(desktop, "6-answer-desktop")


def test_a_crisis_message_gets_the_crisis_reply_first_with_numbers_to_tap(server: str, browser: "pw.Browser") -> None:
    page = browser.new_page(viewport=PHONE)
    page.goto(server)
    onboard(page, "学生", "高中")
    reply = ask(page, "我不想活了")
    pw.expect(reply).to_contain_text("谢谢你愿意说出来")
    pw.expect(reply.locator("a[href='tel:12356']").first).to_be_visible()
    pw.expect(reply).not_to_contain_text("来源")
    shot(page, "7-crisis-phone")


def test_buttons_browse_and_a_quiz_is_answered_by_tapping(server: str, browser: "pw.Browser") -> None:
    page = browser.new_page(viewport=PHONE)
    page.goto(server)
    onboard(page, "家长", "初中")
    page.get_by_role("button", name="主题", exact=True).click()
    page.locator("#log").get_by_role("button", name="防溺水", exact=True).click()
    pw.expect(page.locator("#log > li").last).to_contain_text("「防溺水」的内容")
    page.get_by_role("button", name="小测", exact=True).click()
    quiz_menu = page.locator("#log > li").last
    pw.expect(quiz_menu).to_contain_text("小测")
    quiz_menu.get_by_role("button", name="防溺水", exact=True).click()
    first = page.locator(".quiz").first
    pw.expect(first).to_be_visible()
    first.locator(".option").first.click()
    pw.expect(first.locator(".verdict")).to_contain_text("。")
    assert first.locator(".option:disabled").count() == first.locator(".option").count()
    shot(page, "8-quiz-phone")
    page.get_by_role("button", name="English").click()
    pw.expect(page.locator("#send")).to_have_text("Send")
    shot(page, "9-english-phone")
