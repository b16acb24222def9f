"""The loader never crashes: every hostile input becomes one ScenarioError naming the
place and quoting the value, cut short (``procure/io.py``, ``procure/errors.py``)."""

from __future__ import annotations

import gc
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import DATASETS

import procure.io as pio
from procure.errors import LINE_LIMIT, Problem, ProcureError, ScenarioError, quote
from procure.io import (
    MAX_DEPTH,
    MAX_INT_DIGITS,
    load_scenario,
    parse_text,
    save_scenario,
    scenario_from_data,
)

TUTORIAL = (DATASETS / "tutorial.yaml").read_text(encoding="utf-8")
LOADERS = ["c", "python"]


def tutorial() -> dict[str, Any]:
    d: dict[str, Any] = yaml.safe_load(TUTORIAL)
    return d


def refused(text: str, fmt: str = "yaml") -> str:
    with pytest.raises(ScenarioError) as exc:
        parse_text(text, fmt)
    return str(exc.value)


def load_with(loader: str, text: str) -> Any:
    """Parse YAML with the C loader (the default) or the pure-Python fallback."""
    if loader == "c":
        return parse_text(text, "yaml")
    try:
        data, huge = pio._load_yaml(text, pio._NoAliasSafeLoader)
    except (yaml.YAMLError, pio._Refused) as err:
        raise ScenarioError([Problem("", str(err))]) from None
    if huge:
        raise ScenarioError(pio._huge_int_problems(data))
    return data


# -- the C loader ------------------------------------------------------------------------


def test_the_c_loader_is_used() -> None:
    assert yaml.__with_libyaml__
    assert issubclass(pio._FAST_LOADER, yaml.CSafeLoader)


def test_gc_is_restored_after_parsing() -> None:
    assert gc.isenabled()
    parse_text(TUTORIAL, "yaml")
    assert gc.isenabled()
    with pytest.raises(ScenarioError):
        parse_text("a: [", "yaml")
    assert gc.isenabled()
    gc.disable()
    try:
        parse_text(TUTORIAL, "yaml")
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()


def test_both_loaders_read_the_tutorial_alike() -> None:
    assert load_with("c", TUTORIAL) == load_with("python", TUTORIAL) == yaml.safe_load(TUTORIAL)


# -- nesting -----------------------------------------------------------------------------


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("text", [
    "[" * 330 + "]" * 330,  # the RecursionError of the pure-Python composer
    "{a: " * 400 + "1" + "}" * 400,
    "- " * 200 + "x",  # block sequences, one line
    "".join(" " * i + "a:\n" for i in range(120)) + " " * 120 + "b: 1\n",  # indentation
])
def test_deep_yaml_is_refused(loader: str, text: str) -> None:
    with pytest.raises(ScenarioError, match=f"nesting deeper than {MAX_DEPTH} levels"):
        load_with(loader, text)


@pytest.mark.parametrize("loader", LOADERS)
def test_yaml_depth_limit_is_exact(loader: str) -> None:
    ok = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert load_with(loader, ok) is not None
    with pytest.raises(ScenarioError, match="nesting deeper"):
        load_with(loader, "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))


def test_deep_yaml_with_anchor_characters_is_refused_from_events() -> None:
    # an '&' in a scalar sends the C path through the event check, which counts depth too
    text = "a: R&D\nb: " + "[" * 100 + "]" * 100
    assert "nesting deeper" in refused(text)


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_deep_json_is_refused(depth: int) -> None:
    assert f"nesting deeper than {MAX_DEPTH} levels" in refused("[" * depth + "]" * depth,
                                                              "json")


def test_json_depth_limit_is_exact_and_ignores_strings() -> None:
    assert parse_text("[" * MAX_DEPTH + "]" * MAX_DEPTH, "json") is not None
    assert "nesting" in refused("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "json")
    text = json.dumps({"name": "[" * 500 + '\\"{' * 100, "x": [[1]]})
    assert parse_text(text, "json")["x"] == [[1]]


def test_deep_python_data_is_refused() -> None:
    deep: Any = 1
    for _ in range(5000):
        deep = [deep]
    d = tutorial()
    d["name"] = deep
    with pytest.raises(ScenarioError, match="name"):
        scenario_from_data(d)


# -- integers too long to convert --------------------------------------------------------


@pytest.mark.parametrize("loader", LOADERS)
def test_long_yaml_integer_is_refused_with_its_path(loader: str) -> None:
    text = TUTORIAL.replace("unit_cost: 100", "unit_cost: " + "9" * 5000)
    with pytest.raises(ScenarioError) as exc:
        load_with(loader, text)
    msg = str(exc.value)
    assert "programs[0].unit_cost: integer with 5000 digits (line " in msg
    assert f"more than {MAX_INT_DIGITS} digits" in msg
    assert len(msg) < 300


def test_long_json_integer_is_refused_with_its_path() -> None:
    d = tutorial()
    text = json.dumps(d).replace('"unit_cost": 100', '"unit_cost": ' + "9" * 5000)
    msg = refused(text, "json")
    assert "programs[0].unit_cost: integer with 5000 digits" in msg


def test_long_integer_as_a_key_is_named() -> None:
    msg = refused("nrc:\n  ? " + "1" * 2000 + "\n  : 5\n")  # explicit: keys over 1024
    assert "nrc: integer with 2000 digits (line 2)" in msg


def test_integer_below_the_digit_limit_reaches_the_validator() -> None:
    d = parse_text("unit_cost: " + "9" * MAX_INT_DIGITS, "yaml")
    assert d["unit_cost"] == int("9" * MAX_INT_DIGITS)
    t = tutorial()
    t["programs"][0]["unit_cost"] = 10**5000  # beyond Python's own str() limit
    with pytest.raises(ScenarioError) as exc:
        scenario_from_data(t)
    assert "programs[0].unit_cost" in str(exc.value)
    assert "an integer with 5001 digits" in str(exc.value)


# -- anchors and aliases -----------------------------------------------------------------


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("text", [
    "name: &n x\n",  # an anchor alone (the old check let it through)
    "a: &a [1, 2]\n",
    "a: &a {b: 1}\n",
    "- &x 1\n",
    "? &k a\n: 1\n",
])
def test_anchors_are_refused(loader: str, text: str) -> None:
    with pytest.raises(ScenarioError, match=r"anchors \(&ref\) are not allowed"):
        load_with(loader, text)


@pytest.mark.parametrize("loader", LOADERS)
def test_aliases_are_refused(loader: str) -> None:
    with pytest.raises(ScenarioError, match=r"anchors|aliases"):
        load_with(loader, "a: &x 1\nb: *x\n")
    # an alias to an undefined anchor: refused before PyYAML would complain
    with pytest.raises(ScenarioError, match=r"aliases \(\*ref\) are not allowed"):
        load_with(loader, "b: *x\n")


def test_billion_laughs_is_refused_fast() -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    assert "not allowed" in refused("\n".join(lines))


def test_ampersand_and_star_in_scalars_are_fine() -> None:
    d = parse_text('name: R&D * 2\ndescription: "&x *y"\n', "yaml")
    assert d == {"name": "R&D * 2", "description": "&x *y"}


# -- values PyYAML cannot construct ------------------------------------------------------


@pytest.mark.parametrize(("text", "words"), [
    ("a: 2026-13-45\n", "2026-13-45"),
    ("a: !!float abc\n", "'abc'"),
    ("a: !!int abc\n", "'abc'"),
    ("a: !!timestamp x\n", "'x'"),
    ("a: !!binary 'a'\n", "base64"),
    ("a: !!python/object:os.system x\n", "constructor"),
    ("{[1]: 2}\n", "unhashable"),
    ("a: 1\n---\nb: 2\n", "single document"),
])
def test_unconstructible_values_are_named(text: str, words: str) -> None:
    msg = refused(text)
    assert "malformed YAML" in msg
    assert words in msg
    assert "line 1" in msg or "line 2" in msg or "line 3" in msg


# -- messages ----------------------------------------------------------------------------


def test_long_values_are_quoted_short() -> None:
    d = tutorial()
    d["programs"][0]["id"] = "x" * 100_000
    with pytest.raises(ScenarioError) as exc:
        scenario_from_data(d)
    msg = str(exc.value)
    assert len(msg) < 1000
    assert "programs[0].id" in msg
    assert "(100000 characters)" in msg


def test_quote() -> None:
    assert quote("abc") == "'abc'"
    assert quote("x" * 200) == repr("x" * 80) + "… (200 characters)"
    assert quote(b"y" * 100).endswith("… (100 bytes)")
    assert quote(10**5000) == "an integer with 5001 digits"
    assert quote(-(10**100)).startswith("an integer with 101 digits")
    assert quote(1.5) == "1.5"
    assert quote(None) == "None" and quote(True) == "True"
    assert quote("\x00\u202e") == repr("\x00\u202e")  # control characters escaped
    nested: Any = [1]
    for _ in range(1000):
        nested = [nested]
    assert len(quote(nested)) < 100
    assert len(quote({str(i): "v" * 1000 for i in range(100)})) < 100

    class Bad:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    assert quote(Bad()).startswith("<Bad")


def test_problem_lines_are_capped() -> None:
    err = ScenarioError([Problem("a", "m" * 5000)])
    line = str(err).splitlines()[1]
    assert len(line) < LINE_LIMIT + 40
    assert line.endswith("characters)")


@pytest.mark.parametrize(("doc", "path"), [
    ({"": 1}, "['']"),
    ({"programs": [{"": 1}]}, "programs[0]['']"),
    ({"a b": 1}, "['a b']"),
    ({"x" * 300: 1}, "characters)]"),
])
def test_odd_keys_name_their_path(doc: dict[str, Any], path: str) -> None:
    d = tutorial()
    for k, v in doc.items():
        if k == "programs":
            d["programs"][0].update(v[0])
        else:
            d[k] = v
    with pytest.raises(ScenarioError) as exc:
        scenario_from_data(d)
    lines = [ln for ln in str(exc.value).splitlines() if "unknown field" in ln]
    assert lines and all(path in ln for ln in lines), str(exc.value)
    assert not any(ln.strip() == "- unknown field" for ln in lines)


def test_dict_key_errors_name_the_key() -> None:
    d = tutorial()
    d["programs"][0]["nrc"] = {"soon": 5}
    with pytest.raises(ScenarioError) as exc:
        scenario_from_data(d)
    assert "programs[0].nrc.soon (the key)" in str(exc.value)


# -- files -------------------------------------------------------------------------------


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="is a directory"):
        load_scenario(tmp_path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "nope.yaml")


def test_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ScenarioError, match="not a regular file"):
        load_scenario(fifo)


def test_nul_in_path() -> None:
    with pytest.raises(ScenarioError, match=r"cannot read 'a\\x00b.yaml': the path holds a NUL"):
        load_scenario("a\x00b.yaml")


@pytest.mark.parametrize("exc", [PermissionError(13, "Permission denied"),
                                 IsADirectoryError(21, "Is a directory"),
                                 OSError(5, "Input/output error")])
def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                         exc: OSError) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(TUTORIAL)

    def fail(*args: object, **kwargs: object) -> None:
        raise exc

    monkeypatch.setattr(Path, "open", fail)
    with pytest.raises(ProcureError) as info:
        load_scenario(p)
    assert isinstance(info.value, ScenarioError)
    assert f"cannot read {p}: {exc.strerror}" in str(info.value)


def test_undecodable_bytes_name_line_and_byte(tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    p.write_bytes(TUTORIAL.encode() + b"\nname: caf\xe9\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(p)
    line = TUTORIAL.count("\n") + 2
    assert f"not UTF-8 text: byte e9 at line {line}" in str(exc.value)


@pytest.mark.parametrize(("encoding", "name"), [("utf-16", "UTF-16"), ("utf-32", "UTF-32")])
def test_utf16_and_utf32_are_named(tmp_path: Path, encoding: str, name: str) -> None:
    p = tmp_path / "s.yaml"
    p.write_bytes(TUTORIAL.encode(encoding))
    with pytest.raises(ScenarioError, match=f"the file is {name} text"):
        load_scenario(p)


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_utf8_bom_is_accepted(tmp_path: Path, suffix: str) -> None:
    p = tmp_path / f"s{suffix}"
    text = TUTORIAL if suffix == ".yaml" else json.dumps(tutorial())
    p.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert load_scenario(p).name == "tutorial"


def test_latin1_file(tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    p.write_bytes(TUTORIAL.replace("Alpha", "Alpha é").encode("latin-1"))
    with pytest.raises(ScenarioError, match="not UTF-8 text"):
        load_scenario(p)


def test_file_growing_past_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(TUTORIAL)
    monkeypatch.setattr(pio, "MAX_BYTES", 100)
    with pytest.raises(ScenarioError, match="limit"):
        load_scenario(p)


def test_roundtrip_still_exact(tmp_path: Path) -> None:
    s = scenario_from_data(tutorial())
    for name in ("s.yaml", "s.json"):
        save_scenario(s, tmp_path / name)
        assert load_scenario(tmp_path / name) == s
