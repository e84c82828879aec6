"""Who is asking, read from the question itself: "我儿子…" is a parent, "我们班有个学生…"
a teacher, "我妈不让我…" a child, whatever role the profile holds (a teacher is also a
parent at home; a parent's phone is used by the child). The profile only breaks ties."""

import re

from index.text import normalize

# Order matters: the first audience whose pattern matches wins, and an adult speaking
# about "my child" or "my student" is the stronger signal than a child's "my mum".
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "teacher",
        re.compile(
            r"(我(们)?班(上|里)?的?(学生|孩子|同学|有个|有位|有名)|班(上|里)(有个|一个|的)?(学生|孩子)|我的学生|我是(班主任|老师)|"
            r"(有个|一个)学生(给我|跟我|对我|找我|告诉我|向我)|"
            # "班上有个男生被起外号…我该先做点啥" is the adult in charge, unless "…欺负我"
            r"^(?!.*(欺负我|打我|骂我|孤立我|我被|针对我|笑话我|嘲笑我|抢我|勒索我|威胁我|给我起|推我|踢我))"
            r".*班(上|里)(有个|有一个|一个|几个)(男生|女生|男孩|女孩|男同学|女同学)|"
            r"作为(班主任|老师|教师)|当(班主任|老师)的|学生家长反映|给学生上|班会课|全班学生|"
            # who reads a pupil's journal and weighs calling the parents: the teacher
            r"学生的?(周记|作文|日记|随笔|作业本)|(我|还是)(要|该|想|得)?(先|直接)?(通知|联系|告知)(他|她|学生)?的?(家长|父母)|"
            # "a guy in my class" is as often a pupil as a teacher; teaching a class, or
            # "a 9 year old in my class", is the adult
            r"\bmy (students?|pupils?)\b|\b(teach(ing)?|tak(e|ing)|bring(ing)?|lead(ing)?|prepar(e|ing)) my class\b|"
            r"\b(an?|one|this) \d{1,2}[- ]?(yo|year[- ]old)\b[^.?!]{0,10}\bin my class\b|"
            r"\bi('m| am) an? (teacher|head ?teacher|form tutor)\b|"
            r"\bas an? (teacher|educator)\b|\bone of my students\b|\bi teach\b)",
            re.IGNORECASE,
        ),
    ),
    (
        "parent",
        re.compile(
            r"(我(家)?的?(孩子|娃|儿子|女儿|闺女|小孩|宝宝|宝贝|孙子|孙女|外孙)|我家(娃|孩子|小孩|老大|老二|宝)|"
            r"我(今天|刚才|刚刚|昨晚)?(发现|看到|看见|注意到|听到|得知|怀疑)(了)?(儿子|女儿|闺女|孩子|娃)(?!们)|"
            r"(孩子|娃)他(爸|妈)|作为(家长|父母|妈妈|爸爸)|我是(家长|孩子的?(妈妈|爸爸|家长))|当(家长|父母)的|"
            r"(^|[，。,！？!?\s])(儿子|女儿|闺女)|^(孩子|娃|小孩|宝宝)|(问|跟|和|让|给|帮|带|陪|劝)(孩子|娃)(?!们)|"
            # "在女儿手腕上发现…": only a parent speaks of a daughter's wrist
            r"(在|把|给|替|帮|让|跟|和|带|陪|劝|看|发现)(儿子|女儿|闺女)(?!们)|"
            r"(判断|看出|察觉|留意|注意)(到)?(孩子|娃)(?!们)|"
            r"\bmy (son|daughter|kids?|child|children|toddler|baby|teen(ager)?|boy|girl|grand(son|daughter|child))\b|"
            r"\bmy \d{1,2}[- ]?(yo|y/o|years?[- ]old|yrs?[- ]old)\b"
            r"(?![- ]?(brother|sister|cousin|friend|nephew|niece|classmate))|"
            r"\bas a (parent|mom|mum|dad|mother|father)\b|\bi('m| am) a (parent|mom|mum|dad|mother|father)\b|"
            r"\bour (son|daughter|kids?|child)\b)",
            re.IGNORECASE,
        ),
    ),
    (
        "student",
        re.compile(
            r"(我(妈|爸|爸妈|父母|家长|老师|们老师|班主任|同学|同桌|室友)|我(今年|才)?\d{1,2}岁|我(上|读)(小学|初|高|[一二三四五六]年级)|"
            r"我们(班|学校)(有人|同学)|我被[^，。,.]{0,8}(性侵|强奸|强暴|猥亵|侵犯|摸|打|揍|欺负|勒索|威胁|霸凌)|"
            r"不敢(告诉|跟)(妈妈|爸爸|爸妈|父母|家里|老师)|"
            # "爸爸又把我锁在门外", "dad locked me outside": only the child says it of a parent
            r"(爸|妈|父亲|母亲|继父|继母|后爸|后妈)[^，。,.]{0,6}(把我|打我|骂我|揍我|锁我|关我|赶我)|"
            r"\b(dad|mom|mum|father|mother|stepdad|stepmom|stepfather|stepmother|parents)\b[^.?!]{0,12}"
            r"\b(locked|kicked|threw|hit|hits|beat|beats|hurt|hurts|slapped|punched)\s+me\b|"
            r"\bi (was|got|am being|'m being) (raped|molested|touched|beaten|bullied|hit|threatened)\b|"
            r"\bmy (mom|mum|dad|parents?|teacher|classmates?|friends?|bf|gf)\b|"
            r"\bi('m| am) (\d{1,2}|in (grade|year) \d+)\b|\bat my school\b)",
            re.IGNORECASE,
        ),
    ),
)


def who_is_asking(question: str) -> str | None:
    """'parent', 'teacher' or 'student' when the question says so, else None."""
    text = normalize(question)
    for audience, pattern in _PATTERNS:
        if pattern.search(text):
            return audience
    return None
