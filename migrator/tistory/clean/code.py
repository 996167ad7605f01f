"""Stage 1 handlers for code: <pre>, highlighter output and ColorScripter, with exact text."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborNode

from migrator.tistory.clean.nodes import MAX_DEPTH, Attrs, classes
from migrator.tistory.clean.snippets import attr, esc
from migrator.tistory.clean.walker import Walker

_LANG_OK = re.compile(r"^[a-z0-9_+#.-]{1,30}$")
_LANG_IGNORED = frozenset({
    "hljs", "highlight", "prettyprint", "linenums", "line-numbers", "undefined", "language-undefined",
    "nohighlight", "no-highlight", "colorscripter-code", "code", "codeblock", "notranslate",
})


def pre(w: Walker, node: LexborNode, attrs: Attrs, inline: bool, link: str | None) -> None:
    code_block(w, code_text(node), _code_language(node, attrs), inline)


def colorscripter(w: Walker, node: LexborNode, inline: bool) -> None:
    cells = node.css("td")
    target = cells[1] if len(cells) > 1 else (cells[0] if cells else node)
    lines = [line for line in target.iter(include_text=False) if line.tag in ("div", "p")]
    text = "\n".join(code_text(line) for line in lines) if lines else code_text(target)
    code_block(w, text.replace("\u00a0", " "), "", inline)  # it indents with &nbsp;


def code_block(w: Walker, text: str, language: str, inline: bool) -> None:
    if inline:
        w.out.append(f"<code>{esc(text)}</code>")
        return
    # A raw one-line <pre> block: Markdown passes it untouched, so the code text (tabs,
    # trailing spaces, blank lines, a missing final newline) comes back exactly; newlines
    # are `&#10;` so the block has no blank line and can sit in list items and tables.
    class_attr = f' class="language-{attr(language)}"' if language else ""
    one_line = esc(text).replace("\r", "&#13;").replace("\n", "&#10;")
    html = f"<pre><code{class_attr}>{one_line}</code></pre>"
    w.snippet(html, block=True, tight=True)


def _prefixed_last(css_class: str) -> bool:
    return not css_class.startswith("language-")


def _code_language(pre: LexborNode, attrs: Attrs) -> str:
    code = pre.css_first("code")
    code_attrs = code.attributes if code is not None else {}
    # The pre class is markdown mode's guess: only when the editor did not record a language.
    guesses = sorted(classes(attrs), key=_prefixed_last) + sorted(classes(code_attrs), key=_prefixed_last)
    candidates = [attrs.get("data-ke-language"), code_attrs.get("data-ke-language"), *guesses]
    for candidate in candidates:
        if not candidate:
            continue
        lang = candidate.strip().lower()
        for prefix in ("language-", "lang-"):
            lang = lang.removeprefix(prefix)
        if lang in _LANG_IGNORED or lang.startswith("hljs") or not _LANG_OK.match(lang):
            continue
        return lang
    return ""


def code_text(node: LexborNode) -> str:
    """Exact code text: hljs spans flattened, `<br>` and per-line `<div>`s as newlines."""
    if node.css_first("br,div,p,li") is None:
        return node.text(deep=True) or ""
    parts: list[str] = []

    def walk(current: LexborNode, depth: int) -> None:
        for child in current.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                parts.append(child.text_content or "")
            elif tag == "br":
                parts.append("\n")
            elif tag in ("script", "style") or tag is None or tag.startswith("-"):
                continue
            elif depth >= MAX_DEPTH:
                parts.append(child.text(deep=True) or "")
            else:
                if tag in ("div", "p", "li") and parts and not parts[-1].endswith("\n"):
                    parts.append("\n")  # one element per line (ColorScripter, some highlighters)
                walk(child, depth + 1)

    walk(node, 0)
    return "".join(parts)
