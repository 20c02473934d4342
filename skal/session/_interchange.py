"""Labels in the formats other tools read: JSON Lines and Label Studio's JSON
tasks, written and read back.

Writing: :func:`write_jsonl` (one JSON object a line) and
:func:`write_label_studio` (a JSON list of tasks, one a line), whose tasks
:func:`label_studio_task` builds in the shape of Label Studio's documented
import format (https://labelstud.io/guide/task_format and
https://labelstud.io/guide/predictions): ``{"data": {...}, "annotations":
[{"result": [{"type": "choices", "value": {"choices": [label]}, "from_name":
..., "to_name": ...}]}], "predictions": [{"score": ..., "result": [...]}]}``.

JSON needs no formula escaping (no spreadsheet reads it as cells), and its
encoding escapes control characters itself; this module escapes every other
non-printable character too (``\\u`` escapes, exact on reading back), so
``cat`` of the file cannot drive a terminal.

Reading: :func:`read_labels` gives ``(row id, label)`` pairs from a CSV file
with ``id`` and ``label`` columns, a JSON Lines file or a Label Studio JSON
file, for :meth:`~skal.session.LabelingSession.import_labels`.
"""

import json

from ..utils import CsvError, read_csv
from ._errors import SessionError

#: The export formats, the first the default.
FORMATS = ("csv", "jsonl", "label-studio")

#: Label Studio's names of the choice control and of the text it labels
#: (a labeling config ``<Text name="text" value="$text"/>`` and
#: ``<Choices name="label" toName="text">``).
FROM_NAME = "label"
TO_NAME = "text"


def _escape(char):
    code = ord(char)
    if code > 0xFFFF:  # a surrogate pair, as JSON spells it
        code -= 0x10000
        high, low = 0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)
        return f"\\u{high:04x}\\u{low:04x}"
    return f"\\u{code:04x}"


def dumps(value):
    """``value`` as one line of JSON, every non-printable character escaped.

    Examples
    --------
    >>> from skal.session._interchange import dumps
    >>> print(dumps({"id": "a\\x1b[2J", "label": "caf\\u00e9\\u202e"}))
    {"id": "a\\u001b[2J", "label": "café\\u202e"}
    >>> import json
    >>> json.loads(dumps(["\\x9b\\ud800"])) == ["\\x9b\\ud800"]
    True
    """
    text = json.dumps(value, ensure_ascii=False)
    if text.isprintable():
        return text
    # JSON's own syntax is printable ASCII: what is not printable is inside
    # a string, where a \u escape stands for the same character
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def _write(path, lines, opening="", separator="\n", closing=""):
    count = 0
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(opening)
        for line in lines:
            handle.write((separator if count else "") + line)
            count += 1
        handle.write(closing)
    return count


def write_jsonl(path, records):
    """Write ``records`` (dicts) to ``path``, one JSON object a line.

    Returns
    -------
    n_records : int
    """
    return _write(path, (dumps(r) for r in records), closing="\n")


def write_label_studio(path, tasks):
    """Write ``tasks`` to ``path`` as a JSON list, one task a line.

    Returns
    -------
    n_tasks : int
    """
    return _write(path, (dumps(t) for t in tasks), "[\n", ",\n", "\n]\n")


def _choices(label):
    return {
        "type": "choices",
        "value": {"choices": label if isinstance(label, list) else [label]},
        "from_name": FROM_NAME,
        "to_name": TO_NAME,
    }


def label_studio_task(
    data, label=None, prediction=None, score=None, model="skal", lead_time=None
):
    """One task of Label Studio's JSON import format.

    Parameters
    ----------
    data : dict
        The task's ``data`` (the row id under ``id``, the text under
        ``text``).
    label : str or None
        An annotation choosing ``label``, or none.
    prediction : str or None
        A prediction choosing ``prediction``, with ``score``, or none.
    score : float or None
    model : str
        The prediction's ``model_version``.
    lead_time : float or None
        The annotation's ``lead_time``: the seconds the annotator took
        (Label Studio's own field for it), or none.

    Examples
    --------
    >>> from skal.session import label_studio_task
    >>> task = label_studio_task({"id": "r1", "text": "hi"}, label="spam")
    >>> task["annotations"][0]["result"][0]["value"]
    {'choices': ['spam']}
    >>> task = label_studio_task({"id": "r2"}, label="ham", lead_time=3.5)
    >>> task["annotations"][0]["lead_time"]
    3.5
    """
    task = {"data": data}
    if label is not None:
        task["annotations"] = [{"result": [_choices(label)]}]
        if lead_time is not None:
            task["annotations"][0]["lead_time"] = lead_time
    if prediction is not None:
        task["predictions"] = [
            {"model_version": model, "score": score, "result": [_choices(prediction)]}
        ]
    return task


def _text(value):
    """An id or label read from JSON as text: numbers as written, anything
    else but a string is no value."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return str(value)
    return value if isinstance(value, str) else None


def _json_error(path, error, line=None):
    where = f", line {line}" if line is not None else f", line {error.lineno}"
    return SessionError(f"{path}{where}: not valid JSON ({error.msg})")


def _read_text(path):
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read()
    except UnicodeDecodeError:
        raise SessionError(f"{path} is not UTF-8 text") from None


def _from_jsonl(path, text):
    pairs = []
    for line, content in enumerate(text.splitlines(), 1):
        if not content.strip():
            continue
        try:
            record = json.loads(content)
        except json.JSONDecodeError as error:
            raise _json_error(path, error, line) from None
        if not isinstance(record, dict):
            raise SessionError(f"{path}, line {line}: not a JSON object")
        label = record.get("label")  # a list of tags: its JSON text
        if isinstance(label, list):
            label = json.dumps(label, ensure_ascii=False)
        pairs.append((_text(record.get("id")), _text(label)))
    return pairs


def _task_label(task):
    """The label of a Label Studio task: the choice of its last annotation
    not cancelled (several choices are joined by commas, so no class matches
    them), ``None`` without one."""
    found = None
    for annotation in task.get("annotations") or ():
        if not isinstance(annotation, dict) or annotation.get("was_cancelled"):
            continue
        choices = []
        for result in annotation.get("result") or ():
            value = result.get("value") if isinstance(result, dict) else None
            if isinstance(value, dict) and isinstance(value.get("choices"), list):
                choices.extend(_text(c) or "" for c in value["choices"])
        if choices:
            found = ",".join(choices)
    return found


def _from_label_studio(path, text):
    try:
        tasks = json.loads(text)
    except json.JSONDecodeError as error:
        raise _json_error(path, error) from None
    if not isinstance(tasks, list):
        raise SessionError(f"{path}: a Label Studio file is a JSON list of tasks")
    pairs = []
    for number, task in enumerate(tasks, 1):
        data = task.get("data") if isinstance(task, dict) else None
        if not isinstance(data, dict):
            raise SessionError(f"{path}: task {number} has no data object")
        pairs.append((_text(data.get("id")), _task_label(task)))
    return pairs


def _from_csv(path):
    try:
        table = read_csv(path)
    except CsvError as error:
        raise SessionError(str(error)) from None
    for name in ("id", "label"):
        if name not in table.header:
            raise SessionError(
                f"{path} has no column {name!r}: labels to import need the "
                "columns id and label"
            )
    at, label_at = table.header.index("id"), table.header.index("label")
    return [(row[at].strip(), row[label_at]) for row in table.rows]


def sniff_format(text):
    """``"label-studio"`` for text that starts with ``[`` (a JSON list),
    ``"jsonl"`` with ``{``, else ``"csv"``.

    Examples
    --------
    >>> from skal.session._interchange import sniff_format
    >>> [sniff_format(t) for t in (' [{"data": {}}]', '{"id": 1}', "id,label")]
    ['label-studio', 'jsonl', 'csv']
    """
    start = text.lstrip()[:1]
    return {"[": "label-studio", "{": "jsonl"}.get(start, "csv")


def read_labels(path):
    """``(row id, label)`` pairs from the file at ``path``, in its order.

    The format is told by the first character: ``[`` a Label Studio JSON
    list of tasks (the id is ``data.id``, the label the choice of the last
    annotation not cancelled), ``{`` JSON Lines (``id`` and ``label`` of each
    object), else a CSV file with columns ``id`` and ``label``. A missing
    label is ``None``; a missing id, or one that is neither a string nor a
    number, is ``None``.

    Raises
    ------
    SessionError
        The file is not UTF-8 or not valid in its format (the message names
        the line).
    """
    text = _read_text(path)
    found = sniff_format(text)
    if found == "label-studio":
        return _from_label_studio(path, text)
    if found == "jsonl":
        return _from_jsonl(path, text)
    return _from_csv(path)
