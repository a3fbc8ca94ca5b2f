//! The pattern matcher against answers recorded from the reference's Python `fnmatch`
//! (regenerate with `tests/fixtures/gen_fnmatch_table.py`).

use intoto_studio::py::fnmatch::Pattern;

#[test]
fn matcher_agrees_with_python_fnmatch() {
    let text = include_str!("fixtures/fnmatch_table.json");
    let table: serde_json::Value = serde_json::from_str(text).unwrap();
    let cases = table["cases"].as_array().unwrap();
    assert!(cases.len() > 4000);
    let mut wrong = Vec::new();
    for case in cases {
        let pattern = case[0].as_str().unwrap();
        let name = case[1].as_str().unwrap();
        let expected = case[2].as_bool().unwrap();
        if Pattern::new(pattern).matches(name) != expected {
            wrong.push(format!(
                "pattern {pattern:?} name {name:?}: python says {expected}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} disagreements:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
