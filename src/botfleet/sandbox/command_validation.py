"""Application commands a bot registers, and the modals and autocomplete choices it answers with.

Discord checks these with the same nested form errors as messages (see ``validation``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botfleet.sandbox.errors import FormErrors
from botfleet.sandbox.validation import (
    COMPONENT_ACTION_ROW,
    COMPONENT_LABEL,
    COMPONENT_TEXT_DISPLAY,
    COMPONENT_TEXT_INPUT,
    LABEL_DESCRIPTION_LIMIT,
    Path,
    optional_text,
    validate_custom_id,
)

if TYPE_CHECKING:
    pass

MODAL_TITLE_LIMIT = 45


MODAL_COMPONENTS_LIMIT = 5


TEXT_INPUT_LABEL_LIMIT = 45


TEXT_INPUT_VALUE_LIMIT = 4000


TEXT_INPUT_PLACEHOLDER_LIMIT = 100


COMMAND_NAME_LIMIT = 32


COMMAND_DESCRIPTION_LIMIT = 100


COMMAND_OPTIONS_LIMIT = 25


COMMAND_CHOICES_LIMIT = 25


COMMAND_CHOICE_LIMIT = 100


COMMAND_TOTAL_CHARACTERS = 4000


STRING_OPTION_LENGTH_LIMIT = 6000


CHAT_INPUT_COMMANDS_LIMIT = 100


CONTEXT_MENU_COMMANDS_LIMIT = 15


_SUBCOMMAND = 1


_SUBCOMMAND_GROUP = 2


_STRING_OPTION = 3


_INTEGER_OPTION = 4


_CHAT_INPUT = 1


_MAX_OPTION_TYPE = 11


_NAME_PUNCTUATION = frozenset("-_'")


def validate_modal(data: Any) -> dict[str, Any]:
    """Check a modal answer (interaction callback type 9) and return it."""
    errors = FormErrors()
    if not isinstance(data, dict):
        errors.add(("data",), "BASE_TYPE_REQUIRED", "This field is required")
        errors.raise_now()
    validate_custom_id(errors, ("data",), data.get("custom_id"), set())
    errors.length_between(("data", "title"), optional_text(data.get("title")), 1, MODAL_TITLE_LIMIT)
    components = data.get("components")
    if not isinstance(components, list) or not 1 <= len(components) <= MODAL_COMPONENTS_LIMIT:
        errors.add(
            ("data", "components"),
            "BASE_TYPE_BAD_LENGTH",
            f"Must be between 1 and {MODAL_COMPONENTS_LIMIT} in length.",
        )
        errors.raise_if_any()
        return data
    custom_ids: set[str] = set()
    for index, component in enumerate(components):
        path: Path = ("data", "components", index)
        kind = component.get("type") if isinstance(component, dict) else None
        if kind == COMPONENT_ACTION_ROW:
            children = component.get("components") or []
            if len(children) != 1 or children[0].get("type") != COMPONENT_TEXT_INPUT:
                errors.add(
                    (*path, "components"),
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 1 in length.",
                )
                continue
            _validate_text_input(
                errors, (*path, "components", 0), children[0], custom_ids, in_label=False
            )
        elif kind == COMPONENT_LABEL:
            errors.length_between(
                (*path, "label"), optional_text(component.get("label")), 1, TEXT_INPUT_LABEL_LIMIT
            )
            errors.max_length(
                (*path, "description"),
                optional_text(component.get("description")),
                LABEL_DESCRIPTION_LIMIT,
            )
            child = component.get("component")
            if not isinstance(child, dict):
                errors.add((*path, "component"), "BASE_TYPE_REQUIRED", "This field is required")
            elif child.get("type") == COMPONENT_TEXT_INPUT:
                _validate_text_input(errors, (*path, "component"), child, custom_ids, in_label=True)
            else:
                validate_custom_id(errors, (*path, "component"), child.get("custom_id"), custom_ids)
        elif kind != COMPONENT_TEXT_DISPLAY:
            errors.add(
                (*path, "type"),
                "UNION_TYPE_CHOICES",
                'Value of field "type" must be one of (1, 10, 18).',
            )
    errors.raise_if_any()
    return data


def _validate_text_input(
    errors: FormErrors,
    path: Path,
    text_input: dict[str, Any],
    custom_ids: set[str],
    *,
    in_label: bool,
) -> None:
    validate_custom_id(errors, path, text_input.get("custom_id"), custom_ids)
    if not in_label:
        errors.length_between(
            (*path, "label"), optional_text(text_input.get("label")), 1, TEXT_INPUT_LABEL_LIMIT
        )
    if text_input.get("style") not in (1, 2):
        errors.add((*path, "style"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2}.")
    for key, low in (("min_length", 0), ("max_length", 1)):
        bound = text_input.get(key)
        if bound is not None and not (
            isinstance(bound, int) and low <= bound <= TEXT_INPUT_VALUE_LIMIT
        ):
            errors.add(
                (*path, key), "NUMBER_TYPE_MAX", f"int value should be <= {TEXT_INPUT_VALUE_LIMIT}."
            )
    errors.max_length(
        (*path, "value"), optional_text(text_input.get("value")), TEXT_INPUT_VALUE_LIMIT
    )
    errors.max_length(
        (*path, "placeholder"),
        optional_text(text_input.get("placeholder")),
        TEXT_INPUT_PLACEHOLDER_LIMIT,
    )


def validate_autocomplete(data: Any, option_type: int) -> list[dict[str, Any]]:
    """Check an autocomplete answer (callback type 8) and return its choices.

    At most 25 choices, each named in 1 to 100 characters, with a value of the focused
    option's type (strings of 1 to 100 characters).
    """
    errors = FormErrors()
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list):
        errors.add(("data", "choices"), "BASE_TYPE_REQUIRED", "This field is required")
        errors.raise_now()
    errors.max_items(("data", "choices"), choices, COMMAND_CHOICES_LIMIT)
    for index, choice in enumerate(choices):
        path: Path = ("data", "choices", index)
        if not isinstance(choice, dict):
            errors.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            continue
        errors.length_between(
            (*path, "name"), optional_text(choice.get("name")), 1, COMMAND_CHOICE_LIMIT
        )
        _check_choice_value(errors, (*path, "value"), choice.get("value"), option_type)
    errors.raise_if_any()
    return choices


def _check_choice_value(errors: FormErrors, path: Path, value: Any, option_type: int) -> None:
    if option_type == _STRING_OPTION:
        if isinstance(value, str):
            errors.length_between(path, value, 1, COMMAND_CHOICE_LIMIT)
        else:
            errors.add(path, "BASE_TYPE_STRING", "Must be a string.")
        return
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if not numeric or (option_type == _INTEGER_OPTION and not isinstance(value, int)):
        kind = "int" if option_type == _INTEGER_OPTION else "number"
        errors.add(path, "NUMBER_TYPE_COERCE", f'Value "{value}" is not {kind}.')


@dataclass
class CommandDraft:
    """A validated application command definition from a sync request."""

    name: str
    type: int
    description: str
    options: list[dict[str, Any]]
    default_member_permissions: str | None
    contexts: list[int]
    integration_types: list[int]
    nsfw: bool
    name_localizations: dict[str, str] | None
    description_localizations: dict[str, str] | None


def parse_commands(body: Any) -> list[CommandDraft]:
    """Validate a bulk command overwrite (``PUT .../commands``) as Discord does."""
    errors = FormErrors()
    if not isinstance(body, list):
        errors.add((), "BASE_TYPE_ARRAY", "Must be an array.")
        errors.raise_now()
    drafts: list[CommandDraft] = []
    seen: set[tuple[int, str]] = set()
    for index, raw in enumerate(body):
        draft = _validate_command(errors, (index,), raw)
        if draft is None:
            continue
        if (draft.type, draft.name) in seen:
            errors.add(
                (index, "name"),
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                f"Application command names must be unique: {draft.name}",
            )
        seen.add((draft.type, draft.name))
        drafts.append(draft)
    for command_type, limit in (
        (1, CHAT_INPUT_COMMANDS_LIMIT),
        (2, CONTEXT_MENU_COMMANDS_LIMIT),
        (3, CONTEXT_MENU_COMMANDS_LIMIT),
    ):
        if sum(1 for draft in drafts if draft.type == command_type) > limit:
            errors.add(
                (),
                "APPLICATION_COMMANDS_TOO_MANY",
                f"Maximum number of application commands of type {command_type} reached ({limit})",
            )
    errors.raise_if_any()
    return drafts


def parse_command(body: Any) -> CommandDraft:
    """Validate a single command create or edit body."""
    errors = FormErrors()
    draft = _validate_command(errors, (), body)
    if draft is None or errors:
        errors.raise_now()
    return draft


def _validate_command(errors: FormErrors, path: Path, raw: Any) -> CommandDraft | None:
    if not isinstance(raw, dict):
        errors.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return None
    command_type = raw.get("type") or _CHAT_INPUT
    if command_type not in (1, 2, 3):
        errors.add((*path, "type"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3}.")
        return None
    name = optional_text(raw.get("name"))
    description = optional_text(raw.get("description")) or ""
    options = raw.get("options") or []
    if command_type == _CHAT_INPUT:
        _check_command_name(errors, (*path, "name"), name)
        errors.length_between((*path, "description"), description, 1, COMMAND_DESCRIPTION_LIMIT)
        _validate_options(errors, (*path, "options"), options, depth=0)
    else:
        errors.length_between((*path, "name"), name, 1, COMMAND_NAME_LIMIT)
        if description:
            errors.add(
                (*path, "description"),
                "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION",
                "Context menu commands cannot have a description",
            )
        if options:
            errors.add(
                (*path, "options"),
                "APPLICATION_COMMAND_CONTEXT_MENU_OPTIONS",
                "Context menu commands cannot have options",
            )
    if _command_size(name or "", description, options) > COMMAND_TOTAL_CHARACTERS:
        errors.add(
            path,
            "APPLICATION_COMMAND_TOO_LARGE",
            f"Command exceeds maximum size ({COMMAND_TOTAL_CHARACTERS})",
        )
    permissions = raw.get("default_member_permissions")
    if permissions is not None and not str(permissions).isdigit():
        errors.add(
            (*path, "default_member_permissions"), "NUMBER_TYPE_COERCE", "Value is not snowflake."
        )
    contexts = raw.get("contexts")
    if contexts is None:
        contexts = [0, 1, 2] if raw.get("dm_permission", True) is not False else [0]
    integration_types = raw.get("integration_types") or [0]
    return CommandDraft(
        name=name or "",
        type=int(command_type),
        description=description,
        options=list(options),
        default_member_permissions=None if permissions is None else str(permissions),
        contexts=list(contexts),
        integration_types=list(integration_types),
        nsfw=bool(raw.get("nsfw", False)),
        name_localizations=raw.get("name_localizations"),
        description_localizations=raw.get("description_localizations"),
    )


def _check_command_name(errors: FormErrors, path: Path, name: str | None) -> None:
    errors.length_between(path, name, 1, COMMAND_NAME_LIMIT)
    if not name:
        return
    if any(not (char.isalnum() or char in _NAME_PUNCTUATION) for char in name):
        errors.add(path, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    elif name != name.lower():
        errors.add(
            path,
            "APPLICATION_COMMAND_INVALID_NAME",
            "Command name is invalid: chat input names must be lowercase",
        )


def _validate_options(errors: FormErrors, path: Path, options: Any, *, depth: int) -> None:
    if not isinstance(options, list):
        errors.add(path, "BASE_TYPE_ARRAY", "Must be an array.")
        return
    errors.max_items(path, options, COMMAND_OPTIONS_LIMIT)
    names: set[str] = set()
    seen_optional = False
    kinds: set[bool] = set()
    for index, option in enumerate(options):
        option_path = (*path, index)
        if not isinstance(option, dict):
            errors.add(
                option_path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType"
            )
            continue
        option_type = option.get("type")
        if not isinstance(option_type, int) or not 1 <= option_type <= _MAX_OPTION_TYPE:
            errors.add((*option_path, "type"), "BASE_TYPE_CHOICES", "Value must be one of {1..11}.")
            continue
        is_group = option_type in (_SUBCOMMAND, _SUBCOMMAND_GROUP)
        kinds.add(is_group)
        name = optional_text(option.get("name"))
        _check_command_name(errors, (*option_path, "name"), name)
        if name in names:
            errors.add(
                (*option_path, "name"),
                "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS",
                "Option names must be unique",
            )
        names.add(name or "")
        errors.length_between(
            (*option_path, "description"),
            optional_text(option.get("description")),
            1,
            COMMAND_DESCRIPTION_LIMIT,
        )
        if is_group:
            _validate_group_option(errors, option_path, option, option_type, depth)
            continue
        required = bool(option.get("required", False))
        if required and seen_optional:
            errors.add(
                (*option_path, "required"),
                "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                "Required options must be placed before non-required options",
            )
        seen_optional = seen_optional or not required
        _validate_value_option(errors, option_path, option, option_type)
    if len(kinds) > 1:
        errors.add(
            path,
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Sub-command and sub-command group option types "
            "are mutually exclusive to all other types",
        )


def _validate_group_option(
    errors: FormErrors, path: Path, option: dict[str, Any], option_type: int, depth: int
) -> None:
    children = option.get("options") or []
    if option_type == _SUBCOMMAND_GROUP:
        if depth > 0 or any(child.get("type") != _SUBCOMMAND for child in children):
            errors.add(
                (*path, "options"),
                "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                "Sub-command groups may only hold sub-commands, at the top level",
            )
            return
    elif depth > 1 or any(
        child.get("type") in (_SUBCOMMAND, _SUBCOMMAND_GROUP) for child in children
    ):
        errors.add(
            (*path, "options"),
            "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
            "Sub-commands cannot hold sub-commands",
        )
        return
    _validate_options(errors, (*path, "options"), children, depth=depth + 1)


def _validate_value_option(
    errors: FormErrors, path: Path, option: dict[str, Any], option_type: int
) -> None:
    choices = option.get("choices") or []
    errors.max_items((*path, "choices"), choices, COMMAND_CHOICES_LIMIT)
    if choices and option.get("autocomplete"):
        errors.add(
            (*path, "autocomplete"),
            "APPLICATION_COMMAND_AUTOCOMPLETE_AND_CHOICES",
            "Autocomplete cannot be set on an option with choices",
        )
    for index, choice in enumerate(choices):
        choice_path = (*path, "choices", index)
        errors.length_between(
            (*choice_path, "name"), optional_text(choice.get("name")), 1, COMMAND_CHOICE_LIMIT
        )
        if option_type == _STRING_OPTION:
            errors.length_between(
                (*choice_path, "value"), optional_text(choice.get("value")), 1, COMMAND_CHOICE_LIMIT
            )
    if option_type == _STRING_OPTION:
        for key, low in (("min_length", 0), ("max_length", 1)):
            bound = option.get(key)
            if bound is not None and not (
                isinstance(bound, int) and low <= bound <= STRING_OPTION_LENGTH_LIMIT
            ):
                errors.add(
                    (*path, key),
                    "NUMBER_TYPE_MAX",
                    f"int value should be <= {STRING_OPTION_LENGTH_LIMIT}.",
                )


def _command_size(name: str, description: str, options: Any) -> int:
    """Characters counted towards Discord's 4000-character command limit."""
    total = len(name) + len(description)
    if not isinstance(options, list):
        return total
    for option in options:
        if not isinstance(option, dict):
            continue
        total += _command_size(
            str(option.get("name", "")), str(option.get("description", "")), option.get("options")
        )
        for choice in option.get("choices") or []:
            total += len(str(choice.get("name", ""))) + len(str(choice.get("value", "")))
    return total
