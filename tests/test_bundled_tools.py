"""The bundled developer-utilities toolbox: exact results on known vectors, clear errors."""

import inspect
import json
import re
import typing

import pytest

from conftest import require_module
from ste.tools.bundled import toolbox

TOOL_NAMES = [
    "hash_text",
    "base64_convert",
    "subnet_info",
    "compare_versions",
    "convert_color",
    "roman_numeral",
    "parse_url",
    "http_status",
    "unix_time",
    "validate_isbn",
]


def _public_functions() -> dict[str, typing.Callable]:
    return {
        name: value
        for name, value in vars(toolbox).items()
        if inspect.isfunction(value)
        and not name.startswith("_")
        and value.__module__ == toolbox.__name__
    }


# --------------------------------------------------------------------------- format
def test_the_module_defines_exactly_the_ten_tools_in_order():
    assert list(_public_functions()) == TOOL_NAMES


def test_every_tool_documents_and_type_hints_every_parameter():
    for name, function in _public_functions().items():
        doc = inspect.getdoc(function)
        assert doc, f"{name} has no docstring"
        assert doc.split("\n\n", 1)[0].strip(), f"{name} has no description paragraph"
        assert "\nArgs:\n" in doc, f"{name} has no Args: section"
        args_section = doc.split("\nArgs:\n", 1)[1].split("\n\n", 1)[0]
        hints = typing.get_type_hints(function)
        for parameter in inspect.signature(function).parameters:
            assert re.search(rf"^\s+{parameter}:\s+\S", args_section, re.MULTILINE), (
                f"{name}: parameter {parameter!r} is not described under Args:"
            )
            assert parameter in hints, f"{name}: parameter {parameter!r} has no type hint"
        assert "Returns:" in doc, f"{name} has no Returns: section"


def test_the_project_loader_reads_the_bundled_toolbox():
    require_module("docstring_parser")
    require_module("jsonschema")
    from ste.tools.python_source import load_python_tools

    tools = load_python_tools()
    assert [tool.name for tool in tools] == TOOL_NAMES
    unix = next(tool for tool in tools if tool.name == "unix_time")
    assert unix.parameters["required"] == ["value", "to"]
    assert unix.parameters["properties"]["to"]["enum"] == ["iso", "unix"]
    assert all(tool.description for tool in tools)


# --------------------------------------------------------------------------- hash_text
def test_hash_text_known_vectors():
    assert toolbox.hash_text("abc") == {
        "algorithm": "sha256",
        "output": "hex",
        "digest": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "digest_bits": 256,
        "input_bytes": 3,
    }
    assert toolbox.hash_text("abc", "md5")["digest"] == "900150983cd24fb0d6963f7d28e17f72"
    assert (
        toolbox.hash_text("abc", algorithm="sha1")["digest"]
        == "a9993e364706816aba3e25717850c26c9cd0d89d"
    )
    assert (
        toolbox.hash_text("abc", output="base64")["digest"]
        == "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
    )
    # RFC 7693 appendix A: BLAKE2b-512("abc") starts BA 80 A5 3F 98 1C 4D 0D.
    blake = toolbox.hash_text("abc", algorithm="blake2b")
    assert blake["digest"].startswith("ba80a53f981c4d0d") and blake["digest_bits"] == 512


def test_hash_text_hashes_the_text_exactly_as_given():
    assert toolbox.hash_text("abc\n")["digest"] != toolbox.hash_text("abc")["digest"]
    assert toolbox.hash_text("é")["input_bytes"] == 2  # UTF-8


def test_hash_text_refuses_unknown_algorithms_and_non_strings():
    with pytest.raises(ValueError, match=r"algorithm must be one of md5, sha1, .*'sha-256'"):
        toolbox.hash_text("abc", algorithm="sha-256")
    with pytest.raises(ValueError, match="output must be one of hex, base64"):
        toolbox.hash_text("abc", output="binary")
    with pytest.raises(ValueError, match="text must be a string"):
        toolbox.hash_text(123)
    with pytest.raises(ValueError, match="at most 100,000 characters"):
        toolbox.hash_text("a" * 100_001)


# --------------------------------------------------------------------------- base64_convert
def test_base64_encode_and_decode():
    assert toolbox.base64_convert("hello world") == {
        "mode": "encode",
        "urlsafe": False,
        "result": "aGVsbG8gd29ybGQ=",
        "input_length": 11,
        "byte_length": 11,
    }
    decoded = toolbox.base64_convert("aGVsbG8gd29ybGQ=", mode="decode")
    assert decoded["result"] == "hello world"
    assert toolbox.base64_convert("??>")["result"] == "Pz8+"
    assert toolbox.base64_convert("??>", urlsafe=True)["result"] == "Pz8-"


def test_base64_urlsafe_decoding_accepts_missing_padding():
    result = toolbox.base64_convert("aGVsbG8gd29ybGQ", mode="decode", urlsafe=True)
    assert result["result"] == "hello world"


def test_base64_decode_errors():
    with pytest.raises(ValueError, match="add '=' at the end"):
        toolbox.base64_convert("aGVsbG8gd29ybGQ", mode="decode")
    with pytest.raises(ValueError, match="URL-safe alphabet; call again with urlsafe=true"):
        toolbox.base64_convert("Pz8-", mode="decode")
    with pytest.raises(ValueError, match=r"outside the Base64 alphabet \('\*'\)"):
        toolbox.base64_convert("a*b=", mode="decode")
    with pytest.raises(ValueError, match="not valid UTF-8 text"):
        toolbox.base64_convert("/w==", mode="decode")
    with pytest.raises(ValueError, match="mode must be one of encode, decode"):
        toolbox.base64_convert("x", mode="Decode")
    with pytest.raises(ValueError, match="urlsafe must be a boolean"):
        toolbox.base64_convert("x", urlsafe=1)


# --------------------------------------------------------------------------- subnet_info
def test_subnet_info_ipv4():
    assert toolbox.subnet_info("192.168.1.0/24") == {
        "version": 4,
        "network": "192.168.1.0/24",
        "network_address": "192.168.1.0",
        "prefix_length": 24,
        "netmask": "255.255.255.0",
        "hostmask": "0.0.0.255",
        "broadcast": "192.168.1.255",
        "num_addresses": 256,
        "usable_hosts": 254,
        "first_host": "192.168.1.1",
        "last_host": "192.168.1.254",
        "is_private": True,
        "note": None,
    }


def test_subnet_info_host_bits_small_prefixes_and_ipv6():
    info = toolbox.subnet_info("10.1.2.3/8")
    assert info["network"] == "10.0.0.0/8"
    assert "host bits were set" in info["note"]
    assert info["usable_hosts"] == 2**24 - 2
    p2p = toolbox.subnet_info("198.51.100.0/31")
    assert (p2p["usable_hosts"], p2p["first_host"], p2p["last_host"]) == (
        2,
        "198.51.100.0",
        "198.51.100.1",
    )
    assert p2p["is_private"] is True  # 198.51.100.0/24 is TEST-NET-2
    assert toolbox.subnet_info("8.8.8.0/24")["is_private"] is False
    v6 = toolbox.subnet_info("2001:db8::/64")
    assert v6["version"] == 6 and v6["broadcast"] is None
    assert v6["num_addresses"] == 2**64 and v6["usable_hosts"] == 2**64 - 1
    assert v6["first_host"] == "2001:db8::1"
    assert v6["last_host"] == "2001:db8::ffff:ffff:ffff:ffff"


def test_subnet_info_errors():
    with pytest.raises(ValueError, match=r"must include a prefix length.*'192\.168\.1\.10/32'"):
        toolbox.subnet_info("192.168.1.10")
    with pytest.raises(ValueError, match="not a valid IPv4 or IPv6 network"):
        toolbox.subnet_info("192.168.1.0/33")
    with pytest.raises(ValueError, match="cidr must be a string"):
        toolbox.subnet_info(24)


# --------------------------------------------------------------------------- compare_versions
def test_compare_versions_result_layout():
    assert toolbox.compare_versions("1.10.0", "1.9.3") == {
        "comparison": 1,
        "newer": "a",
        "version_a": {"major": 1, "minor": 10, "patch": 0, "prerelease": None, "build": None},
        "version_b": {"major": 1, "minor": 9, "patch": 3, "prerelease": None, "build": None},
    }


def test_compare_versions_follows_the_semver_precedence_example():
    # The ordering given in semver.org section 11.
    chain = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "2.0.0",
        "2.1.0",
        "2.1.1",
    ]
    for i, older in enumerate(chain):
        for newer in chain[i + 1 :]:
            assert toolbox.compare_versions(older, newer)["comparison"] == -1
            assert toolbox.compare_versions(newer, older)["newer"] == "a"


def test_compare_versions_ignores_build_metadata():
    result = toolbox.compare_versions("1.0.0+build.1", "1.0.0+build.2")
    assert (result["comparison"], result["newer"]) == (0, "equal")
    assert result["version_a"]["build"] == "build.1"


def test_compare_versions_refuses_non_semver_with_hints():
    with pytest.raises(ValueError, match="drop the leading 'v' and write '1.2.3'"):
        toolbox.compare_versions("v1.2.3", "1.0.0")
    with pytest.raises(ValueError, match="all three parts are required, e.g. '1.2.0'"):
        toolbox.compare_versions("1.0.0", "1.2")
    with pytest.raises(ValueError, match="leading zeros"):
        toolbox.compare_versions("01.2.3", "1.0.0")
    with pytest.raises(ValueError, match="version_b must be a string"):
        toolbox.compare_versions("1.0.0", 1.0)


# --------------------------------------------------------------------------- convert_color
def test_convert_color_between_notations():
    assert toolbox.convert_color("#ff8800", "hsl") == {
        "input_format": "hex",
        "to_format": "hsl",
        "result": "hsl(32, 100%, 50%)",
        "components": {"h": 32, "s": 100, "l": 50},
    }
    assert toolbox.convert_color("#F80", "rgb")["result"] == "rgb(255, 136, 0)"
    assert toolbox.convert_color("rgb(255, 136, 0)", "hex")["result"] == "#ff8800"
    assert toolbox.convert_color("hsl(120, 100%, 25%)", "hex")["result"] == "#008000"
    # r=18 g=52 b=86: l = (86+18)/510, s = 68/104, h = 60 * (4 - 34/68)
    assert toolbox.convert_color("#123456", "hsl")["result"] == "hsl(210, 65.4%, 20.4%)"


def test_convert_color_errors():
    with pytest.raises(ValueError, match="CSS color names are not accepted; write 'red' as"):
        toolbox.convert_color("red", "hex")
    with pytest.raises(ValueError, match="needs a '%' sign"):
        toolbox.convert_color("hsl(32, 100, 50)", "rgb")
    with pytest.raises(ValueError, match="need a leading '#': write '#ff8800'"):
        toolbox.convert_color("ff8800", "rgb")
    with pytest.raises(ValueError, match="integers from 0 to 255"):
        toolbox.convert_color("rgb(256, 0, 0)", "hex")
    with pytest.raises(ValueError, match="to_format must be one of hex, rgb, hsl"):
        toolbox.convert_color("#ffffff", "cmyk")


# --------------------------------------------------------------------------- roman_numeral
def test_roman_numeral_both_directions():
    assert toolbox.roman_numeral("1994") == {
        "input": "1994",
        "direction": "arabic_to_roman",
        "arabic": 1994,
        "roman": "MCMXCIV",
    }
    assert toolbox.roman_numeral("3999")["roman"] == "MMMCMXCIX"
    back = toolbox.roman_numeral("mmxxiv")
    assert (back["direction"], back["arabic"], back["roman"]) == ("roman_to_arabic", 2024, "MMXXIV")


def test_roman_numeral_errors():
    with pytest.raises(ValueError, match="'IIII' is not a canonical Roman numeral; 4 is written"):
        toolbox.roman_numeral("IIII")
    with pytest.raises(ValueError, match="99 is written 'XCIX'"):
        toolbox.roman_numeral("IC")
    with pytest.raises(ValueError, match="cover 1 to 3999; got 4000"):
        toolbox.roman_numeral("4000")
    with pytest.raises(ValueError, match="cover 1 to 3999; got 0"):
        toolbox.roman_numeral("0")
    with pytest.raises(ValueError, match="value must be a string, e.g. '1994'"):
        toolbox.roman_numeral(1994)
    with pytest.raises(ValueError, match="only I, V, X, L, C, D, M"):
        toolbox.roman_numeral("12a")


# --------------------------------------------------------------------------- parse_url
def test_parse_url_parts():
    assert toolbox.parse_url("https://Example.com:8443/a/b?x=1&x=2&q=a+b&empty=#top") == {
        "scheme": "https",
        "host": "example.com",
        "port": 8443,
        "port_is_default": False,
        "username": None,
        "has_password": False,
        "path": "/a/b",
        "query": "x=1&x=2&q=a+b&empty=",
        "query_params": {"x": ["1", "2"], "q": ["a b"], "empty": [""]},
        "fragment": "top",
    }


def test_parse_url_default_ports_and_ipv6_hosts():
    plain = toolbox.parse_url("http://example.com")
    assert (plain["port"], plain["port_is_default"], plain["path"]) == (80, True, "")
    assert toolbox.parse_url("wss://chat.example.org/socket")["port"] == 443
    assert toolbox.parse_url("ftp://files.example.org/pub")["port"] == 21
    assert toolbox.parse_url("ssh://git@example.org/repo")["port"] is None
    v6 = toolbox.parse_url("http://[::1]:8080/health")
    assert (v6["host"], v6["port"]) == ("::1", 8080)


def test_parse_url_errors():
    with pytest.raises(ValueError, match=r"did you mean 'https://example\.com/path'"):
        toolbox.parse_url("example.com/path")
    with pytest.raises(ValueError, match="Port out of range"):
        toolbox.parse_url("http://example.com:99999/")
    with pytest.raises(ValueError, match="percent-encode a space as %20"):
        toolbox.parse_url("https://example.com/a b")


# --------------------------------------------------------------------------- http_status
def test_http_status_lookup():
    assert toolbox.http_status(404) == {
        "code": 404,
        "phrase": "Not Found",
        "name": "NOT_FOUND",
        "description": "Nothing matches the given URI",
        "class": "4xx Client Error",
        "is_error": True,
    }
    ok = toolbox.http_status(200)
    assert (ok["phrase"], ok["class"], ok["is_error"]) == ("OK", "2xx Success", False)
    assert toolbox.http_status(503)["class"] == "5xx Server Error"
    assert toolbox.http_status(301)["phrase"] == "Moved Permanently"


def test_http_status_errors():
    with pytest.raises(ValueError, match=r"299 is not a registered .*300 Multiple Choices"):
        toolbox.http_status(299)
    with pytest.raises(ValueError, match="from 100 to 599; got 42"):
        toolbox.http_status(42)
    with pytest.raises(ValueError, match="not a string; send 404 without quotes"):
        toolbox.http_status("404")
    with pytest.raises(ValueError, match="got boolean True"):
        toolbox.http_status(True)


# --------------------------------------------------------------------------- unix_time
def test_unix_time_epoch_to_iso():
    assert toolbox.unix_time("1700000000", "iso") == {
        "result": "2023-11-14T22:13:20Z",
        "unix": 1700000000,
        "iso": "2023-11-14T22:13:20Z",
        "weekday": "Tuesday",
    }
    epoch = toolbox.unix_time("0", to="iso")
    assert (epoch["result"], epoch["weekday"]) == ("1970-01-01T00:00:00Z", "Thursday")
    half = toolbox.unix_time("1700000000.5", to="iso")
    assert (half["result"], half["unix"]) == ("2023-11-14T22:13:20.500000Z", 1700000000.5)


def test_unix_time_iso_to_epoch():
    # 2024-03-01T00:00:00Z is 1704067200 (2024-01-01) + 60 days.
    result = toolbox.unix_time("2024-03-01T12:00:00+01:00", to="unix")
    assert result == {
        "result": 1704067200 + 60 * 86400 + 11 * 3600,
        "unix": 1709290800,
        "iso": "2024-03-01T11:00:00Z",
        "weekday": "Friday",
    }
    assert toolbox.unix_time("1970-01-01T00:00:00Z", to="unix")["result"] == 0


def test_unix_time_errors():
    with pytest.raises(ValueError, match="has no UTC offset.*'2024-03-01T12:00:00Z'"):
        toolbox.unix_time("2024-03-01T12:00:00", to="unix")
    with pytest.raises(ValueError, match="looks like milliseconds, divide by 1000"):
        toolbox.unix_time("1700000000000", to="iso")
    with pytest.raises(ValueError, match="call with to='unix'"):
        toolbox.unix_time("2024-03-01T12:00:00Z", to="iso")
    with pytest.raises(ValueError, match="looks like epoch seconds already"):
        toolbox.unix_time("1700000000", to="unix")
    with pytest.raises(ValueError, match="value must be a string, e.g. '1700000000'"):
        toolbox.unix_time(1700000000, to="iso")
    with pytest.raises(ValueError, match="to must be one of iso, unix"):
        toolbox.unix_time("1700000000", to="ISO")


# --------------------------------------------------------------------------- validate_isbn
def test_validate_isbn_valid_numbers():
    assert toolbox.validate_isbn("0-306-40615-2") == {
        "input": "0-306-40615-2",
        "normalized": "0306406152",
        "kind": "ISBN-10",
        "valid": True,
        "isbn13": "9780306406157",
        "isbn10": "0306406152",
        "expected_check_digit": None,
        "reason": None,
    }
    thirteen = toolbox.validate_isbn("978 0 306 40615 7")
    assert (thirteen["kind"], thirteen["valid"], thirteen["isbn10"]) == (
        "ISBN-13",
        True,
        "0306406152",
    )
    assert toolbox.validate_isbn("0-8044-2957-x")["normalized"] == "080442957X"


def test_validate_isbn_invalid_check_digit():
    result = toolbox.validate_isbn("0-306-40615-3")
    assert (result["valid"], result["expected_check_digit"], result["isbn13"]) == (
        False,
        "2",
        None,
    )
    assert toolbox.validate_isbn("9780306406158")["expected_check_digit"] == "7"
    assert "978 or 979" in toolbox.validate_isbn("4006381333931")["reason"]


def test_validate_isbn_errors():
    with pytest.raises(ValueError, match="10 or 13 digits.*got 9"):
        toolbox.validate_isbn("030640615")
    with pytest.raises(ValueError, match="only digits, hyphens and spaces"):
        toolbox.validate_isbn("0-306-4O615-2")
    with pytest.raises(ValueError, match="'X' .* only allowed as the check character"):
        toolbox.validate_isbn("08044X9570")


# --------------------------------------------------------------------------- all tools
@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("hash_text", {"text": "abc"}),
        ("base64_convert", {"text": "abc"}),
        ("subnet_info", {"cidr": "2001:db8::/32"}),
        ("compare_versions", {"version_a": "1.0.0", "version_b": "1.0.1"}),
        ("convert_color", {"color": "#abcdef", "to_format": "hsl"}),
        ("roman_numeral", {"value": "42"}),
        ("parse_url", {"url": "https://example.com/?a=1"}),
        ("http_status", {"code": 418}),
        ("unix_time", {"value": "1700000000", "to": "iso"}),
        ("validate_isbn", {"isbn": "9780306406157"}),
    ],
)
def test_results_are_json_and_deterministic(name, kwargs):
    function = getattr(toolbox, name)
    first = function(**kwargs)
    assert isinstance(first, dict)
    assert json.loads(json.dumps(first)) == first
    assert function(**kwargs) == first
