"""Untrusted values made inert for each message format (issue 14, finding 2).

A prompt's title, text and facts carry values Mio does not control: people's names (from a
directory), and evidence from a platform or the relay (error descriptions, correlation and trace
ids, timestamps). Teams and Webex render markdown in Adaptive Card ``TextBlock.text``,
``Fact.title`` and ``Fact.value`` (https://learn.microsoft.com/microsoftteams/platform/
task-modules-and-cards/cards/cards-format, "Format cards with Markdown"; Adaptive Cards take a
CommonMark subset: https://learn.microsoft.com/adaptive-cards/create/textfeatures), Webex renders
the message's ``markdown`` field, and chat clients and mail readers turn bare URLs into links.
Unescaped, a value like ``[Re-sync here](https://evil.example)`` becomes a clickable link inside
a genuine Mio message.

Mio's own words carry no markup (its links are buttons, never text), so each builder escapes
*every* title, text and fact for its format:

- ``markdown()``: CommonMark backslash escapes for every ASCII punctuation character that opens
  markup (CommonMark 0.31 section 2.4: any ASCII punctuation may be backslash-escaped), so links,
  emphasis, lists, code, HTML and ``<at>``/``<@…>`` mentions stay literal text;
- ``plain()``: for surfaces without markup (Zoom chatbot messages, which Mio sends without
  ``is_markdown_support``; email bodies and subjects);

and both break bare links (``https://``, ``www.``) with a WORD JOINER (U+2060), invisible to the
reader, so no client auto-links a value, drop control characters, and clip very long values.
Slack's Block Kit builder escapes mrkdwn itself (platforms/slack/blocks.py).
"""

from __future__ import annotations

import re

from platforms.messages import Message

WORD_JOINER = "\u2060"
# Longest untrusted value shown whole; evidence ids and names are far shorter.
VALUE_LIMIT = 500

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#!|~&])")
# A line opening with "- ", "+ ", "1. " or "1) " would become a list item.
_LIST_MARKER = re.compile(r"(?m)^(\s*)([-+]|\d+[.)])(?=\s|$)")
_AUTOLINK = re.compile(r"(?i)(?<=[a-z0-9+.-])(:)(?=//)|(?<![a-z0-9])(www)(?=\.)")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _clean(text: str, *, single_line: bool) -> str:
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    if single_line:
        text = " ".join(text.split("\n"))
    return _CONTROL.sub("", text)


def _defuse_links(text: str) -> str:
    # "https://x" -> "https:\u2060//x", "www.x" -> "www\u2060.x": the same to a reader, and no
    # linkifier's URL pattern matches it any more.
    return _AUTOLINK.sub(lambda m: (m.group(1) or m.group(2)) + WORD_JOINER, text)


def markdown(text: str, limit: int = VALUE_LIMIT, *, single_line: bool = False) -> str:
    """``text`` as literal characters in CommonMark-style markdown (Adaptive Cards, Webex)."""
    text = clip(_clean(text, single_line=single_line), limit)
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = _LIST_MARKER.sub(lambda m: m.group(1) + _escape_marker(m.group(2)), text)
    return _defuse_links(text)


def _escape_marker(marker: str) -> str:
    return "\\" + marker if marker in "-+" else marker[:-1] + "\\" + marker[-1]


def plain(text: str, limit: int = VALUE_LIMIT, *, single_line: bool = False) -> str:
    """``text`` for a surface without markup: no bare links, no control characters, clipped."""
    return _defuse_links(clip(_clean(text, single_line=single_line), limit))


def markdown_fallback(message: Message) -> str:
    """The message as escaped markdown (Webex's ``markdown``, a card's ``fallbackText``).

    The title in bold, the text, the facts as a list, then the actions; only Mio's own action
    links stay links.
    """
    lines = [f"**{markdown(message.title, single_line=True)}**", "", markdown(message.text, 4000)]
    if message.facts:
        lines.append("")
        lines += [f"- {markdown(k, single_line=True)}: {markdown(v)}" for k, v in message.facts]
    if message.actions:
        lines.append("")
        lines += [f"[{markdown(a.label, single_line=True)}]({a.url})" for a in message.actions]
    return "\n".join(lines)


def plain_fallback(message: Message) -> str:
    """The message as plain text (an email body): values shown as they are, links only Mio's."""
    lines = [plain(message.title, single_line=True), "", plain(message.text, 4000)]
    if message.facts:
        lines.append("")
        lines += [f"- {plain(k, single_line=True)}: {plain(v)}" for k, v in message.facts]
    if message.actions:
        lines.append("")
        lines += [f"{plain(a.label, single_line=True)}: {a.url}" for a in message.actions]
    return "\n".join(lines)
