"""Interface text in Chinese and English, in one catalog instead of literals scattered
through the code. Safety content is not here: it lives in knowledge/."""

CATALOG: dict[str, dict[str, str]] = {
    "source": {"zh": "来源：{source}", "en": "Source: {source}"},
    "more_in_doc": {"zh": "…（其余几条点「📖 完整内容」）", "en": "… (the rest: tap “📖 Read more”)"},
    "locale_note": {
        "en": "These numbers are for mainland China. Elsewhere, call your local emergency number ({elsewhere}).",
        "zh": "以上是中国大陆的号码。在其他地方，请拨当地的紧急电话（{elsewhere}）。",
    },
    "out_of_scope": {
        "zh": "这个问题不在我能回答的范围里：我只回答学生、家长和老师关于安全的问题，比如防溺水、欺凌、交通、"
        "心理健康、防诈骗、居家安全。",
        "en": "That is outside what I can help with: I only answer safety questions from students, parents and "
        "teachers, such as drowning, bullying, traffic, mental health, fraud and safety at home.",
    },
    "related": {"zh": "相关：{heading}", "en": "Related: {heading}"},
    "not_safety": {
        "zh": "作文、作业我不能代写代做。想了解防溺水、防欺凌、交通、心理健康这些安全知识，"
        "可以直接问我一个具体的问题。",
        "en": "I can't write essays or do homework. If you want to know about staying safe (water, bullying, "
        "traffic, mental health), ask me a specific question.",
    },
    "not_held": {
        "zh": "这类信息我这里没有：我不推荐品牌和商品，不给药量（请按说明书或问医生、药师），也不知道各地具体的"
        "地点、时间、价格和报名办法，请问学校、社区或当地的官方渠道。",
        "en": "I don't have that kind of information: I don't recommend brands or products, I don't give medicine "
        "doses (follow the leaflet or ask a doctor or pharmacist), and I don't know local places, times, prices or "
        "how to sign up. Please ask your school, community or local official channels.",
    },
    "see_doctor": {
        "zh": "🩺 以上是安全常识，不能代替医生：孩子身体不舒服、症状加重或拿不准，请带去医院看医生。",
        "en": "🩺 This is general safety advice, not a diagnosis: if your child is unwell, getting worse or you "
        "are unsure, see a doctor.",
    },
    "truncated": {
        "zh": "（你的消息太长，我只读了前面一部分。）",
        "en": "(Your message was very long; I only read the first part.)",
    },
    "unsure": {
        "zh": "我不确定下面这段正好回答了你的问题，这是我找到的最接近的内容。"
        "不是你要问的，可以换个说法再问，或点下面的按钮。",
        "en": "I'm not sure the part below answers your question; it is the closest I have. If it isn't what you "
        "asked, try other words or tap a button below.",
    },
    "in_danger": {"zh": "遇到危险请直接拨打：{numbers}", "en": "In danger? Call: {numbers}"},
    "not_confident": {
        "zh": "抱歉，这个问题我没有找到可靠的答案，不想随便回答你。可以换个说法再问，"
        "或者从这些主题里选一个：{topics}。\n\n遇到危险请直接拨打：\n{hotlines}",
        "en": "Sorry, I could not find a reliable answer to that, and I would rather not guess. "
        "Try asking another way, or pick a topic: {topics}.\n\nIn danger? Call:\n{hotlines}",
    },
    "greeting": {
        "zh": "你好，我是平安校园助手，回答学生、家长和老师关于校园和假期安全的问题：防溺水、欺凌和管制刀具、"
        "交通、心理健康、传染病、诈骗、防性侵防拐骗、居家安全。\n\n"
        "我不是急救或报警电话。遇到危险请直接打：\n{hotlines}\n\n先告诉我你是谁，我好说得更合适：",
        "en": "Hi, I'm SafeBot. I answer questions from students, parents and teachers about safety at school and "
        "in the holidays: drowning, bullying and knives, traffic, mental health, illness, fraud, abuse and "
        "abduction, and safety at home.\n\nI am not an emergency service. In danger, call:\n{hotlines}\n\n"
        "First, who are you?",
    },
    "ask_grade": {"zh": "孩子（或你）在哪个学段？", "en": "Which school stage is the child (or you) in?"},
    "onboarded": {
        "zh": "设置好了（{role}，{grade}）。直接把问题发给我，比如：\n• 孩子暑假想去河里游泳怎么办\n"
        "• 萝卜刀算管制刀具吗\n• 孩子最近总说活着没意思\n随时发 /settings 修改。",
        "en": "All set ({role}, {grade}). Just send me a question, for example:\n"
        "• My son wants to swim in the river this summer\n• What counts as a controlled knife?\n"
        "• My daughter says life is pointless\nSend /settings to change this any time.",
    },
    "help": {
        "zh": "直接发问题就行。命令：\n/topics 按主题浏览\n/emergency 紧急情况怎么办\n/hotlines 求助电话\n"
        "/quiz 安全小测\n/lesson 老师用的教案、家长信、承诺书、海报\n"
        "/subscribe 订阅季节提醒\n/reminders 我的提醒\n/unsubscribe 退订\n"
        "/settings 身份、学段、语言\n/forget 删除我的数据\n/about 关于",
        "en": "Just send a question. Commands:\n/topics browse by topic\n/emergency what to do now\n"
        "/hotlines hotlines\n/quiz a safety quiz\n/lesson lesson plans, letters, pledges and posters for teachers\n"
        "/subscribe seasonal reminders\n/reminders my reminders\n/unsubscribe stop reminders\n"
        "/settings role, school stage, language\n/forget delete my data\n/about about",
    },
    "about": {
        "zh": "平安校园助手的回答全部来自经过整理的安全知识库，"
        "每条都注明来源（教育、卫健、公安等部门的文件和权威报道）。"
        "它不能代替报警、急救或医生。我们只保存你的身份、学段和语言，不保存你发的消息；发 /forget 可以全部删除。",
        "en": "SafeBot answers only from a curated safety knowledge base, and every answer names its source "
        "(education, health and police authorities and major media). It does not replace the police, an "
        "ambulance or a doctor. We keep only your role, school stage and language, never your messages; "
        "/forget deletes them.",
    },
    "topics": {"zh": "选择一个主题：", "en": "Choose a topic:"},
    "topic_docs": {"zh": "「{topic}」的内容：", "en": "On {topic}:"},
    "emergency": {
        "zh": "⚠️ 正在发生危险：先保证自己安全，马上打电话——\n{hotlines}\n\n说清楚准确地点。下面是具体怎么做：",
        "en": "⚠️ Danger right now: keep yourself safe and call —\n{hotlines}\n\nSay exactly where you are. What to do:",
    },
    "hotlines": {"zh": "求助电话：\n{hotlines}", "en": "Hotlines:\n{hotlines}"},
    "settings": {
        "zh": "当前设置：{role}，{grade}，中文。要改哪一项？",
        "en": "Your settings: {role}, {grade}, English. What would you like to change?",
    },
    "ask_role": {"zh": "你是：", "en": "You are:"},
    "ask_lang": {"zh": "选择语言：", "en": "Choose a language:"},
    "saved": {"zh": "已保存。", "en": "Saved."},
    "forget_confirm": {
        "zh": "确定要删除我保存的关于你的所有信息（身份、学段、语言）吗？",
        "en": "Delete everything I keep about you (role, school stage, language)?",
    },
    "forgotten": {
        "zh": "已全部删除。发 /start 可以重新开始。",
        "en": "Everything is deleted. Send /start to begin again.",
    },
    "cancelled": {"zh": "好的，什么都没有删除。", "en": "OK, nothing was deleted."},
    "thanks": {"zh": "谢谢你的反馈！", "en": "Thanks for the feedback!"},
    "unknown_command": {"zh": "我不认识这个命令。", "en": "I don't know that command."},
    "not_text": {
        "zh": "我只能读文字消息，请把问题打字发给我。",
        "en": "I can only read text messages; please type your question.",
    },
    "flood": {
        "zh": "消息有点多，我先歇一会儿，一分钟后再发吧。遇到危险请直接打 {police} 或 {ambulance}。",
        "en": "That's a lot of messages; please wait a minute. In danger, call {police} or {ambulance} directly.",
    },
    "error": {
        "zh": "抱歉，我这边出了点问题，请稍后再试。遇到危险请直接打 {police} 或 {ambulance}。",
        "en": "Sorry, something went wrong on my side. Please try again later. In danger, call {police} or "
        "{ambulance}.",
    },
    "gone": {"zh": "这部分内容已经下线了。", "en": "That content is no longer available."},
    "quiz_topics": {"zh": "选一个主题来做小测：", "en": "Pick a topic for a quiz:"},
    "quiz_intro": {
        "zh": "「{topic}」小测，共{count}题。选出你认为正确的答案：",
        "en": "Quiz on {topic}: {count} questions. Pick the answer you think is right:",
    },
    "quiz_score": {"zh": "小测结束：答对 {right}/{total} 题。", "en": "Quiz done: {right} of {total} right."},
    "quiz_right": {"zh": "✓ 答对了。", "en": "✓ Right."},
    "quiz_wrong": {"zh": "✗ 正确答案是 {answer}。", "en": "✗ The right answer is {answer}."},
    "lesson_topic": {"zh": "给老师的材料：选择主题", "en": "Material for teachers: choose a topic"},
    "lesson_grade": {"zh": "选择学段：", "en": "Choose the school stage:"},
    "lesson_kind": {"zh": "选择材料类型：", "en": "Choose the kind of material:"},
    "lesson_format": {"zh": "选择格式：", "en": "Choose a format:"},
    "lesson_sent": {
        "zh": "{topic}{kind}（{grade}），可直接打印或编辑。学校、班级名称可在文件中修改。",
        "en": "{kind} on {topic} ({grade}), ready to print or edit (in Chinese). Fill in the school and class names.",
    },
    "saved_file": {"zh": "已保存到 {path}", "en": "Saved to {path}"},
    "kind_plan": {"zh": "主题班会教案", "en": "Class-meeting lesson plan"},
    "kind_letter": {"zh": "致家长的一封信（含回执）", "en": "Letter to parents (with reply slip)"},
    "kind_pledge": {"zh": "学生安全承诺书", "en": "Student safety pledge"},
    "kind_poster": {"zh": "海报", "en": "Poster"},
    "format_md": {"zh": "文本（Markdown）", "en": "Text (Markdown)"},
    "format_html": {"zh": "网页（可打印）", "en": "Web page (printable)"},
    "format_docx": {"zh": "Word 文档", "en": "Word document"},
    "subscribe": {
        "zh": "订阅安全提醒：在合适的时候（比如放暑假前、周末、节日）提醒你。点主题订阅或取消（✅ 表示已订阅）。"
        "晚上 21:30 到早上 7:00 不打扰。",
        "en": "Safety reminders at the right time (before the summer holiday, at weekends, at festivals). Tap a "
        "topic to subscribe or unsubscribe (✅ = subscribed). Nothing is sent between 21:30 and 07:00.",
    },
    "sub_all": {"zh": "📬 订阅全部主题", "en": "📬 All topics"},
    "unsubscribed": {
        "zh": "已退订全部提醒。发 /subscribe 可以重新订阅。",
        "en": "You are unsubscribed from all reminders. Send /subscribe to start again.",
    },
    "no_subscriptions": {"zh": "你还没有订阅提醒。发 /subscribe 订阅。", "en": "No reminders yet. Send /subscribe."},
    "subscribed_to": {"zh": "已订阅：{topics}。接下来的提醒：", "en": "Subscribed: {topics}. Coming up:"},
    "not_admin": {"zh": "这个命令只有管理员可以用。", "en": "Only administrators can use this command."},
    "broadcast_usage": {"zh": "用法：/broadcast 要发送的内容", "en": "Usage: /broadcast the message to send"},
    "broadcast_preview": {
        "zh": "将发给所有订阅者：\n\n{message}\n\n确认发送吗？",
        "en": "This goes to every subscriber:\n\n{message}\n\nSend it?",
    },
    "broadcast_queued": {"zh": "已加入发送队列：{count} 位订阅者。", "en": "Queued for {count} subscribers."},
    "btn_send": {"zh": "确认发送", "en": "Send"},
    "btn_ack": {"zh": "✅ 已阅", "en": "✅ I have read this"},
    "ack_thanks": {"zh": "已记录，谢谢！", "en": "Noted, thank you!"},
    "btn_more": {"zh": "📖 完整内容", "en": "📖 Read more"},
    "btn_up": {"zh": "👍 有用", "en": "👍 Helpful"},
    "btn_down": {"zh": "👎 没用", "en": "👎 Not helpful"},
    "btn_hotlines": {"zh": "📞 求助电话", "en": "📞 Hotlines"},
    "small_talk": {
        "zh": "😊 有安全方面的问题随时问我，比如“暑假怎么防溺水”“孩子被欺负了怎么办”。",
        "en": "😊 Ask me anything about keeping children safe, e.g. "
        '"how do I keep my child safe near water this summer?"',
    },
    "btn_danger_now": {"zh": "是，现在有危险", "en": "Yes, someone is in danger now"},
    "btn_yes_forget": {"zh": "确认删除", "en": "Delete"},
    "btn_cancel": {"zh": "取消", "en": "Cancel"},
    "btn_role": {"zh": "身份", "en": "Role"},
    "btn_grade": {"zh": "学段", "en": "School stage"},
    "btn_lang": {"zh": "语言 Language", "en": "Language 语言"},
}

LABELS: dict[str, dict[str, str]] = {
    "student": {"zh": "学生", "en": "Student"},
    "parent": {"zh": "家长", "en": "Parent"},
    "teacher": {"zh": "老师", "en": "Teacher"},
    "preschool": {"zh": "幼儿园", "en": "Preschool"},
    "primary": {"zh": "小学", "en": "Primary"},
    "middle": {"zh": "初中", "en": "Middle school"},
    "high": {"zh": "高中", "en": "High school"},
    "college": {"zh": "大学", "en": "College"},
    "zh": {"zh": "中文", "en": "中文"},
    "en": {"zh": "English", "en": "English"},
    "unset": {"zh": "未设置", "en": "not set"},
}

# Telegram's command menu, per language.
COMMANDS: dict[str, list[tuple[str, str]]] = {
    "zh": [
        ("start", "开始"),
        ("topics", "按主题浏览"),
        ("emergency", "紧急情况怎么办"),
        ("hotlines", "求助电话"),
        ("quiz", "安全小测"),
        ("lesson", "教案和家长信"),
        ("subscribe", "订阅季节提醒"),
        ("reminders", "我的提醒"),
        ("unsubscribe", "退订提醒"),
        ("settings", "身份、学段、语言"),
        ("help", "帮助"),
        ("forget", "删除我的数据"),
        ("about", "关于"),
    ],
    "en": [
        ("start", "Start"),
        ("topics", "Browse by topic"),
        ("emergency", "What to do in an emergency"),
        ("hotlines", "Hotlines"),
        ("quiz", "Safety quiz"),
        ("lesson", "Lesson material for teachers"),
        ("subscribe", "Seasonal reminders"),
        ("reminders", "My reminders"),
        ("unsubscribe", "Stop reminders"),
        ("settings", "Role, school stage, language"),
        ("help", "Help"),
        ("forget", "Delete my data"),
        ("about", "About"),
    ],
}


def interface_language(hint: str | None) -> str:
    """The interface language for a channel's language hint (Telegram's "zh-hans",
    "en-US", …): Chinese unless the user's client says otherwise."""
    return "en" if hint and not hint.lower().startswith("zh") else "zh"


def label(key: str | None, lang: str) -> str:
    return LABELS[key or "unset"][lang]


def text(key: str, lang: str, **values: str) -> str:
    entry = CATALOG[key]
    return entry.get(lang, entry["zh"]).format(**values)
