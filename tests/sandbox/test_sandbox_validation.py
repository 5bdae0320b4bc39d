"""Discord's limits on messages, components, modals and commands, with Discord's error shape."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from botfleet.sandbox.command_validation import parse_command, parse_commands, validate_modal
from botfleet.sandbox.errors import DiscordHTTPError, JSONErrorCode
from botfleet.sandbox.validation import Upload, parse_message


def form_errors(call: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The nested ``errors`` of the 50035 answer ``call`` raises."""
    with pytest.raises(DiscordHTTPError) as raised:
        call(*args, **kwargs)
    error = raised.value
    assert error.status == 400
    assert error.code is JSONErrorCode.INVALID_FORM_BODY
    assert error.body()["message"] == "Invalid Form Body"
    assert error.errors is not None
    return error.errors


def button(custom_id: str = "b", **extra: Any) -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": "Press", "custom_id": custom_id, **extra}


def row(*components: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(components)}


@given(st.text(min_size=1, max_size=2000))
def test_content_up_to_2000_characters_is_accepted(content: str) -> None:
    assert parse_message({"content": content}).content == content


def test_content_over_2000_characters_is_refused_like_discord() -> None:
    errors = form_errors(parse_message, {"content": "x" * 2001})
    assert errors == {
        "content": {
            "_errors": [
                {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}
            ]
        }
    }


def test_an_empty_message_is_refused_with_50006() -> None:
    with pytest.raises(DiscordHTTPError) as raised:
        parse_message({"content": ""})
    assert raised.value.code is JSONErrorCode.CANNOT_SEND_EMPTY_MESSAGE
    assert raised.value.body() == {"message": "Cannot send an empty message", "code": 50006}


def test_a_file_alone_is_a_message_and_edits_may_be_empty() -> None:
    upload = Upload(index=0, filename="a.txt", content_type="text/plain", data=b"a")
    assert parse_message({}, [upload]).uploads == [upload]
    assert parse_message({"content": None}, editing=True).given == frozenset({"content"})


def test_embed_field_limits_are_reported_by_path() -> None:
    embed = {
        "title": "t" * 257,
        "description": "d" * 4097,
        "fields": [{"name": "", "value": "v" * 1025}],
        "footer": {"text": "f" * 2049},
        "author": {"name": "a" * 257},
        "color": 0x1000000,
        "url": "not a url",
    }
    errors = form_errors(parse_message, {"embeds": [embed]})
    embed_errors = errors["embeds"]["0"]
    assert set(embed_errors) == {
        "title",
        "description",
        "fields",
        "footer",
        "author",
        "color",
        "url",
    }
    assert embed_errors["fields"]["0"]["name"]["_errors"][0]["code"] == "BASE_TYPE_REQUIRED"
    assert embed_errors["fields"]["0"]["value"]["_errors"][0]["message"] == (
        "Must be 1024 or fewer in length."
    )
    assert embed_errors["url"]["_errors"][0]["code"] == "URL_TYPE_INVALID_URL"


def test_embeds_count_and_6000_character_total() -> None:
    errors = form_errors(parse_message, {"embeds": [{"title": "t"}] * 11})
    assert errors["embeds"]["_errors"][0]["message"] == "Must be 10 or fewer in length."
    big = [{"description": "d" * 4000}, {"description": "d" * 1999, "title": "tt"}]
    errors = form_errors(parse_message, {"embeds": big})
    assert errors["embeds"]["_errors"] == [
        {"code": "MAX_EMBED_SIZE_EXCEEDED", "message": "Embed size exceeds maximum size of 6000"}
    ]
    exactly = [{"description": "d" * 4000}, {"description": "d" * 2000}]
    assert len(parse_message({"embeds": exactly}).embeds) == 2


def test_action_rows_buttons_and_custom_ids() -> None:
    assert parse_message({"components": [row(button())] * 1}).components
    errors = form_errors(parse_message, {"components": [row(button(str(i))) for i in range(6)]})
    assert errors["components"]["_errors"][0]["message"] == "Must be 5 or fewer in length."
    errors = form_errors(parse_message, {"components": [row(*(button(str(i)) for i in range(6)))]})
    assert errors["components"]["0"]["components"]["_errors"][0]["message"] == (
        "Must be between 1 and 5 in length."
    )
    long_ids = row(button("c" * 101, label="l" * 81))
    errors = form_errors(parse_message, {"components": [long_ids]})
    button_errors = errors["components"]["0"]["components"]["0"]
    assert (
        button_errors["custom_id"]["_errors"][0]["message"]
        == "Must be between 1 and 100 in length."
    )
    assert button_errors["label"]["_errors"][0]["message"] == "Must be 80 or fewer in length."
    errors = form_errors(parse_message, {"components": [row(button("same"), button("same"))]})
    assert errors["components"]["0"]["components"]["1"]["custom_id"]["_errors"][0]["code"] == (
        "COMPONENT_CUSTOM_ID_DUPLICATED"
    )


def test_link_buttons_selects_and_row_width() -> None:
    link = {"type": 2, "style": 5, "label": "Docs", "url": "https://example.com"}
    assert parse_message({"components": [row(link)]}).components
    errors = form_errors(parse_message, {"components": [row({**link, "custom_id": "x"})]})
    assert "custom_id" in errors["components"]["0"]["components"]["0"]
    select = {"type": 3, "custom_id": "menu", "options": [{"label": "A", "value": "a"}]}
    assert parse_message({"components": [row(select)]}).components
    errors = form_errors(parse_message, {"components": [row(select, button())]})
    assert errors["components"]["0"]["components"]["_errors"][0]["code"] == (
        "COMPONENT_LAYOUT_WIDTH_EXCEEDED"
    )
    errors = form_errors(parse_message, {"components": [button()]})
    assert errors["components"]["0"]["type"]["_errors"][0]["code"] == "UNION_TYPE_CHOICES"


def test_replies_and_attachment_references_are_read() -> None:
    upload = Upload(index=0, filename="a.png", content_type="image/png", data=b"png")
    draft = parse_message(
        {
            "content": "hi",
            "message_reference": {"message_id": "42", "fail_if_not_exists": False},
            "attachments": [{"id": 0, "description": "an image"}, {"id": "1234567890"}],
        },
        [upload],
    )
    assert draft.reply_to_message_id == 42
    assert not draft.fail_if_reply_target_missing
    assert draft.attachment_descriptions == {0: "an image"}
    assert draft.kept_attachment_ids == [1234567890]
    errors = form_errors(
        parse_message, {"attachments": [{"id": 0, "description": "d" * 1025}]}, [upload]
    )
    assert errors["attachments"]["0"]["description"]["_errors"][0]["code"] == (
        "BASE_TYPE_MAX_LENGTH"
    )


def test_flags_a_bot_cannot_set_are_dropped_on_create() -> None:
    assert parse_message({"content": "x", "flags": 64 | 4}).flags == 4


def text_input(custom_id: str = "name", **extra: Any) -> dict[str, Any]:
    return {"type": 4, "custom_id": custom_id, "style": 1, "label": "Name", **extra}


def test_modals_are_checked() -> None:
    modal = {"custom_id": "m", "title": "Title", "components": [row(text_input())]}
    assert validate_modal(modal) is modal
    labelled = {
        "custom_id": "m",
        "title": "Title",
        "components": [{"type": 18, "label": "Name", "component": text_input(label=None)}],
    }
    assert validate_modal(labelled) is labelled
    errors = form_errors(validate_modal, {**modal, "title": "t" * 46})
    assert "title" in errors["data"]
    errors = form_errors(validate_modal, {**modal, "components": [row(text_input())] * 6})
    assert (
        errors["data"]["components"]["_errors"][0]["message"]
        == "Must be between 1 and 5 in length."
    )
    errors = form_errors(
        validate_modal, {**modal, "components": [row(text_input(max_length=4001))]}
    )
    assert "max_length" in errors["data"]["components"]["0"]["components"]["0"]


def chat_input(name: str = "play", **extra: Any) -> dict[str, Any]:
    return {"name": name, "description": "Play", "type": 1, **extra}


def test_commands_names_descriptions_and_defaults() -> None:
    [draft] = parse_commands([chat_input(dm_permission=False)])
    assert draft.contexts == [0]
    assert draft.integration_types == [0]
    [menu] = parse_commands([{"name": "Show Profile", "type": 2}])
    assert menu.description == ""
    errors = form_errors(parse_commands, [chat_input("Play"), chat_input("with space")])
    assert errors["0"]["name"]["_errors"][0]["code"] == "APPLICATION_COMMAND_INVALID_NAME"
    assert errors["1"]["name"]["_errors"][0]["code"] == "APPLICATION_COMMAND_INVALID_NAME"
    errors = form_errors(parse_commands, [chat_input(description="d" * 101)])
    assert (
        errors["0"]["description"]["_errors"][0]["message"]
        == "Must be between 1 and 100 in length."
    )
    errors = form_errors(parse_commands, [chat_input(), chat_input()])
    assert errors["1"]["name"]["_errors"][0]["code"] == "APPLICATION_COMMANDS_DUPLICATE_NAME"
    errors = form_errors(parse_command, {"name": "Menu", "type": 3, "description": "nope"})
    assert "description" in errors


def option(name: str, kind: int = 3, **extra: Any) -> dict[str, Any]:
    return {"name": name, "description": "An option", "type": kind, **extra}


def test_command_options_limits() -> None:
    too_many = chat_input(options=[option(f"o{i}") for i in range(26)])
    errors = form_errors(parse_commands, [too_many])
    assert errors["0"]["options"]["_errors"][0]["message"] == "Must be 25 or fewer in length."
    misordered = chat_input(options=[option("a"), option("b", required=True)])
    errors = form_errors(parse_commands, [misordered])
    assert errors["0"]["options"]["1"]["required"]["_errors"][0]["code"] == (
        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID"
    )
    choices = [{"name": f"c{i}", "value": f"v{i}"} for i in range(26)]
    errors = form_errors(parse_commands, [chat_input(options=[option("a", choices=choices)])])
    assert "choices" in errors["0"]["options"]["0"]
    mixed = chat_input(options=[option("sub", 1), option("value")])
    errors = form_errors(parse_commands, [mixed])
    assert (
        errors["0"]["options"]["_errors"][0]["code"] == "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID"
    )
    nested = chat_input(
        options=[option("group", 2, options=[option("sub", 1, options=[option("x")])])]
    )
    assert parse_commands([nested])[0].options[0]["name"] == "group"
    too_big = chat_input(options=[option(f"o{i}", description="d" * 100) for i in range(25)])
    too_big["options"][0]["choices"] = [{"name": "n" * 100, "value": "v" * 100}] * 25
    errors = form_errors(parse_commands, [too_big])
    assert errors["0"]["_errors"][0]["code"] == "APPLICATION_COMMAND_TOO_LARGE"


def test_too_many_commands_of_one_type() -> None:
    errors = form_errors(parse_commands, [chat_input(f"c{i}") for i in range(101)])
    assert errors["_errors"][0]["code"] == "APPLICATION_COMMANDS_TOO_MANY"
    assert len(parse_commands([chat_input(f"c{i}") for i in range(100)])) == 100
