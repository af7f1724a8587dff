"""Short builders for the demo content: lesson blocks in the raw form a StreamField accepts, and exam
questions. They keep the course files readable as text."""

LETTERS = "ABCDEFGH"


def heading(text: str, size: str = "h2") -> dict:
    return {"type": "heading", "value": {"text": text, "size": size}}


def text(html: str) -> dict:
    return {"type": "paragraph", "value": html}


def callout(tone: str, title: str, body: str) -> dict:
    """tone: info, warning or tip."""
    return {"type": "callout", "value": {"tone": tone, "title": title, "body": body}}


def video(name: str, caption: str) -> dict:
    """A video block for the demo video ``name`` (site/demo/content/media/NAME.mp4); the command puts the id of
    the Video snippet in place of the name."""
    return {"type": "video", "value": {"video": name, "caption": caption}}


def check(question: str, options: list[str], answer: str, explanation: str) -> dict:
    """A knowledge check; ``answer`` gives the right options by letter, e.g. "B" or "ACD"."""
    return {
        "type": "knowledge_check",
        "value": {
            "question": question,
            "options": [
                {"text": option, "is_correct": LETTERS[index] in answer} for index, option in enumerate(options)
            ],
            "explanation": explanation,
        },
    }


def single(question: str, options: list[str], answer: str, explanation: str) -> dict:
    """A single-choice exam question; ``answer`` is the letter of the right option."""
    return _question("single", question, options, answer, explanation)


def multiple(question: str, options: list[str], answer: str, explanation: str) -> dict:
    """A multiple-choice exam question; ``answer`` gives every right option's letter, e.g. "ABD"."""
    return _question("multiple", question, options, answer, explanation)


def true_false(question: str, is_true: bool, explanation: str) -> dict:
    return {
        "kind": "true_false", "text": question, "explanation": explanation,
        "options": [("正确", is_true), ("错误", not is_true)],
    }


def _question(kind: str, question: str, options: list[str], answer: str, explanation: str) -> dict:
    return {
        "kind": kind, "text": question, "explanation": explanation,
        "options": [(option, LETTERS[index] in answer) for index, option in enumerate(options)],
    }
