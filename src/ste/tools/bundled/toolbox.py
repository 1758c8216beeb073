"""Developer utilities: the bundled default toolbox of 10 offline, deterministic tools.

Every public top-level function below is one tool: its name is the tool name, the first
paragraph of its docstring the description, its type hints and `Args:` section the parameters.
Only the standard library is used; nothing reads the clock, a random source, the network or
the environment, inputs are size-capped, and bad input raises ValueError saying what is accepted.
"""

import base64
import binascii
import colorsys
import datetime
import decimal
import hashlib
import http
import ipaddress
import math
import re
import urllib.parse
from typing import Any, Literal

from ste.tools.effects import read_only  # each tool here only computes: it always runs

_MAX_TEXT = 100_000  # characters; keeps every call fast
_MAX_SHORT = 256  # characters for one-token inputs (versions, colours, numbers)
_MAX_URL = 8_192

# =========================================================================== helpers


def _type_name(value: Any) -> str:
    return "boolean" if isinstance(value, bool) else type(value).__name__


def _string(name: str, value: Any, max_len: int = _MAX_TEXT, example: str = "") -> str:
    """A str argument, unchanged (callers strip when whitespace is not significant)."""
    if not isinstance(value, str):
        hint = f", e.g. {example!r}" if example else ""
        raise ValueError(f"{name} must be a string{hint}; got {_type_name(value)} {value!r}")
    if len(value) > max_len:
        raise ValueError(f"{name} must be at most {max_len:,} characters; got {len(value):,}")
    return value


def _required(name: str, value: Any, max_len: int = _MAX_SHORT, example: str = "") -> str:
    """A non-empty str argument with surrounding whitespace removed."""
    text = _string(name, value, max_len, example).strip()
    if not text:
        hint = f", e.g. {example!r}" if example else ""
        raise ValueError(f"{name} must not be empty{hint}")
    return text


def _choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(
            f"{name} must be a boolean (true or false); got {_type_name(value)} {value!r}"
        )
    return value


def _utf8(name: str, text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            f"{name} contains characters that cannot be encoded as UTF-8 "
            "(lone surrogates); send ordinary Unicode text"
        ) from None


# =========================================================================== 1. hash_text
_HASH_ALGORITHMS = ("md5", "sha1", "sha256", "sha512", "blake2b")


@read_only
def hash_text(
    text: str,
    algorithm: Literal["md5", "sha1", "sha256", "sha512", "blake2b"] = "sha256",
    output: Literal["hex", "base64"] = "hex",
) -> dict:
    """Compute a cryptographic digest (checksum) of a text, hashed exactly as given in UTF-8.

    Args:
        text: The text to hash, up to 100,000 characters. It is hashed byte for byte as UTF-8:
            nothing is trimmed and no trailing newline is added, so "abc" and "abc\\n" differ.
            May be empty.
        algorithm: The hash function, lower-case without hyphens: "md5", "sha1", "sha256",
            "sha512" or "blake2b" (BLAKE2b with its full 512-bit digest). Default "sha256".
        output: How the digest is written: "hex" (lower-case hexadecimal, the usual checksum
            form) or "base64" (standard alphabet with '=' padding). Default "hex".

    Returns:
        {"algorithm", "output", "digest", "digest_bits", "input_bytes"}.
    """
    data = _utf8("text", _string("text", text, example="hello world"))
    algorithm = _choice("algorithm", algorithm, _HASH_ALGORITHMS)
    output = _choice("output", output, ("hex", "base64"))
    digest = hashlib.new(algorithm, data).digest()
    written = digest.hex() if output == "hex" else base64.b64encode(digest).decode("ascii")
    return {
        "algorithm": algorithm,
        "output": output,
        "digest": written,
        "digest_bits": len(digest) * 8,
        "input_bytes": len(data),
    }


# =========================================================================== 2. base64_convert
_B64_STANDARD = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_B64_URLSAFE = re.compile(r"[A-Za-z0-9\-_]*={0,2}")


def _b64_decode(encoded: str, urlsafe: bool) -> bytes:
    encoded = "".join(encoded.split())  # line-wrapped (MIME) input is common
    alphabet = _B64_URLSAFE if urlsafe else _B64_STANDARD
    if not alphabet.fullmatch(encoded):
        if not urlsafe and re.search(r"[-_]", encoded):
            raise ValueError(
                "text contains '-' or '_', which belong to the URL-safe alphabet; "
                "call again with urlsafe=true"
            )
        if urlsafe and re.search(r"[+/]", encoded):
            raise ValueError(
                "text contains '+' or '/', which belong to the standard alphabet; "
                "call again with urlsafe=false"
            )
        bad = sorted({c for c in encoded if not (c.isascii() and (c.isalnum() or c in "+/-_="))})
        where = f" ({', '.join(repr(c) for c in bad[:5])})" if bad else ""
        raise ValueError(
            f"text is not valid Base64: it contains characters outside the "
            f"Base64 alphabet{where} or '=' before the end"
        )
    missing = -len(encoded) % 4
    if missing == 3:
        raise ValueError(
            f"text is not valid Base64: its length {len(encoded)} leaves one "
            "stray character (length modulo 4 is 1); the input is truncated "
            "or has an extra character"
        )
    if missing:
        if not urlsafe:
            raise ValueError(
                f"text is not valid Base64: its length must be a multiple of 4 "
                f"including '=' padding; add {'=' * missing!r} at the end "
                "(only urlsafe=true accepts unpadded input)"
            )
        encoded += "=" * missing
    try:
        altchars = b"-_" if urlsafe else None
        return base64.b64decode(encoded, altchars=altchars, validate=True)
    except binascii.Error as error:
        raise ValueError(f"text is not valid Base64: {error}") from None


@read_only
def base64_convert(
    text: str,
    mode: Literal["encode", "decode"] = "encode",
    urlsafe: bool = False,
) -> dict:
    """Encode UTF-8 text to Base64, or decode Base64 back to UTF-8 text.

    Args:
        text: In "encode" mode the plain text to encode (as UTF-8, nothing trimmed). In "decode"
            mode the Base64 string; whitespace and line breaks inside it are ignored. With the
            standard alphabet the '=' padding is required (length a multiple of 4); with
            urlsafe=true missing padding is accepted, as in JWTs. Up to 100,000 characters.
        mode: "encode" (text -> Base64, the default) or "decode" (Base64 -> text).
        urlsafe: false (default) for the standard alphabet with '+' and '/'; true for the
            URL- and filename-safe alphabet with '-' and '_' (RFC 4648 section 5). Encoding
            always writes '=' padding.

    Returns:
        {"mode", "urlsafe", "result", "input_length", "byte_length"}; byte_length is the number
        of raw bytes (the UTF-8 text's bytes). Decoding bytes that are not UTF-8 text is an
        error, since only text can be returned.
    """
    text = _string("text", text, example="aGVsbG8=")
    mode = _choice("mode", mode, ("encode", "decode"))
    urlsafe = _flag("urlsafe", urlsafe)
    if mode == "encode":
        raw = _utf8("text", text)
        encoder = base64.urlsafe_b64encode if urlsafe else base64.b64encode
        result = encoder(raw).decode("ascii")
    else:
        raw = _b64_decode(text, urlsafe)
        try:
            result = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(
                f"the decoded {len(raw)} bytes are not valid UTF-8 text (binary "
                "data such as an image or a key); this tool only returns text"
            ) from None
    return {
        "mode": mode,
        "urlsafe": urlsafe,
        "result": result,
        "input_length": len(text),
        "byte_length": len(raw),
    }


# =========================================================================== 3. subnet_info
def _usable_range(
    network: ipaddress.IPv4Network | ipaddress.IPv6Network,
) -> tuple[int, Any, Any]:
    """(count, first, last) of assignable host addresses."""
    size = network.num_addresses
    if network.version == 4:
        if size <= 2:  # /31 point-to-point links (RFC 3021) and /32 single hosts use all
            return size, network.network_address, network.broadcast_address
        return size - 2, network.network_address + 1, network.broadcast_address - 1
    if size <= 2:  # /127 and /128
        return size, network.network_address, network.broadcast_address
    # The all-zeros address is the Subnet-Router anycast address; IPv6 has no broadcast.
    return size - 1, network.network_address + 1, network.broadcast_address


@read_only
def subnet_info(cidr: str) -> dict:
    """Describe an IPv4 or IPv6 network given in CIDR notation such as "192.168.1.0/24".

    Args:
        cidr: The network as address/prefix-length, e.g. "10.0.0.0/8", "192.168.1.0/24" or
            "2001:db8::/32". The prefix is required: a bare address such as "192.168.1.10" is
            refused (use /32 or /128 for a single host). An address with host bits set, such as
            "192.168.1.10/24", is accepted and describes its network 192.168.1.0/24, which the
            result's "note" points out.

    Returns:
        {"version", "network", "network_address", "prefix_length", "netmask", "hostmask",
        "broadcast" (IPv4 only, null for IPv6), "num_addresses", "usable_hosts", "first_host",
        "last_host", "is_private", "note"}. Usable hosts exclude the network and broadcast
        addresses (except /31 and /32); for IPv6 only the subnet-router address is excluded.
    """
    text = _required("cidr", cidr, example="192.168.1.0/24")
    if "/" not in text:
        raise ValueError(
            f"cidr must include a prefix length, e.g. '192.168.1.0/24' or '2001:db8::/32'; "
            f"got {text!r} (for a single host write '{text}/32', or '/128' for IPv6)"
        )
    try:
        interface = ipaddress.ip_interface(text)
    except ValueError as error:
        raise ValueError(
            f"cidr {text!r} is not a valid IPv4 or IPv6 network ({error}); expected "
            "address/prefix such as '192.168.1.0/24' (IPv4 prefix 0-32, IPv6 prefix 0-128)"
        ) from None
    network = interface.network
    note = None
    if interface.ip != network.network_address:
        note = f"host bits were set in {text!r}; showing its network {network.with_prefixlen}"
    count, first, last = _usable_range(network)
    return {
        "version": network.version,
        "network": network.with_prefixlen,
        "network_address": str(network.network_address),
        "prefix_length": network.prefixlen,
        "netmask": str(network.netmask),
        "hostmask": str(network.hostmask),
        "broadcast": str(network.broadcast_address) if network.version == 4 else None,
        "num_addresses": network.num_addresses,
        "usable_hosts": count,
        "first_host": str(first),
        "last_host": str(last),
        "is_private": network.is_private,
        "note": note,
    }


# =========================================================================== 4. compare_versions
_IDENT = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_SEMVER = re.compile(
    r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    rf"(?:-({_IDENT}(?:\.{_IDENT})*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)


def _semver_hint(text: str) -> str:
    if re.fullmatch(r"[vV]\d.*", text):
        return f"; drop the leading 'v' and write {text[1:]!r}"
    core = re.split(r"[-+]", text, maxsplit=1)[0]
    parts = core.split(".")
    if all(p.isascii() and p.isdigit() for p in parts):
        if len(parts) < 3:
            padded = ".".join(parts + ["0"] * (3 - len(parts)))
            return f"; all three parts are required, e.g. {padded!r}"
        if len(parts) > 3:
            return "; exactly three numeric parts are allowed (MAJOR.MINOR.PATCH)"
    if re.search(r"(?:^|[.-])0[0-9]+(?:$|[.+-])", text):
        return "; numeric parts must not have leading zeros (write '1.2.3', not '01.02.03')"
    return ""


def _parse_semver(name: str, value: Any) -> dict:
    text = _required(name, value, example="1.4.0-rc.1")
    match = _SEMVER.fullmatch(text)
    if not match:
        raise ValueError(
            f"{name} {text!r} is not a Semantic Versioning 2.0.0 version; expected "
            f"MAJOR.MINOR.PATCH with optional -prerelease and +build, e.g. '1.4.0-rc.1+exp.5'"
            f"{_semver_hint(text)}"
        )
    major, minor, patch, prerelease, build = match.groups()
    return {
        "major": int(major),
        "minor": int(minor),
        "patch": int(patch),
        "prerelease": prerelease,
        "build": build,
    }


def _prerelease_key(prerelease: str | None) -> tuple:
    # A release ranks above any of its pre-releases; numeric identifiers rank below
    # alphanumeric ones, and a longer identifier list wins when all shared ones are equal.
    if prerelease is None:
        return (1,)
    idents = tuple((0, int(i), "") if i.isdigit() else (1, 0, i) for i in prerelease.split("."))
    return (0, idents)


@read_only
def compare_versions(version_a: str, version_b: str) -> dict:
    """Compare two Semantic Versioning 2.0.0 versions ("MAJOR.MINOR.PATCH[-prerelease][+build]").

    Args:
        version_a: The first version, strictly MAJOR.MINOR.PATCH such as "1.4.2", optionally
            with a pre-release ("2.0.0-rc.1") and build metadata ("1.0.0+build.7"). A leading
            "v" ("v1.2.3"), missing parts ("1.2") and leading zeros ("01.2.3") are refused.
        version_b: The second version, in the same format.

    Returns:
        {"comparison": -1 if a < b, 0 if equal, 1 if a > b; "newer": "a", "b" or "equal";
        "version_a" and "version_b": their parts {"major", "minor", "patch", "prerelease",
        "build"}}. Precedence follows semver.org: a pre-release is older than its release
        (1.0.0-alpha < 1.0.0), pre-release identifiers compare numerically when numeric
        (alpha.2 < alpha.10), and build metadata is ignored (1.0.0+a equals 1.0.0+b).
    """
    a = _parse_semver("version_a", version_a)
    b = _parse_semver("version_b", version_b)

    def key(v: dict) -> tuple:
        return (v["major"], v["minor"], v["patch"], _prerelease_key(v["prerelease"]))

    comparison = (key(a) > key(b)) - (key(a) < key(b))
    newer = {1: "a", -1: "b", 0: "equal"}[comparison]
    return {"comparison": comparison, "newer": newer, "version_a": a, "version_b": b}


# =========================================================================== 5. convert_color
_CSS_NAMES = {
    "black": "#000000",
    "white": "#ffffff",
    "red": "#ff0000",
    "lime": "#00ff00",
    "green": "#008000",
    "blue": "#0000ff",
    "yellow": "#ffff00",
    "cyan": "#00ffff",
    "aqua": "#00ffff",
    "magenta": "#ff00ff",
    "fuchsia": "#ff00ff",
    "silver": "#c0c0c0",
    "gray": "#808080",
    "grey": "#808080",
    "maroon": "#800000",
    "olive": "#808000",
    "purple": "#800080",
    "teal": "#008080",
    "navy": "#000080",
    "orange": "#ffa500",
}
_COLOR_FORMATS = "'#RRGGBB', '#RGB', 'rgb(r, g, b)' or 'hsl(h, s%, l%)'"


def _number_text(x: float) -> int | float:
    """One decimal place; an integral value as int (so 100.0 prints as 100)."""
    x = round(x, 1) + 0.0  # + 0.0 turns -0.0 into 0.0
    return int(x) if x.is_integer() else x


def _round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


def _parse_hex(text: str) -> tuple[int, int, int]:
    digits = text[1:]
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _function_args(text: str, function: str) -> list[str]:
    match = re.fullmatch(rf"{function}(a?)\s*\((.*)\)", text, re.IGNORECASE | re.DOTALL)
    if match is None:
        raise ValueError(f"color {text!r} is not recognised; use {_COLOR_FORMATS}")
    if match.group(1):
        raise ValueError(
            f"alpha ({function}a) is not supported; drop the alpha channel and "
            f"write {function}(...) with three values"
        )
    parts = [p.strip() for p in match.group(2).split(",")]
    if len(parts) != 3:
        example = "rgb(255, 136, 0)" if function == "rgb" else "hsl(32, 100%, 50%)"
        raise ValueError(
            f"{function}() needs exactly three comma-separated values, e.g. "
            f"{example!r}; got {text!r}"
        )
    return parts


def _parse_rgb(text: str) -> tuple[int, int, int]:
    parts = _function_args(text, "rgb")
    channels = []
    for part in parts:
        if not re.fullmatch(r"[0-9]{1,3}", part) or int(part) > 255:
            raise ValueError(
                f"rgb() values must be integers from 0 to 255 (no percentages or "
                f"decimals), e.g. 'rgb(255, 136, 0)'; got {part!r} in {text!r}"
            )
        channels.append(int(part))
    return channels[0], channels[1], channels[2]


def _parse_hsl(text: str) -> tuple[float, float, float]:
    hue, sat, light = _function_args(text, "hsl")
    number = r"[0-9]+(?:\.[0-9]+)?"
    hue = re.sub(r"deg$", "", hue, flags=re.IGNORECASE).strip()
    if not re.fullmatch(number, hue) or float(hue) > 360:
        raise ValueError(
            f"hsl() hue must be a number of degrees from 0 to 360, e.g. "
            f"'hsl(32, 100%, 50%)'; got {hue!r}"
        )
    values = [float(hue)]
    for label, part in (("saturation", sat), ("lightness", light)):
        if not part.endswith("%"):
            raise ValueError(
                f"hsl() {label} needs a '%' sign, e.g. 'hsl(32, 100%, 50%)'; "
                f"got {part!r} in {text!r}"
            )
        amount = part[:-1].strip()
        if not re.fullmatch(number, amount) or float(amount) > 100:
            raise ValueError(f"hsl() {label} must be a percentage from 0% to 100%; got {part!r}")
        values.append(float(amount))
    return values[0] % 360, values[1], values[2]


def _rgb_to_hsl(r: int, g: int, b: int) -> tuple[float, float, float]:
    h, lightness, s = colorsys.rgb_to_hls(r / 255, g / 255, b / 255)
    return (h * 360) % 360, s * 100, lightness * 100


def _hsl_to_rgb(h: float, s: float, lightness: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hls_to_rgb(h / 360, lightness / 100, s / 100)
    return _round_half_up(r * 255), _round_half_up(g * 255), _round_half_up(b * 255)


def _read_color(text: str) -> tuple[str, tuple[int, int, int], tuple[float, float, float] | None]:
    """(input format, rgb, hsl as given or None)."""
    lowered = text.lower()
    if re.fullmatch(r"#(?:[0-9a-f]{3}|[0-9a-f]{6})", lowered):
        return "hex", _parse_hex(lowered), None
    if re.fullmatch(r"#(?:[0-9a-f]{4}|[0-9a-f]{8})", lowered):
        raise ValueError(
            f"hex colors with alpha ({text!r}) are not supported; use '#RRGGBB' or '#RGB'"
        )
    if re.fullmatch(r"[0-9a-f]{3}|[0-9a-f]{6}", lowered):
        raise ValueError(f"hex colors need a leading '#': write '#{lowered}'")
    if lowered.startswith("rgb"):
        return "rgb", _parse_rgb(text), None
    if lowered.startswith("hsl"):
        hsl = _parse_hsl(text)
        return "hsl", _hsl_to_rgb(*hsl), hsl
    if lowered in _CSS_NAMES:
        raise ValueError(
            f"CSS color names are not accepted; write {text!r} as "
            f"{_CSS_NAMES[lowered]!r} (or in rgb()/hsl() notation)"
        )
    if re.fullmatch(r"[a-z]+", lowered):
        raise ValueError(
            f"CSS color names such as {text!r} are not accepted; give the color as {_COLOR_FORMATS}"
        )
    raise ValueError(f"color {text!r} is not recognised; use {_COLOR_FORMATS}")


@read_only
def convert_color(color: str, to_format: Literal["hex", "rgb", "hsl"]) -> dict:
    """Convert a CSS-style color between hex "#RRGGBB", "rgb(r, g, b)" and "hsl(h, s%, l%)".

    Args:
        color: The color in one of three notations: hex "#ff8800" or shorthand "#f80" (the '#'
            is required, case-insensitive); "rgb(255, 136, 0)" with integers 0-255; or
            "hsl(32, 100%, 50%)" with hue in degrees 0-360 and saturation/lightness as
            percentages 0%-100% (the '%' signs are required). Named colors such as "red" and
            alpha channels (#RRGGBBAA, rgba(), hsla()) are not accepted.
        to_format: The notation to convert to: "hex", "rgb" or "hsl".

    Returns:
        {"input_format", "to_format", "result", "components"}. "result" is the color in the
        target notation: "#ff8800" (lower-case, 6 digits), "rgb(255, 136, 0)" or
        "hsl(32, 100%, 50%)" (hsl values rounded to one decimal). "components" holds the
        numbers: {"r", "g", "b"} for hex and rgb, {"h", "s", "l"} for hsl.
    """
    text = _required("color", color, example="#ff8800")
    to_format = _choice("to_format", to_format, ("hex", "rgb", "hsl"))
    input_format, (r, g, b), given_hsl = _read_color(text)
    if to_format == "hsl":
        h, s, lightness = given_hsl if given_hsl is not None else _rgb_to_hsl(r, g, b)
        comps = {"h": _number_text(h) % 360, "s": _number_text(s), "l": _number_text(lightness)}
        result = f"hsl({comps['h']}, {comps['s']}%, {comps['l']}%)"
    else:
        comps = {"r": r, "g": g, "b": b}
        result = f"#{r:02x}{g:02x}{b:02x}" if to_format == "hex" else f"rgb({r}, {g}, {b})"
    return {
        "input_format": input_format,
        "to_format": to_format,
        "result": result,
        "components": comps,
    }


# =========================================================================== 6. roman_numeral
_ROMAN = (
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
)
_ROMAN_DIGITS = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def _to_roman(number: int) -> str:
    out = []
    for amount, letters in _ROMAN:
        count, number = divmod(number, amount)
        out.append(letters * count)
    return "".join(out)


def _roman_value(letters: str) -> int:
    """Additive/subtractive reading; canonical form is checked separately."""
    total = 0
    for i, letter in enumerate(letters):
        value = _ROMAN_DIGITS[letter]
        following = _ROMAN_DIGITS[letters[i + 1]] if i + 1 < len(letters) else 0
        total += -value if value < following else value
    return total


@read_only
def roman_numeral(value: str) -> dict:
    """Convert an integer written as a string ("1994") to a Roman numeral, or a Roman numeral
    ("MCMXCIV") to its integer; the direction is detected from the input.

    Args:
        value: Either an Arabic integer as a string of digits, e.g. "1994" (pass it as a
            string, not a number), or a Roman numeral, e.g. "MCMXCIV" (case-insensitive).
            Only 1 to 3999 can be written in standard Roman numerals. Roman input must be in
            canonical form: "IIII" (use "IV"), "IC" (use "XCIX") or "VX" are refused.

    Returns:
        {"input", "direction": "arabic_to_roman" or "roman_to_arabic", "arabic", "roman"}.
    """
    text = _required("value", value, max_len=32, example="1994")
    if text.isascii() and text.isdigit():
        number = int(text)
        if not 1 <= number <= 3999:
            raise ValueError(f"Roman numerals cover 1 to 3999; got {number}")
        return {
            "input": text,
            "direction": "arabic_to_roman",
            "arabic": number,
            "roman": _to_roman(number),
        }
    letters = text.upper()
    if not re.fullmatch(r"[IVXLCDM]+", letters):
        raise ValueError(
            f"value must be an Arabic integer such as '1994' or a Roman numeral "
            f"using only I, V, X, L, C, D, M such as 'MCMXCIV'; got {text!r}"
        )
    number = _roman_value(letters)
    if not 1 <= number <= 3999:
        raise ValueError(
            f"Roman numerals cover 1 to 3999 (I to MMMCMXCIX); {text!r} would be {number}"
        )
    canonical = _to_roman(number)
    if canonical != letters:
        raise ValueError(
            f"{text!r} is not a canonical Roman numeral; {number} is written {canonical!r}"
        )
    return {"input": text, "direction": "roman_to_arabic", "arabic": number, "roman": canonical}


# =========================================================================== 7. parse_url
_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443}


def _url_scheme_hint(text: str) -> str:
    if text.startswith("//"):
        return f"; it is protocol-relative, write e.g. 'https:{text}'"
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:(?!//)", text) and not re.match(r"[^:/]+:\d", text):
        return "; only URLs with an authority part (scheme://host/...) are accepted"
    return f"; did you mean 'https://{text}'?"


@read_only
def parse_url(url: str) -> dict:
    """Split an absolute URL such as "https://example.com:8080/path?q=1#top" into its parts.

    Args:
        url: An absolute URL that starts with a scheme and "//", e.g.
            "https://api.example.com/v1/items?page=2&tag=a&tag=b#results". A URL without a
            scheme such as "example.com/path" is refused; spaces must be percent-encoded
            (%20). Up to 8,192 characters.

    Returns:
        {"scheme" (lower-case), "host" (lower-case, IPv6 without brackets; null if empty),
        "port" (the explicit port, else the scheme's default: http/ws 80, https/wss 443, ftp 21;
        null for other schemes), "port_is_default" (true when the port was not in the URL),
        "username", "has_password", "path" (as written, "" when absent), "query" (raw string),
        "query_params" (decoded: each name maps to a LIST of values, even for one value;
        '+' becomes a space, blank values are kept), "fragment" (null when absent)}.
    """
    text = _required("url", url, max_len=_MAX_URL, example="https://example.com/path")
    if re.search(r"\s", text):
        raise ValueError(
            "url must not contain spaces or other whitespace; percent-encode a "
            "space as %20 (or '+' in the query string)"
        )
    if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", text):
        raise ValueError(
            f"url must be absolute and start with a scheme such as 'https://'; "
            f"got {text!r}{_url_scheme_hint(text)}"
        )
    try:
        parts = urllib.parse.urlsplit(text)
        explicit_port = parts.port
        params = urllib.parse.parse_qs(parts.query, keep_blank_values=True, max_num_fields=1000)
    except ValueError as error:
        raise ValueError(
            f"url {text!r} is malformed: {error} (ports must be integers from "
            "0 to 65535, IPv6 hosts are written in brackets like "
            "'http://[::1]:8080/')"
        ) from None
    scheme = parts.scheme.lower()
    port = explicit_port if explicit_port is not None else _DEFAULT_PORTS.get(scheme)
    return {
        "scheme": scheme,
        "host": parts.hostname or None,
        "port": port,
        "port_is_default": explicit_port is None and port is not None,
        "username": parts.username,
        "has_password": parts.password is not None,
        "path": parts.path,
        "query": parts.query,
        "query_params": params,
        "fragment": parts.fragment or None,
    }


# =========================================================================== 8. http_status
_STATUS_CLASSES = {
    1: "1xx Informational",
    2: "2xx Success",
    3: "3xx Redirection",
    4: "4xx Client Error",
    5: "5xx Server Error",
}


def _status_code(value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        raise ValueError(
            f"code must be an integer such as 404, not a string; "
            f"send {value.strip()} without quotes"
        )
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(
            f"code must be an integer HTTP status code such as 404; "
            f"got {_type_name(value)} {value!r}"
        )
    return value


@read_only
def http_status(code: int) -> dict:
    """Look up an HTTP response status code (e.g. 404): its reason phrase, meaning and class.

    Args:
        code: The three-digit status code as an integer, e.g. 200, 301, 404 or 503 (not a
            string). Must be from 100 to 599 and registered with IANA; for an unregistered
            code such as 299 the error lists the nearest known codes.

    Returns:
        {"code", "phrase" (e.g. "Not Found"), "name" (e.g. "NOT_FOUND"), "description",
        "class" ("1xx Informational", "2xx Success", "3xx Redirection", "4xx Client Error" or
        "5xx Server Error"), "is_error" (true for 4xx and 5xx)}.
    """
    number = _status_code(code)
    if not 100 <= number <= 599:
        raise ValueError(
            f"HTTP status codes are three-digit integers from 100 to 599; got {number}"
        )
    known = {status.value: status for status in http.HTTPStatus}
    if number not in known:
        nearest = sorted(sorted(known, key=lambda c: (abs(c - number), c))[:5])
        listed = ", ".join(f"{c} {known[c].phrase}" for c in nearest)
        raise ValueError(
            f"{number} is not a registered HTTP status code; nearby known codes: {listed}"
        )
    status = known[number]
    return {
        "code": number,
        "phrase": status.phrase,
        "name": status.name,
        "description": status.description,
        "class": _STATUS_CLASSES[number // 100],
        "is_error": number >= 400,
    }


# =========================================================================== 9. unix_time
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_MIN_EPOCH = -62_135_596_800  # 0001-01-01T00:00:00Z
_MAX_EPOCH = 253_402_300_800  # 10000-01-01T00:00:00Z, exclusive
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EPOCH_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def _from_epoch(seconds: decimal.Decimal) -> dict:
    if not _MIN_EPOCH <= seconds < _MAX_EPOCH:
        hint = ""
        if _MIN_EPOCH <= seconds / 1000 < _MAX_EPOCH and abs(seconds) >= 10**11:
            hint = (
                f"; {seconds} looks like milliseconds, divide by 1000 and send '{seconds / 1000}'"
            )
        raise ValueError(
            f"only years 0001 to 9999 UTC are supported: epoch seconds from "
            f"{_MIN_EPOCH} (0001-01-01T00:00:00Z) to {_MAX_EPOCH - 1} "
            f"(9999-12-31T23:59:59Z); got {seconds}{hint}"
        )
    micros = int(seconds * 1_000_000)
    moment = _EPOCH + datetime.timedelta(microseconds=micros)
    iso = moment.replace(tzinfo=None).isoformat() + "Z"
    unix: int | float = micros // 1_000_000 if micros % 1_000_000 == 0 else micros / 1_000_000
    return {"unix": unix, "iso": iso, "weekday": _WEEKDAYS[moment.weekday()]}


def _epoch_of(text: str) -> decimal.Decimal:
    if not _EPOCH_TEXT.fullmatch(text):
        hint = ""
        if re.match(r"\d{4}-\d{2}-\d{2}", text):
            hint = "; this is an ISO timestamp, to get epoch seconds call with to='unix'"
        elif re.fullmatch(r"-?[0-9.]+[eE][-+]?[0-9]+", text):
            hint = "; write it out without exponent notation"
        raise ValueError(
            f"with to='iso', value must be Unix epoch seconds as a string of an "
            f"integer or decimal, e.g. '1700000000' or '1700000000.25'; "
            f"got {text!r}{hint}"
        )
    if "." in text and len(text.split(".")[1]) > 6:
        raise ValueError(f"value may have at most 6 decimal places (microseconds); got {text!r}")
    return decimal.Decimal(text)


def _parse_iso(text: str) -> datetime.datetime:
    if _EPOCH_TEXT.fullmatch(text):
        raise ValueError(
            f"with to='unix', value must be an ISO 8601 timestamp; {text!r} looks "
            f"like epoch seconds already (to convert it to ISO use to='iso')"
        )
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"value {text!r} is not an ISO 8601 timestamp; expected e.g. "
            f"'2024-03-01T12:00:00+01:00' or '2024-03-01T11:00:00Z'"
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"timestamp {text!r} has no UTC offset, so its instant is ambiguous; "
            f"append 'Z' for UTC or an offset such as '+01:00', e.g. "
            f"'{text}Z'"
        )
    return moment


@read_only
def unix_time(value: str, to: Literal["iso", "unix"]) -> dict:
    """Convert Unix epoch seconds (e.g. "1700000000") to an ISO 8601 UTC timestamp, or an
    ISO 8601 timestamp with a UTC offset (e.g. "2024-03-01T12:00:00+01:00") to epoch seconds.

    Args:
        value: With to="iso": epoch seconds as a STRING holding an integer or a decimal with at
            most 6 places, e.g. "1700000000" or "-86400" or "1700000000.5" (seconds, not
            milliseconds). With to="unix": an ISO 8601 timestamp that includes "Z" or an offset,
            e.g. "2024-03-01T12:00:00+01:00" or "2024-03-01T11:00:00Z"; a timestamp without
            offset ("2024-03-01T12:00:00") is refused because its instant is ambiguous.
            Years 0001 to 9999.
        to: The target: "iso" (epoch seconds -> ISO 8601 UTC) or "unix" (ISO -> epoch seconds).

    Returns:
        {"result" (the converted value: the ISO string or the epoch seconds), "unix" (integer
        seconds, or a number with a fraction), "iso" (UTC, with "Z", e.g.
        "2023-11-14T22:13:20Z"; microseconds appear only when non-zero), "weekday" (English
        day name of the UTC date)}.
    """
    text = _required("value", value, max_len=64, example="1700000000")
    to = _choice("to", to, ("iso", "unix"))
    if to == "iso":
        converted = _from_epoch(_epoch_of(text))
    else:
        delta = _parse_iso(text) - _EPOCH
        micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        converted = _from_epoch(decimal.Decimal(micros) / 1_000_000)
    return {"result": converted[to], **converted}


# =========================================================================== 10. validate_isbn
def _isbn10_check(first9: str) -> str:
    total = sum((10 - i) * int(d) for i, d in enumerate(first9))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def _isbn13_check(first12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def _isbn_digits(text: str) -> str:
    digits = re.sub(r"[\s-]", "", text).upper()
    if not re.fullmatch(r"[0-9X]*", digits):
        bad = sorted({c for c in digits if c not in "0123456789X"})
        raise ValueError(
            f"isbn may contain only digits, hyphens and spaces (and 'X' as the "
            f"last character of an ISBN-10); found {', '.join(map(repr, bad))} "
            f"in {text!r}"
        )
    if len(digits) not in (10, 13):
        raise ValueError(
            f"isbn must have 10 or 13 digits after removing hyphens and spaces; "
            f"got {len(digits)} in {text!r}"
        )
    if "X" in digits[:-1] or (len(digits) == 13 and "X" in digits):
        raise ValueError(
            "'X' (meaning 10) is only allowed as the check character, the last "
            "character of an ISBN-10"
        )
    return digits


@read_only
def validate_isbn(isbn: str) -> dict:
    """Check an ISBN-10 or ISBN-13 book number's check digit, and give its ISBN-13 form.

    Args:
        isbn: The ISBN with or without hyphens/spaces, e.g. "0-306-40615-2", "978-0-306-40615-7"
            or "9780306406157". It must have exactly 10 digits (the last may be "X", meaning
            10) or 13 digits; other lengths or characters are errors, not invalid ISBNs.

    Returns:
        {"input", "normalized" (digits only), "kind" ("ISBN-10" or "ISBN-13"), "valid",
        "isbn13" (the ISBN-13 of a valid ISBN, else null), "isbn10" (the ISBN-10 of a valid
        ISBN-10 or a valid 978- ISBN-13, else null), "expected_check_digit" (for an invalid
        one, the check character its first digits require; null when valid), "reason"
        (why it is invalid, else null)}. An ISBN-13 must also start with 978 or 979.
    """
    text = _required("isbn", isbn, max_len=64, example="978-0-306-40615-7")
    digits = _isbn_digits(text)
    isbn10 = isbn13 = reason = None
    if len(digits) == 10:
        kind = "ISBN-10"
        expected = _isbn10_check(digits[:9])
        if digits[-1] == expected:
            isbn10 = digits
            isbn13 = "978" + digits[:9] + _isbn13_check("978" + digits[:9])
    else:
        kind = "ISBN-13"
        expected = _isbn13_check(digits[:12])
        if digits[:3] not in ("978", "979"):
            reason = "an ISBN-13 must start with 978 or 979 (this is another EAN-13 code)"
        elif digits[-1] == expected:
            isbn13 = digits
            if digits.startswith("978"):
                isbn10 = digits[3:12] + _isbn10_check(digits[3:12])
    if reason is None and digits[-1] != expected:
        reason = f"check digit is {digits[-1]!r} but the first digits require {expected!r}"
    valid = reason is None
    return {
        "input": text,
        "normalized": digits,
        "kind": kind,
        "valid": valid,
        "isbn13": isbn13,
        "isbn10": isbn10,
        "expected_check_digit": None if valid else expected,
        "reason": reason,
    }
