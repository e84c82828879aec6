"use strict";
// The web chat page. Every string from the server is shown with textContent, never
// parsed as HTML; hotline numbers in replies become tel: links built as DOM nodes.
(() => {
  const T = {
    zh: {
      title: "平安校园助手", switch_to: "English", switch_label: "Switch to English", hotlines: "紧急求助",
      intro_title: "我能做什么，不能做什么",
      intro_can: "我回答学生、家长和老师关于校园和假期安全的问题：防溺水、欺凌和管制刀具、交通、心理健康、传染病、诈骗、防性侵防拐骗、居家安全。每个回答都来自整理过的安全知识库，并注明来源。",
      intro_not: "我不是报警、急救或心理危机热线，不能代替医生和警察。遇到危险请直接拨打上面的电话。",
      privacy_link: "隐私说明：我们保存什么、保存多久、怎样删除", ask_role: "你是：",
      student: "学生", parent: "家长", teacher: "老师",
      consent_title: "同学你好",
      consent_text: "不满 14 周岁的同学，请在爸爸妈妈或其他监护人同意后使用，最好和他们一起看。我们只保存你的身份、学段和语言，不保存你说的话。",
      consent_over: "我已满 14 周岁", consent_parent: "我未满 14 周岁，家长已同意", consent_no: "还没问家长",
      consent_wait: "请先和家长商量，再回来用。如果你现在遇到危险或很难受，请马上拨打上面的电话，或者告诉老师、家长。",
      ask_grade: "孩子（或你）在哪个学段？",
      preschool: "幼儿园", primary: "小学", middle: "初中", high: "高中", college: "大学",
      m_topics: "主题", m_emergency: "紧急情况", m_quiz: "小测", m_lesson: "教案", m_subscribe: "提醒",
      m_settings: "设置", m_privacy: "隐私", input_label: "你的问题", placeholder: "输入你的问题",
      send: "发送", chat_label: "对话", menu_label: "功能", log_label: "消息", you: "你", bot: "平安校园助手",
      welcome: "设置好了（{role}，{grade}）。直接把问题发给我，比如：\n• 孩子暑假想去河里游泳怎么办\n• 萝卜刀算管制刀具吗\n• 孩子最近总说活着没意思",
      download: "下载 {name}", quiz_right: "✓ 答对了。", quiz_wrong: "✗ 正确答案是：{answer}。",
      quiz_score: "小测结束：答对 {right}/{total} 题。", busy: "消息有点多，请 {seconds} 秒后再试。遇到危险请直接打 110 或 120。",
      failed: "抱歉，出了点问题，请稍后再试。遇到危险请直接打 110 或 120。", thinking: "正在查找…",
      police: "报警", ambulance: "急救", fire: "火警", mental_health: "心理援助",
    },
    en: {
      title: "SafeBot", switch_to: "中文", switch_label: "切换到中文", hotlines: "Emergency",
      intro_title: "What I can and cannot do",
      intro_can: "I answer questions from students, parents and teachers about safety at school and in the holidays: drowning, bullying and knives, traffic, mental health, illness, fraud, abuse and abduction, and safety at home. Every answer comes from a curated safety knowledge base and names its source.",
      intro_not: "I am not the police, an ambulance or a crisis line, and I do not replace a doctor. In danger, call the numbers above.",
      privacy_link: "Privacy: what we keep, for how long, and how to delete it (in Chinese)", ask_role: "You are:",
      student: "Student", parent: "Parent", teacher: "Teacher",
      consent_title: "Hello",
      consent_text: "If you are under 14, please use this with your parent's or guardian's consent, ideally together. We keep only your role, school stage and language, never what you write.",
      consent_over: "I am 14 or older", consent_parent: "I am under 14 and my parent agreed", consent_no: "I have not asked yet",
      consent_wait: "Please talk to your parent first, then come back. If you are in danger or feel very bad now, call the numbers above or tell a teacher or parent.",
      ask_grade: "Which school stage is the child (or you) in?",
      preschool: "Preschool", primary: "Primary", middle: "Middle school", high: "High school", college: "College",
      m_topics: "Topics", m_emergency: "Emergency", m_quiz: "Quiz", m_lesson: "Lessons", m_subscribe: "Reminders",
      m_settings: "Settings", m_privacy: "Privacy", input_label: "Your question",
      placeholder: "Type your question", send: "Send", chat_label: "Conversation",
      menu_label: "Menu", log_label: "Messages", you: "You", bot: "SafeBot",
      welcome: "All set ({role}, {grade}). Just send me a question, for example:\n• My son wants to swim in the river this summer\n• What counts as a controlled knife?\n• My daughter says life is pointless",
      download: "Download {name}", quiz_right: "✓ Right.", quiz_wrong: "✗ The right answer is: {answer}.",
      quiz_score: "Quiz done: {right} of {total} right.", busy: "Too many messages: please wait {seconds} s. In danger, call 110 or 120.",
      failed: "Sorry, something went wrong. Please try again. In danger, call 110 or 120.", thinking: "Looking…",
      police: "Police", ambulance: "Ambulance", fire: "Fire", mental_health: "Mental health",
    },
  };
  const HOTLINE_KEYS = ["police", "ambulance", "fire", "mental_health"];
  const $ = (id) => document.getElementById(id);
  const saved = JSON.parse(localStorage.getItem("safebot") || "{}");
  const state = { lang: saved.lang === "en" ? "en" : "zh", role: null, grade: null, numbers: [], busy: false };
  const t = (key, values) => {
    let s = (T[state.lang] || T.zh)[key] || T.zh[key] || key;
    for (const [k, v] of Object.entries(values || {})) s = s.split(`{${k}}`).join(v);
    return s;
  };
  const remember = () => localStorage.setItem("safebot", JSON.stringify({ lang: state.lang }));

  async function api(method, path, body, retried) {
    const init = { method, credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    if (response.status === 401 && !retried) {  // the session expired or was deleted: one new one
      await fetch("/api/v1/session", { method: "POST", credentials: "same-origin" });
      return api(method, path, body, true);
    }
    return response;
  }

  // -- interface language ----------------------------------------------------------
  function applyLanguage() {
    document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
    document.title = t("title");
    for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
    for (const el of document.querySelectorAll("[data-t-placeholder]")) el.placeholder = t(el.dataset.tPlaceholder);
    const sw = $("lang-switch");
    sw.textContent = t("switch_to");
    sw.lang = state.lang === "zh" ? "en" : "zh";
    sw.setAttribute("aria-label", t("switch_label"));
    $("hotlines-label").textContent = t("hotlines");
    $("chat").setAttribute("aria-label", t("chat_label"));
    document.querySelector(".menu").setAttribute("aria-label", t("menu_label"));
    $("log").setAttribute("aria-label", t("log_label"));
    renderHotlines();
  }

  async function loadHotlines() {
    try {
      const response = await api("GET", "/api/v1/hotlines?lang=zh");
      if (response.ok) state.hotlines = await response.json();
    } catch (error) { /* the static numbers in the page stay */ }
    state.numbers = (state.hotlines || []).map((h) => h.number).sort((a, b) => b.length - a.length);
    renderHotlines();
  }

  function renderHotlines() {
    if (!state.hotlines) return;
    const bar = document.querySelector(".hotlines");
    for (const a of bar.querySelectorAll("a")) a.remove();
    for (const key of HOTLINE_KEYS) {
      const h = state.hotlines.find((x) => x.key === key);
      if (!h) continue;
      const a = document.createElement("a");
      a.className = "tel";
      a.href = `tel:${h.number}`;
      a.append(`${h.number} `);
      const name = document.createElement("span");
      name.textContent = t(key);
      a.append(name);
      bar.append(a);
    }
  }

  // -- onboarding --------------------------------------------------------------------
  function show(id) {
    $(id).hidden = false;
    $("composer").hidden = id !== "chat";
    const heading = $(id).querySelector("h2");
    if (heading) { heading.tabIndex = -1; heading.focus(); }
  }

  function choose(group, button) {
    for (const b of group.querySelectorAll(".chip")) b.setAttribute("aria-pressed", String(b === button));
  }

  $("roles").addEventListener("click", (event) => {
    const button = event.target.closest("[data-role]");
    if (!button) return;
    choose($("roles"), button);
    state.role = button.dataset.role;
    $("consent-wait").hidden = true;
    if (state.role === "student") { $("stage").hidden = true; show("consent"); } else { $("consent").hidden = true; show("stage"); }
  });
  $("consent-14").addEventListener("click", () => show("stage"));
  $("consent-parent").addEventListener("click", () => show("stage"));
  $("consent-no").addEventListener("click", () => { $("stage").hidden = true; $("consent-wait").hidden = false; $("consent-wait").focus(); });
  $("stage").addEventListener("click", async (event) => {
    const button = event.target.closest("[data-grade]");
    if (!button) return;
    choose($("stage"), button);
    state.grade = button.dataset.grade;
    const response = await api("PUT", "/api/v1/settings", { role: state.role, grade: state.grade, lang: state.lang });
    if (!response.ok) { say(t("failed")); return; }
    for (const id of ["intro", "consent", "stage"]) $(id).hidden = true;
    show("chat");
    say(t("welcome", { role: t(state.role), grade: t(state.grade) }));
    $("input").focus();
  });

  // -- the conversation ------------------------------------------------------------
  function linkified(text) {
    const fragment = document.createDocumentFragment();
    if (!state.numbers.length) { fragment.append(text); return fragment; }
    const pattern = new RegExp(`(?<![\\d.-])(${state.numbers.map((n) => n.replace(/[-]/g, "\\-")).join("|")})(?![\\d-])`, "g");
    let last = 0;
    for (const match of text.matchAll(pattern)) {
      fragment.append(text.slice(last, match.index));
      const a = document.createElement("a");
      a.href = `tel:${match[1]}`;
      a.className = "tel-inline";
      a.textContent = match[1];
      fragment.append(a);
      last = match.index + match[1].length;
    }
    fragment.append(text.slice(last));
    return fragment;
  }

  function bubble(who) {
    const li = document.createElement("li");
    li.className = `msg ${who}`;
    const name = document.createElement("span");
    name.className = "visually-hidden";
    name.textContent = who === "user" ? `${t("you")}: ` : `${t("bot")}: `;
    li.append(name);
    $("log").append(li);
    return li;
  }

  function say(text) {
    const li = bubble("bot");
    const p = document.createElement("p");
    p.append(linkified(text));
    li.append(p);
    li.scrollIntoView({ block: "nearest" });
    return li;
  }

  function fillReply(li, reply) {
    const name = li.firstChild;
    li.replaceChildren(name);
    if (reply.text) {
      const p = document.createElement("p");
      p.append(linkified(reply.text));
      li.append(p);
    }
    if (reply.document) {
      const a = document.createElement("a");
      a.className = "download";
      a.href = reply.document.url;
      a.download = reply.document.filename;
      a.textContent = t("download", { name: reply.document.filename });
      li.append(a);
    }
    for (const row of reply.buttons || []) {
      const div = document.createElement("div");
      div.className = "chips";
      for (const b of row) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "chip";
        button.textContent = b.label;
        button.addEventListener("click", () => press(b.data, li));
        div.append(button);
      }
      li.append(div);
    }
  }

  function renderQuiz(polls) {
    const quiz = { right: 0, answered: 0, total: polls.length };
    polls.forEach((poll, number) => {
      const li = bubble("bot");
      li.classList.add("quiz");
      const question = document.createElement("p");
      question.className = "question";
      question.id = `q-${Date.now()}-${number}`;
      question.textContent = `(${number + 1}/${polls.length}) ${poll.question}`;
      const options = document.createElement("div");
      options.className = "options";
      options.setAttribute("role", "group");
      options.setAttribute("aria-labelledby", question.id);
      const verdict = document.createElement("p");
      verdict.className = "verdict";
      verdict.setAttribute("role", "status");
      poll.options.forEach((option, i) => {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "option";
        button.textContent = option;
        button.addEventListener("click", () => {
          for (const b of options.querySelectorAll("button")) b.disabled = true;
          const right = i === poll.correct;
          button.classList.add(right ? "right" : "wrong");
          options.children[poll.correct].classList.add("right");
          verdict.textContent = (right ? t("quiz_right") : t("quiz_wrong", { answer: poll.options[poll.correct] })) + " " + poll.explanation;
          quiz.answered += 1;
          if (right) quiz.right += 1;
          if (quiz.answered === quiz.total) say(t("quiz_score", { right: String(quiz.right), total: String(quiz.total) }));
        });
        options.append(button);
      });
      li.append(question, options, verdict);
    });
  }

  async function send(body, pressed) {
    if (state.busy) return;
    state.busy = true;
    $("send").disabled = true;
    const waiting = say(t("thinking"));
    waiting.classList.add("pending");
    try {
      const response = await api("POST", "/api/v1/message", { ...body, language: state.lang });
      waiting.remove();
      if (response.status === 429) {
        say(t("busy", { seconds: response.headers.get("Retry-After") || "60" }));
        return;
      }
      if (!response.ok) { say(t("failed")); return; }
      const data = await response.json();
      const polls = [];
      let first = true;
      for (const reply of data.replies) {
        if (reply.poll) { if (reply.text) say(reply.text); polls.push(reply.poll); continue; }
        const li = reply.edit && first && pressed ? pressed : bubble("bot");
        fillReply(li, reply);
        first = false;
      }
      if (polls.length) renderQuiz(polls);
      const last = $("log").lastElementChild;
      if (last) last.scrollIntoView({ block: "start" });
      if (body.button && body.button.startsWith("lang:")) await refreshSettings();
    } catch (error) {
      waiting.remove();
      say(t("failed"));
    } finally {
      state.busy = false;
      $("send").disabled = false;
    }
  }

  function press(data, li) {
    return send({ button: data }, li);
  }

  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("input").value.trim();
    if (!text || state.busy) return;
    const li = bubble("user");
    const p = document.createElement("p");
    p.textContent = text;
    li.append(p);
    $("input").value = "";
    send({ text });
  });
  $("input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  document.querySelector(".menu").addEventListener("click", (event) => {
    const button = event.target.closest("[data-cmd]");
    if (button) send({ text: button.dataset.cmd });
  });

  $("lang-switch").addEventListener("click", async () => {
    state.lang = state.lang === "zh" ? "en" : "zh";
    remember();
    applyLanguage();
    if (state.role || state.grade) await api("PUT", "/api/v1/settings", { role: state.role, grade: state.grade, lang: state.lang });
  });

  async function refreshSettings() {
    const response = await api("GET", "/api/v1/settings");
    if (!response.ok) return null;
    const settings = await response.json();
    if (settings.saved) {
      state.role = settings.role;
      state.grade = settings.grade;
      if (settings.lang !== state.lang) { state.lang = settings.lang; remember(); applyLanguage(); }
    }
    return settings;
  }

  // Reminders cannot be pushed to a web page: they wait in the inbox until the page asks
  // (on opening, when it comes back to the screen, and every few minutes while open).
  async function checkInbox() {
    if ($("chat").hidden || state.busy) return;
    try {
      const response = await api("GET", "/api/v1/inbox");
      if (!response.ok) return;
      const data = await response.json();
      for (const reply of data.replies) fillReply(bubble("bot"), reply);
    } catch (error) {
      // offline: the next look gets them
    }
  }
  setInterval(checkInbox, 5 * 60 * 1000);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") checkInbox();
  });

  async function start() {
    applyLanguage();
    await fetch("/api/v1/session", { method: "POST", credentials: "same-origin" });
    await loadHotlines();
    const settings = await refreshSettings();
    if (settings && settings.saved && settings.role && settings.grade) {
      $("intro").hidden = true;
      $("chat").hidden = false;
      $("composer").hidden = false;
      await checkInbox();
    }
    document.body.classList.add("ready");
  }
  start();
})();
