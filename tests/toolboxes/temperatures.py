"""A tool with a rule its description leaves out: the unit codes it accepts."""

UNITS = {"degC", "degF", "K"}


def convert_temperature(value: float, from_unit: str, to_unit: str) -> dict:
    """Convert a temperature between units.

    Args:
        value: The temperature.
        from_unit: The unit of value.
        to_unit: The unit to convert to.
    """
    for unit in (from_unit, to_unit):
        if unit not in UNITS:
            raise ValueError(f"unknown unit {unit!r}; accepted: degC, degF, K")
    kelvin = {"degC": value + 273.15, "degF": (value - 32) * 5 / 9 + 273.15, "K": value}[from_unit]
    result = {"degC": kelvin - 273.15, "degF": (kelvin - 273.15) * 9 / 5 + 32, "K": kelvin}[to_unit]
    return {"result": round(result, 2), "unit": to_unit}
