"""to_char(number, template): PostgreSQL's numeric formatting templates.

Supported: 9 and 0 digit positions, . and D (decimal point), , and G (group
separator), S/MI/PL/SG/PR sign placement, FM (fill mode), EEEE (scientific), and
literal text. Numbers that do not fit the template print as '#' in every digit
position, as PostgreSQL does.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any


def format_number(value: Any, fmt: str, is_float: bool = False) -> str:
    fm = "FM" in fmt.upper()
    body = fmt.replace("FM", "").replace("fm", "")
    upper = body.upper()
    if "EEEE" in upper:
        digits_after = 0
        if "." in body:
            digits_after = len(body.split(".", 1)[1].upper().replace("EEEE", ""))
        d = Decimal(repr(value)) if is_float else Decimal(value)
        text = f"{d:.{digits_after}e}"
        mant, ex = text.split("e")
        exp_n = int(ex)
        out = f"{mant}e{'+' if exp_n >= 0 else '-'}{abs(exp_n):02d}"
        return out if d < 0 or fm else " " + out
    # split template into integer and fraction parts
    point = -1
    for i, ch in enumerate(upper):
        if ch in ".D":
            point = i
            break
    int_tpl = body if point < 0 else body[:point]
    frac_tpl = "" if point < 0 else body[point + 1:]
    frac_digits = sum(1 for ch in frac_tpl if ch in "90")
    int_digits = sum(1 for ch in int_tpl if ch in "90")
    d = Decimal(repr(value)) if is_float else Decimal(value)
    negative = d < 0
    d = abs(d).quantize(Decimal(1).scaleb(-frac_digits), rounding=ROUND_HALF_UP)
    s = format(d, "f")
    ipart, _, fpart = s.partition(".")
    if ipart == "0":
        ipart = ""
    overflow = len(ipart) > int_digits
    # integer part, right to left
    out_int: list[str] = []
    digits = list(ipart)
    first_zero = None
    for idx, ch in enumerate(int_tpl.upper()):
        if ch == "0":
            first_zero = idx
            break
    tpl = int_tpl
    pos_from_right = 0
    printed_any = False
    for idx in range(len(tpl) - 1, -1, -1):
        ch = tpl[idx]
        cu = ch.upper()
        if cu in "90":
            if overflow:
                out_int.append("#")
            elif digits:
                out_int.append(digits.pop())
                printed_any = True
            elif cu == "0" or (first_zero is not None and idx >= first_zero):
                out_int.append("0")
                printed_any = True
            else:
                out_int.append(" ")
            pos_from_right += 1
        elif cu in ",G":
            if overflow or digits or (first_zero is not None and idx > first_zero):
                out_int.append(",")
            else:
                out_int.append(" ")
        elif cu in ("S", "M", "I", "P", "L", "R"):
            continue
        else:
            out_int.append(ch)
    int_text = "".join(reversed(out_int))
    frac_text = ""
    if point >= 0:
        fdigits = list(fpart.ljust(frac_digits, "0"))
        fchars: list[str] = []
        for ch in frac_tpl:
            cu = ch.upper()
            if cu in "90":
                fchars.append("#" if overflow else (fdigits.pop(0) if fdigits else "0"))
            elif cu in ",G":
                fchars.append(",")
            else:
                fchars.append(ch)
        frac_text = "".join(fchars)
        if fm:
            # FM trims trailing zeros in 9-positions
            trimmed = list(frac_text)
            for k in range(len(frac_tpl) - 1, -1, -1):
                if frac_tpl[k].upper() == "9" and trimmed and trimmed[-1] == "0":
                    trimmed.pop()
                else:
                    break
            frac_text = "".join(trimmed)
        frac_text = "." + frac_text
    if not printed_any and not overflow and point < 0 and not int_text.strip():
        int_text = int_text[:-1] + "0" if int_text else "0"
    if not printed_any and not overflow and point >= 0 and int_text and int_text[-1] == " " \
            and frac_digits == 0:
        int_text = int_text[:-1] + "0"
    number = int_text + frac_text
    has_s = "S" in upper
    has_mi = "MI" in upper
    has_pr = "PR" in upper
    if has_pr:
        number = ("<" + number.strip() + ">") if negative else (" " + number + " ")
    elif has_s:
        sign = "-" if negative else "+"
        if upper.strip().startswith("S"):
            stripped = number.lstrip(" ")
            number = number[: len(number) - len(stripped)] + sign + stripped
        else:
            number = number + sign
    elif has_mi:
        number = number + ("-" if negative else " ")
    else:
        stripped = number.lstrip(" ")
        pad = number[: len(number) - len(stripped)]
        number = pad + ("-" if negative else " ") + stripped
    if fm:
        number = number.strip(" ")
    return number
