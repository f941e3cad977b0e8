"""Every message a schema can answer with is in the reader's language: walk every schema of the code, send
it missing, mistyped and oversized values, and read what comes back in Chinese."""
import importlib
import pkgutil
import re

import marshmallow as ma
import pytest
from flask_babel import force_locale

import union_saas

LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def all_schemas():
    for module in pkgutil.walk_packages(union_saas.__path__, "union_saas."):
        if module.name.endswith(("schemas", ".api")) and ".migrations" not in module.name:
            importlib.import_module(module.name)
    seen, todo = [], list(ma.Schema.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls not in seen:
            seen.append(cls)
            todo.extend(cls.__subclasses__())
    return [cls for cls in seen if cls.__module__.startswith("union_saas.")]


def messages(tree):
    if isinstance(tree, dict):
        for value in tree.values():
            yield from messages(value)
    elif isinstance(tree, (list, tuple)):
        for value in tree:
            yield from messages(value)
    else:
        yield str(tree)


def allowed_words(schema):
    """Words a message may quote: the values of choices (API codes) and the names of fields."""
    words = set()
    for name, field in schema.fields.items():
        words.update(re.findall(r"[A-Za-z]+", name))
        for validator in field.validators:
            for choice in [*(getattr(validator, "choices", ()) or ()), getattr(validator, "comparable", "")]:
                words.update(re.findall(r"[A-Za-z]+", str(choice)))
    return words


BAD_VALUES = ({"x": [1]}, "x" * 5000, -10**30, "not a value", [])


def answers(schema):
    """Every message ``schema`` answers for missing fields, then each bad value in every field."""
    out, skipped = [], []
    for data in [{}] + [{name: value for name in schema.fields} for value in BAD_VALUES] + [{"unknown_field": 1}]:
        try:
            schema.load(data)
        except ma.ValidationError as error:
            out.extend(messages(error.messages))
        except (TypeError, ValueError, AttributeError, KeyError) as error:
            skipped.append(error)  # a schema hook that expects sane input: its fields were checked first
    return out


def test_the_walk_reaches_the_schemas_of_every_domain():
    modules = {cls.__module__.split(".")[1] for cls in all_schemas()}
    assert {"tenancy", "accounts", "members", "activities", "office", "platform"} <= modules


@pytest.mark.parametrize("schema_cls", all_schemas(), ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_every_schema_message_is_in_chinese(app, schema_cls):
    try:
        schema = schema_cls()
    except TypeError:
        pytest.skip("a schema made with arguments")
    with app.test_request_context(), force_locale("zh"):
        allowed = allowed_words(schema) | {"JSON", "URL", "Markdown", "PNG", "JPEG", "PDF", "YAML", "CSV",
                                           "xlsx", "UTF"}
        english = []
        for text in answers(schema):
            leftover = [w for w in LATIN_WORD.findall(text) if w not in allowed]
            if leftover:
                english.append(text)
        assert not english, english
