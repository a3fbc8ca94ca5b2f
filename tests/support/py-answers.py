#!/usr/bin/env python3
"""Record CPython's answers for the tables the Python-dialect unit tests check against.

Run it with the reference's interpreter (target/reference-venv/bin/python) and paste what
it prints into the table of the named test:

    base64   src/py/base64.rs        base64_padding_as_cpython_3_11
    repr     src/py/repr.rs          repr_and_ascii_as_cpython
    format   src/py/format_answers.in (format_as_cpython in src/py/format.rs)
    fromhex  src/py/hex.rs           fromhex_as_cpython
    json     src/py/json/answers.in  (loads_as_cpython in src/py/json/read.rs)
    shlex    src/py/shlex_answers.in (split_as_cpython in src/py/shlex.rs)

Each line is a Rust tuple: (input, Ok(answer)) or (input, Err(message)).
"""
import binascii
import json
import shlex
import sys


def rust(s):
    """A Rust string literal."""
    out = []
    for c in s:
        if c in '"\\':
            out.append("\\" + c)
        elif " " <= c <= "~":
            out.append(c)
        else:
            out.append("\\u{%x}" % ord(c))
    return '"' + "".join(out) + '"'


BASE64 = [
    "QUJD=", "QUJD==", "QUJD===", "QUI=", "QUI==", "QUI=A", "=QUJD", "QUJDRA==",
    "QUJD=QUJD", "QUJDR=", "QUJDRA===", "QQ==", "QQ===", "QQ=", "", "QUJD=\n", "====",
]

REPR = [
    "ab", "a'b", "a'\"b", "a\u200bb", "\x7f\x80\xa0\xad", "\U0001fae8", "\U0001f600\xe9",
    "\x00\t\n\r\\", "\u2028\u3000\ue000", "na\xefve \u2713",
]

FROMHEX = [
    "00ff", "AbCd", " 0A\tfF\n", "", "ab\x0bcd", "ab\x0ccd", "ab\rcd", "\x0b\x0c",
    "ab\x1ccd", "ab\x85cd", "ab\xa0cd", "ab\u3000cd", "0 a", "abc", "zz", "\xe9\xe9",
    "a b", " ", "ab  cd", "\x00", "0x", "ab\x1fcd",
]

# (template, value of X)
FORMAT = [
    ("{X}", "ab"), ("{X:05}", "ab"), ("{X:>5}", "ab"), ("{X:*^7}", "ab"), ("{X:.1}", "ab"),
    ("{X:<3.1}", "ab"), ("{X!r}", "a\u200bb"), ("{X!a}", "a\u200bb"), ("{X!s}", "ab"),
    ("{X!r}", "a'b"), ("{X!r}", "a'\"b"), ("{X!r}", "\x7f\x80\xa0\xad"),
    ("{X!r}", "\U0001fae8"), ("{X!a}", "\U0001fae8\xe9"), ("{X!r:>10}", "ab"),
    ("{X[0]}", "ab"), ("{X[1]}", "ab"), ("{X[5]}", "ab"), ("{X.upper}", "ab"),
    ("{X.nope}", "ab"), ("{X:{X}}", "5"), ("{X:{X:{X}}}", "5"), ("{X:>{X}}", "5"),
    ("{{X}}", "ab"), ("{X", "ab"), ("X}", "ab"), ("{}", "ab"), ("{0}", "ab"),
    ("{Y}", "ab"), ("{X!z}", "ab"), ("{X:d}", "ab"), ("{X:=5}", "ab"), ("{X:+}", "ab"),
    ("{X:,}", "ab"), ("{X:#}", "ab"), ("{X: }", "ab"), ("{X!}", "ab"), ("{X!rr}", "ab"),
    ("{X[}", "ab"), ("{X[0]x}", "ab"), ("{X:s}", "ab"), ("{X:10s}", "ab"),
    ("{X:\u00e9<4}", "ab"), ("{X:99999999999999999999}", "ab"), ("{X.}", "ab"),
    ("{X[]}", "ab"), ("{X[-1]}", "ab"), ("{X[a]}", "ab"), ("{X:_}", "ab"),
    ("{X:%}", "ab"), ("{X!r}", "\x00\t\n\r\\"), ("{X!r", "ab"), ("{X!", "ab"),
    ("{X:\u0665}", "ab"), ("{X:.\u0661}", "ab"), ("{X[\u0661]}", "ab"), ("{\u0663}", "ab"),
    ("{5}", "ab"), ("{-1}", "ab"), ("{X:{X}{X}}", "1"), ("{X[0][0]}", "ab"), ("{X[0].nope}", "ab"),
    ("{X.nope[}", "ab"), ("{X!r:{X}}", "9"), ("{X!a:^{X}}", "9"), ("{X:{Y}}", "ab"),
    ("{X:z}", "ab"), ("{X:,d}", "ab"), ("{X:_x}", "ab"), ("{X:_,}", "ab"), ("{X:,_}", "ab"),
    ("{X:.}", "ab"), ("{X:<>5}", "ab"), ("{X:0>5}", "ab"), ("{X:05.1}", "ab"), ("{X:^6}", "abc"),
    ("{X:\x01}", "ab"), ("{X!\xe9}", "ab"), ("{X{}", "ab"), ("a{{b}}c{X}d", "-"),
    ("}}{{", "ab"), ("{", "ab"), ("}", "ab"), ("{X:{{}}}", "ab"), ("{X:}", "ab"), ("{X!s:}", "ab"),
    ("{X:ss}", "ab"), ("{X:5ss}", "ab"), ("{X:\U0001fae8^5}", "ab"), ("{X!r}", "\U0001f600"),
    ("{X[99999999999999999999]}", "ab"), ("{99999999999999999999}", "ab"),
]

# JSON texts for json.loads (the texts themselves: escapes are JSON's).
JSON = [
    '', ' ', '\t\n\r ', '[', ']', '[1,]', '[1 2]', '[,1]', '[1,,2]', '[[]', '[]]', '[1,2',
    '{', '}', '{"a"', '{"a":', '{"a":1,}', '{"a" 1}', '{1:2}', "{'a': 1}", '{"a":1', '{"a":1 ',
    '{"a":1}x', '{"a":1} \n x', '\n\n  [1,\n 2 x]', '"\u00e9" x', '"\u00e9\u00e9", 1',
    '{"a": 1, "a": 2}', '{"b": 1, "a": [2, {"c": null}]}', ' {"a" :\t1 , "b":\r\n[ ] } ',
    '"abc', '"a\\', '"a\\x"', '"a\\"b"', '"\\/\\b\\f\\n\\r\\t\\\\"', '"\\\'"', '"\\U0041"',
    '"\\u12"', '"\\u12', '"\\u123"', '"\\u123', '"\\u1234', '"\\u1234"', '"\\uzzzz"',
    '"\\u+123"', '"\\u 123"', '"\\u00e9\\u00E9"', '"\\u0000"',
    '"\\ud800\\u12"', '"\\ud800\\uzzzz"', '"\\ud800\\udc00"', '"\\ud83d\\ude00"', '"\\ud800"',
    '"\\udc00"', '"\\udc00\\ud800"', '"\\ud800\\u0041"', '"\\ud800\\ud800\\udc00"',
    '"\\ud800\\u"', '"\\ud800\\', '"\\ud800\\u1234"', '"\\ud800\\udc00', '"\\ud800\\udc0',
    '"a\x01"', '"a\x1f"', '"a\x7f"', '"tab\there"', '"new\nline"', '["a", "b\x00"]',
    '\ufeff{}', '\ufeff', ' \ufeff{}', '-', '-x', '--1', '+1', '01', '-01', '1.', '1.e5', '.5',
    '1e', '1e+', '1e+5', '1E5', '1e-5', '1.5E+10', '-0', '-0.0', '0', '1.0', '12345678901234567890123',
    '-12345678901234567890', '1 2', '1,', 'nul', 'null', 'nulll', 'true', 'True', 'tru', 'false',
    'NaN', '-NaN', 'nan', 'Infinity', '-Infinity', 'infinity', '[NaN, Infinity, -Infinity]',
    '{"a": NaN}', '{NaN: 1}', '[1 NaN]', '[Infinity5]', '[- Infinity]',
    '"\u00e9\u4e2d\U0001f600"', '{"\u00e9": "\\u4e2d"}', '[1,\n2,\n\n   3,  x]',
    '{"a": [1, 2}', '{"a": {"b": 1]}', '["a" "b"]', '{"a" "b"}', '{"a": 1 "b": 2}',
    '"$serde_json::private::Number"', '{"$serde_json::private::Number": "1"}',
    '{"x": {"$serde_json::private::Number": 2}}',
]


SHLEX = [
    "MATCH src/* WITH PRODUCTS FROM clone", "CREATE 'my file.txt'", 'a "b c" d', "a 'b\\c'",
    'a "b\\"c" d', 'a "b\\x"', "a\\ b", "'' \"\"", "a'b'c", "unclosed 'quote", 'unclosed "q',
    "trailing\\", "tab\tsep", "cr\rlf\nend", "vt\x0bff\x0cnbsp\xa0em\u2003",
    "  lead and trail  ", "", "#not a comment", "$HOME `x`", '"$HOME \\$x"', "é ü",
]


def json_norm(v):
    """The value as the Rust test prints it: floats as float, keys sorted, lone surrogates
    as <lone> (a Rust string cannot hold them)."""
    def text(s):
        return repr("".join("<lone>" if 0xD800 <= ord(c) < 0xE000 else c for c in s))
    if v is None or v is True or v is False:
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return text(v)
    if isinstance(v, list):
        return "[" + ", ".join(json_norm(x) for x in v) + "]"
    items = sorted((text(k), json_norm(x)) for k, x in v.items())
    return "{" + ", ".join(f"{k}: {x}" for k, x in items) + "}"


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else "base64"
    if which == "base64":
        for s in BASE64:
            try:
                out = binascii.a2b_base64(s.encode(), strict_mode=True)
                print(f'({rust(s)}, Ok(b{rust(out.decode("latin-1"))})),')
            except Exception as e:  # noqa: BLE001 - recording every answer
                print(f"({rust(s)}, Err({rust(str(e))})),")
    elif which == "format":
        print("// Generated by tests/support/py-answers.py format; do not edit.")
        print("&[")
        for template, x in FORMAT:
            try:
                out = template.format(X=x)
                if " at 0x" in out:
                    continue  # a memory address: refused by this tool, see format.rs
                print(f"({rust(template)}, {rust(x)}, Ok({rust(out)})),")
            except Exception as e:  # noqa: BLE001
                print(f"({rust(template)}, {rust(x)}, Err(({rust(type(e).__name__)}, {rust(str(e))}))),")
        print("]")
    elif which == "fromhex":
        for s in FROMHEX:
            try:
                out = bytes.fromhex(s)
                print(f"({rust(s)}, Some(&{list(out)})),")
            except ValueError:
                print(f"({rust(s)}, None),")
    elif which == "json":
        print("// Generated by tests/support/py-answers.py json; do not edit.")
        print("&[")
        for text in JSON:
            try:
                out = f"Ok({rust(json_norm(json.loads(text)))})"
            except Exception as e:  # noqa: BLE001
                out = f"Err({rust(f'{type(e).__name__}: {e}')})"
            print(f"({rust(text)}, {out}),")
        print("]")
    elif which == "shlex":
        print("// Generated by tests/support/py-answers.py shlex; do not edit.")
        print("&[")
        for line in SHLEX:
            try:
                words = shlex.split(line)
                print(f"({rust(line)}, Ok(&[{', '.join(rust(w) for w in words)}])),")
            except ValueError as e:
                print(f"({rust(line)}, Err({rust(str(e))})),")
        print("]")
    elif which == "repr":
        for x in REPR:
            print(f"({rust(x)}, {rust(repr(x))}, {rust(ascii(x))}),")
    else:
        sys.exit(f"unknown table {which}")


if __name__ == "__main__":
    main()
