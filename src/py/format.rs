//! `template.format(**kwargs)` with `str` values, as CPython 3.11 does it
//! (`Objects/stringlib/unicode_format.h` and `Python/formatter_unicode.c`): the markup
//! iterator, field names with `.attr` and `[index]`, conversions `!s` `!r` `!a`, nested
//! replacement fields in the spec (two levels, then "Max string recursion exceeded"), and
//! the format-spec mini-language as it applies to strings, with every error in CPython's
//! order and words. Digits are any Unicode decimal digit, as in CPython.
//!
//! One thing is refused rather than reproduced: an attribute that exists on `str`
//! (`{X.upper}`) gives a bound method whose text holds a memory address, which no other
//! run reproduces; that is an error here (class `UnsupportedFormat`).

use super::repr::{ascii, decimal, repr};
use crate::Exc;
use crate::error::{Error, Result};
use std::collections::BTreeMap;

/// The widest padding a field may ask for (64 Mi characters): Python would try to build
/// the string (and fail with `MemoryError` when it cannot); this tool refuses before any
/// allocation.
pub const MAX_WIDTH: usize = 64 << 20;

/// The attributes of a Python 3.11 `str` (`dir('')`).
const STR_ATTRIBUTES: &[&str] = &[
    "__add__",
    "__class__",
    "__contains__",
    "__delattr__",
    "__dir__",
    "__doc__",
    "__eq__",
    "__format__",
    "__ge__",
    "__getattribute__",
    "__getitem__",
    "__getnewargs__",
    "__getstate__",
    "__gt__",
    "__hash__",
    "__init__",
    "__init_subclass__",
    "__iter__",
    "__le__",
    "__len__",
    "__lt__",
    "__mod__",
    "__mul__",
    "__ne__",
    "__new__",
    "__reduce__",
    "__reduce_ex__",
    "__repr__",
    "__rmod__",
    "__rmul__",
    "__setattr__",
    "__sizeof__",
    "__str__",
    "__subclasshook__",
    "capitalize",
    "casefold",
    "center",
    "count",
    "encode",
    "endswith",
    "expandtabs",
    "find",
    "format",
    "format_map",
    "index",
    "isalnum",
    "isalpha",
    "isascii",
    "isdecimal",
    "isdigit",
    "isidentifier",
    "islower",
    "isnumeric",
    "isprintable",
    "isspace",
    "istitle",
    "isupper",
    "join",
    "ljust",
    "lower",
    "lstrip",
    "maketrans",
    "partition",
    "removeprefix",
    "removesuffix",
    "replace",
    "rfind",
    "rindex",
    "rjust",
    "rpartition",
    "rsplit",
    "rstrip",
    "split",
    "splitlines",
    "startswith",
    "strip",
    "swapcase",
    "title",
    "translate",
    "upper",
    "zfill",
];

fn value_error(message: impl Into<String>) -> Error {
    Error::new(Exc::ValueError, message)
}

/// `template.format(**kwargs)`.
pub fn format(template: &str, kwargs: &BTreeMap<String, String>) -> Result<String> {
    let chars: Vec<char> = template.chars().collect();
    let mut out = String::with_capacity(template.len());
    build(&chars, kwargs, 2, &mut out)?;
    Ok(out)
}

/// `build_string` + `do_markup`.
fn build(
    s: &[char],
    kwargs: &BTreeMap<String, String>,
    depth: u32,
    out: &mut String,
) -> Result<()> {
    if depth == 0 {
        return Err(value_error("Max string recursion exceeded"));
    }
    let mut pos = 0;
    while pos < s.len() {
        // The literal text up to the first `{` or `}`.
        let start = pos;
        let mut brace = None;
        while pos < s.len() {
            let c = s[pos];
            pos += 1;
            if c == '{' || c == '}' {
                brace = Some(c);
                break;
            }
        }
        let at_end = pos >= s.len();
        let mut end = pos;
        let mut markup = brace.is_some();
        match brace {
            Some('}') if at_end || s[pos] != '}' => {
                return Err(value_error("Single '}' encountered in format string"));
            }
            Some('{') if at_end => {
                return Err(value_error("Single '{' encountered in format string"));
            }
            Some(c) if s[pos] == c => {
                // `{{` or `}}`: the literal keeps one brace.
                pos += 1;
                markup = false;
            }
            Some(_) => end -= 1,
            None => {}
        }
        out.extend(&s[start..end]);
        if markup {
            let field = parse_field(s, &mut pos)?;
            output_markup(s, &field, kwargs, depth, out)?;
        }
    }
    Ok(())
}

/// A replacement field: `name` and `spec` are ranges of the template.
struct Field {
    name: std::ops::Range<usize>,
    conversion: Option<char>,
    spec: std::ops::Range<usize>,
    spec_has_fields: bool,
}

/// `parse_field`: `pos` is just after the opening `{`.
fn parse_field(s: &[char], pos: &mut usize) -> Result<Field> {
    let name_start = *pos;
    let mut c = '\0';
    while *pos < s.len() {
        c = s[*pos];
        *pos += 1;
        match c {
            '{' => return Err(value_error("unexpected '{' in field name")),
            '[' => {
                while *pos < s.len() && s[*pos] != ']' {
                    *pos += 1;
                }
            }
            '}' | ':' | '!' => break,
            _ => {}
        }
    }
    let mut field = Field {
        name: name_start..*pos - 1,
        conversion: None,
        spec: *pos..*pos,
        spec_has_fields: false,
    };
    if c != '!' && c != ':' {
        return if c == '}' {
            Ok(field)
        } else {
            Err(value_error("expected '}' before end of string"))
        };
    }
    if c == '!' {
        let Some(&conv) = s.get(*pos) else {
            return Err(value_error(
                "end of string while looking for conversion specifier",
            ));
        };
        field.conversion = Some(conv);
        *pos += 1;
        if let Some(&next) = s.get(*pos) {
            *pos += 1;
            if next == '}' {
                field.spec = *pos..*pos;
                return Ok(field);
            }
            if next != ':' {
                return Err(value_error("expected ':' after conversion specifier"));
            }
        }
    }
    let spec_start = *pos;
    let mut count = 1;
    while *pos < s.len() {
        let c = s[*pos];
        *pos += 1;
        match c {
            '{' => {
                field.spec_has_fields = true;
                count += 1;
            }
            '}' => {
                count -= 1;
                if count == 0 {
                    field.spec = spec_start..*pos - 1;
                    return Ok(field);
                }
            }
            _ => {}
        }
    }
    Err(value_error("unmatched '{' in format spec"))
}

/// `output_markup`: look the field up, convert it, expand its spec, render it.
fn output_markup(
    s: &[char],
    field: &Field,
    kwargs: &BTreeMap<String, String>,
    depth: u32,
    out: &mut String,
) -> Result<()> {
    let mut value = field_value(&s[field.name.clone()], kwargs)?;
    value = match field.conversion {
        None | Some('s') => value,
        Some('r') => repr(&value),
        Some('a') => ascii(&value),
        Some(c) if (c as u32) > 32 && (c as u32) < 127 => {
            return Err(value_error(format!("Unknown conversion specifier {c}")));
        }
        Some(c) => {
            return Err(value_error(format!(
                "Unknown conversion specifier \\x{:x}",
                c as u32
            )));
        }
    };
    let spec: Vec<char> = if field.spec_has_fields {
        let mut expanded = String::new();
        build(&s[field.spec.clone()], kwargs, depth - 1, &mut expanded)?;
        expanded.chars().collect()
    } else {
        s[field.spec.clone()].to_vec()
    };
    format_str(&value, &spec, out)
}

/// `get_integer` of a field name part: `Ok(None)` if it is not all decimal digits.
fn index_of(part: &[char]) -> Result<Option<usize>> {
    if part.is_empty() {
        return Ok(None);
    }
    let mut acc: usize = 0;
    for &c in part {
        let Some(d) = decimal(c) else {
            return Ok(None);
        };
        acc = push_digit(acc, d)?;
    }
    Ok(Some(acc))
}

/// `acc * 10 + d`, refused past `sys.maxsize` as CPython's `get_integer` refuses it.
fn push_digit(acc: usize, d: u32) -> Result<usize> {
    acc.checked_mul(10)
        .and_then(|a| a.checked_add(d as usize))
        .filter(|&a| a <= isize::MAX as usize)
        .ok_or_else(|| value_error("Too many decimal digits in format string"))
}

/// `get_field_object`: the first part from `kwargs` (numbers and the empty name index the
/// positional arguments, of which there are none), then each `.attr` and `[index]`.
fn field_value(name: &[char], kwargs: &BTreeMap<String, String>) -> Result<String> {
    let split = name
        .iter()
        .position(|&c| c == '.' || c == '[')
        .unwrap_or(name.len());
    let (first, mut rest) = name.split_at(split);
    let index = index_of(first)?;
    if first.is_empty() || index.is_some() {
        return Err(Error::new(
            Exc::IndexError,
            format!(
                "Replacement index {} out of range for positional args tuple",
                index.unwrap_or(0)
            ),
        ));
    }
    let key: String = first.iter().collect();
    let mut value = kwargs
        .get(&key)
        .cloned()
        .ok_or_else(|| Error::new(Exc::KeyError, repr(&key)))?;
    while let Some((&kind, tail)) = rest.split_first() {
        let part;
        match kind {
            '.' => {
                let n = tail
                    .iter()
                    .position(|&c| c == '.' || c == '[')
                    .unwrap_or(tail.len());
                part = &tail[..n];
                rest = &tail[n..];
            }
            '[' => {
                let Some(n) = tail.iter().position(|&c| c == ']') else {
                    return Err(value_error("Missing ']' in format string"));
                };
                part = &tail[..n];
                rest = &tail[n + 1..];
            }
            _ => {
                return Err(value_error(
                    "Only '.' or '[' may follow ']' in format field specifier",
                ));
            }
        }
        let index = if kind == '[' { index_of(part)? } else { None };
        if part.is_empty() {
            return Err(value_error("Empty attribute in format string"));
        }
        let part: String = part.iter().collect();
        value = if kind == '.' {
            if STR_ATTRIBUTES.contains(&part.as_str()) {
                return Err(Error::new(
                    Exc::UnsupportedFormat,
                    format!(
                        "'.{part}' of a parameter is a Python object whose text differs from \
                         run to run (a memory address); refused"
                    ),
                ));
            }
            return Err(Error::new(
                Exc::AttributeError,
                format!("'str' object has no attribute '{part}'"),
            ));
        } else {
            match index {
                None => {
                    return Err(Error::new(
                        Exc::TypeError,
                        "string indices must be integers, not 'str'",
                    ));
                }
                Some(i) => value
                    .chars()
                    .nth(i)
                    .map(String::from)
                    .ok_or_else(|| Error::new(Exc::IndexError, "string index out of range"))?,
            }
        };
    }
    Ok(value)
}

/// A width or precision (`get_integer` of the spec): the number and how many digits.
fn spec_integer(spec: &[char], pos: &mut usize) -> Result<Option<usize>> {
    let start = *pos;
    let mut acc: usize = 0;
    while let Some(d) = spec.get(*pos).and_then(|&c| decimal(c)) {
        acc = push_digit(acc, d)?;
        *pos += 1;
    }
    Ok((*pos > start).then_some(acc))
}

/// `_PyUnicode_FormatAdvancedWriter` for a `str` value.
fn format_str(value: &str, spec: &[char], out: &mut String) -> Result<()> {
    if spec.is_empty() {
        out.push_str(value);
        return Ok(());
    }
    let is_align = |c: char| matches!(c, '<' | '>' | '=' | '^');
    let (mut fill, mut align) = (' ', '<');
    let mut fill_given = false;
    let mut pos = 0;
    if spec.len() >= 2 && is_align(spec[1]) {
        (fill, align) = (spec[0], spec[1]);
        fill_given = true;
        pos = 2;
    } else if is_align(spec[0]) {
        align = spec[0];
        pos = 1;
    }
    let sign = spec
        .get(pos)
        .copied()
        .filter(|c| matches!(c, ' ' | '+' | '-'));
    pos += usize::from(sign.is_some());
    let no_neg_0 = spec.get(pos) == Some(&'z');
    pos += usize::from(no_neg_0);
    let alternate = spec.get(pos) == Some(&'#');
    pos += usize::from(alternate);
    if !fill_given && spec.get(pos) == Some(&'0') {
        // Since 3.10 a leading 0 only sets the fill of a string (the default alignment of
        // `str` is `<`, so the `=` that numbers get does not apply).
        fill = '0';
        pos += 1;
    }
    let width = spec_integer(spec, &mut pos)?;
    let mut separator = None;
    if spec.get(pos) == Some(&',') {
        separator = Some(',');
        pos += 1;
    }
    if spec.get(pos) == Some(&'_') {
        if separator.is_some() {
            return Err(value_error("Cannot specify both ',' and '_'."));
        }
        separator = Some('_');
        pos += 1;
    }
    if spec.get(pos) == Some(&',') && separator == Some('_') {
        return Err(value_error("Cannot specify both ',' and '_'."));
    }
    let mut precision = None;
    if spec.get(pos) == Some(&'.') {
        pos += 1;
        precision = spec_integer(spec, &mut pos)?;
        if precision.is_none() {
            return Err(value_error("Format specifier missing precision"));
        }
    }
    if spec.len() - pos > 1 {
        return Err(value_error(format!(
            "Invalid format specifier '{}' for object of type 'str'",
            spec.iter().collect::<String>()
        )));
    }
    let kind = spec.get(pos).copied().unwrap_or('s');
    let show = |c: char| {
        if (c as u32) > 32 && (c as u32) < 128 {
            format!("'{c}'")
        } else {
            format!("'\\x{:x}'", c as u32)
        }
    };
    if let Some(sep) = separator
        && !matches!(kind, 'd' | 'e' | 'f' | 'g' | 'E' | 'G' | '%' | 'F')
        && !(sep == '_' && matches!(kind, 'b' | 'o' | 'x' | 'X'))
    {
        return Err(value_error(format!(
            "Cannot specify '{sep}' with {}.",
            show(kind)
        )));
    }
    if kind != 's' {
        return Err(value_error(format!(
            "Unknown format code {} for object of type 'str'",
            show(kind)
        )));
    }
    // `format_string_internal`.
    match sign {
        Some(' ') => return Err(value_error("Space not allowed in string format specifier")),
        Some(_) => return Err(value_error("Sign not allowed in string format specifier")),
        None => {}
    }
    if no_neg_0 {
        return Err(value_error(
            "Negative zero coercion (z) not allowed in string format specifier",
        ));
    }
    if alternate {
        return Err(value_error(
            "Alternate form (#) not allowed in string format specifier",
        ));
    }
    if align == '=' {
        return Err(value_error(
            "'=' alignment not allowed in string format specifier",
        ));
    }
    let width = width.unwrap_or(0);
    if width > MAX_WIDTH {
        return Err(Error::new(
            Exc::MemoryError,
            format!("a format width of {width} characters is more than this tool allocates"),
        ));
    }
    let chars = value.chars().count();
    let len = precision.map_or(chars, |p| p.min(chars));
    let pad = width.saturating_sub(len);
    let left = match align {
        '>' => pad,
        '^' => pad / 2,
        _ => 0,
    };
    out.extend(std::iter::repeat_n(fill, left));
    out.extend(value.chars().take(len));
    out.extend(std::iter::repeat_n(fill, pad - left));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers of CPython 3.11.7 for `template.format(X=value)`, recorded with
    /// `tests/support/py-answers.py format`.
    #[test]
    fn format_as_cpython() {
        type Answer = std::result::Result<&'static str, (&'static str, &'static str)>;
        let table: &[(&str, &str, Answer)] = include!("format_answers.in");
        let mut kwargs = BTreeMap::new();
        for (template, x, want) in table {
            kwargs.insert("X".to_string(), x.to_string());
            let got = format(template, &kwargs);
            match want {
                Ok(text) => assert_eq!(got.as_deref(), Ok(*text), "{template:?} with X={x:?}"),
                Err((class, message)) => {
                    let e = got.expect_err(template);
                    assert_eq!(
                        (e.class.name(), e.message.as_str()),
                        (*class, *message),
                        "{template:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn str_attributes_are_refused_and_others_are_attribute_errors() {
        let kwargs = BTreeMap::from([("X".to_string(), "ab".to_string())]);
        assert_eq!(
            format("{X.upper}", &kwargs).unwrap_err().class,
            "UnsupportedFormat"
        );
        assert_eq!(
            format("{X.__class__}", &kwargs).unwrap_err().class,
            "UnsupportedFormat"
        );
        let e = format("{X.a'b}", &kwargs).unwrap_err();
        assert_eq!(e.message, "'str' object has no attribute 'a'b'");
    }

    #[test]
    fn huge_widths_fail_before_allocating() {
        let kwargs = BTreeMap::from([("N".to_string(), "x".to_string())]);
        assert_eq!(
            format("{N:>1000000000000000}", &kwargs).unwrap_err().class,
            "MemoryError"
        );
        assert_eq!(format("{N:.1000000000000}", &kwargs).unwrap(), "x");
    }
}
