//! Editing operations on a layout that keep it consistent (used by the authoring TUI):
//! renaming an item updates every `MATCH … FROM` naming it; names stay unique.

use crate::Exc;
use crate::error::{Error, Result};
use crate::model::layout::{Inspection, Layout, Step};
use crate::model::rule::{ArtifactKind, Rule, RuleKind};

/// Which kind of item a name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemKind {
    Step,
    Inspection,
}

/// A reference to an item of a layout by kind and position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ItemRef {
    pub kind: ItemKind,
    pub index: usize,
}

/// Find an item by name.
pub fn find(layout: &Layout, name: &str) -> Option<ItemRef> {
    if let Some(i) = layout.steps.iter().position(|s| s.name == name) {
        return Some(ItemRef {
            kind: ItemKind::Step,
            index: i,
        });
    }
    layout
        .inspect
        .iter()
        .position(|s| s.name == name)
        .map(|i| ItemRef {
            kind: ItemKind::Inspection,
            index: i,
        })
}

/// The name of an item.
pub fn name_of(layout: &Layout, item: ItemRef) -> Option<&str> {
    match item.kind {
        ItemKind::Step => layout.steps.get(item.index).map(|s| s.name.as_str()),
        ItemKind::Inspection => layout.inspect.get(item.index).map(|s| s.name.as_str()),
    }
}

/// Every item name, steps first.
pub fn names(layout: &Layout) -> Vec<String> {
    layout
        .steps
        .iter()
        .map(|s| s.name.clone())
        .chain(layout.inspect.iter().map(|i| i.name.clone()))
        .collect()
}

/// Check a new item name: non-empty, unique, no path separators (link file names are
/// `<step>.<keyid[:8]>.link`).
pub fn check_name(layout: &Layout, name: &str, except: Option<ItemRef>) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::new(Exc::ValueError, "a name must not be empty"));
    }
    if name.contains('/') || name.contains('\\') || name == ".." || name == "." {
        return Err(Error::new(
            Exc::ValueError,
            format!("'{name}' would make link file names leave the link directory"),
        ));
    }
    if let Some(found) = find(layout, name)
        && Some(found) != except
    {
        return Err(Error::new(
            Exc::ValueError,
            format!("there is already an item named '{name}'"),
        ));
    }
    Ok(())
}

/// A fresh name like `step-3` that is not taken.
pub fn fresh_name(layout: &Layout, base: &str) -> String {
    (1..)
        .map(|i| format!("{base}-{i}"))
        .find(|n| find(layout, n).is_none())
        .expect("some name is free")
}

/// The rule lists of an item.
pub fn rules_mut(layout: &mut Layout, item: ItemRef, kind: ArtifactKind) -> Option<&mut Vec<Rule>> {
    match item.kind {
        ItemKind::Step => layout.steps.get_mut(item.index).map(|s| s.rules_mut(kind)),
        ItemKind::Inspection => layout
            .inspect
            .get_mut(item.index)
            .map(|s| s.rules_mut(kind)),
    }
}

pub fn rules(layout: &Layout, item: ItemRef, kind: ArtifactKind) -> Option<&[Rule]> {
    match item.kind {
        ItemKind::Step => layout.steps.get(item.index).map(|s| s.rules(kind)),
        ItemKind::Inspection => layout.inspect.get(item.index).map(|s| s.rules(kind)),
    }
}

/// Rename an item and every `MATCH … FROM <old>` in the layout.
pub fn rename(layout: &mut Layout, item: ItemRef, new: &str) -> Result<()> {
    check_name(layout, new, Some(item))?;
    let old = name_of(layout, item)
        .ok_or_else(|| Error::new(Exc::IndexError, "no such item"))?
        .to_string();
    match item.kind {
        ItemKind::Step => {
            let s = &mut layout.steps[item.index];
            s.name = new.to_string();
            s.name_json = None;
        }
        ItemKind::Inspection => {
            let s = &mut layout.inspect[item.index];
            s.name = new.to_string();
            s.name_json = None;
        }
    }
    let retarget = |rules: &mut Vec<Rule>| {
        for r in rules.iter_mut() {
            if let Ok(RuleKind::Match { dest_name, .. }) = r.kind()
                && *dest_name == old
            {
                let mut tokens = r.tokens().to_vec();
                if let Some(last) = tokens.last_mut() {
                    *last = new.to_string();
                }
                *r = Rule::from_tokens_lenient(tokens);
            }
        }
    };
    for s in &mut layout.steps {
        retarget(&mut s.expected_materials);
        retarget(&mut s.expected_products);
    }
    for i in &mut layout.inspect {
        retarget(&mut i.expected_materials);
        retarget(&mut i.expected_products);
    }
    Ok(())
}

/// Add a step named `name` after position `after` (or at the end).
pub fn add_step(layout: &mut Layout, name: &str, after: Option<usize>) -> Result<ItemRef> {
    check_name(layout, name, None)?;
    let at = after
        .map(|a| (a + 1).min(layout.steps.len()))
        .unwrap_or(layout.steps.len());
    layout.steps.insert(at, Step::new(name));
    Ok(ItemRef {
        kind: ItemKind::Step,
        index: at,
    })
}

/// Add an inspection named `name` at the end.
pub fn add_inspection(layout: &mut Layout, name: &str) -> Result<ItemRef> {
    check_name(layout, name, None)?;
    layout.inspect.push(Inspection::new(name));
    Ok(ItemRef {
        kind: ItemKind::Inspection,
        index: layout.inspect.len() - 1,
    })
}

/// Remove an item; returns the rules elsewhere that still MATCH FROM it.
pub fn remove(layout: &mut Layout, item: ItemRef) -> Vec<String> {
    let Some(name) = name_of(layout, item).map(str::to_string) else {
        return Vec::new();
    };
    match item.kind {
        ItemKind::Step => {
            layout.steps.remove(item.index);
        }
        ItemKind::Inspection => {
            layout.inspect.remove(item.index);
        }
    }
    references_to(layout, &name)
}

/// Rules (`item: RULE`) that MATCH FROM `name`.
pub fn references_to(layout: &Layout, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut scan = |item: &str, rules: &[Rule]| {
        for r in rules {
            if matches!(r.kind(), Ok(RuleKind::Match { dest_name, .. }) if dest_name == name) {
                out.push(format!("{item}: {}", r.joined()));
            }
        }
    };
    for s in &layout.steps {
        scan(&s.name, &s.expected_materials);
        scan(&s.name, &s.expected_products);
    }
    for i in &layout.inspect {
        scan(&i.name, &i.expected_materials);
        scan(&i.name, &i.expected_products);
    }
    out
}

/// Steps that authorize `keyid`.
pub fn steps_using_key(layout: &Layout, keyid: &str) -> Vec<String> {
    layout
        .steps
        .iter()
        .filter(|s| s.pubkeys.iter().any(|k| k == keyid))
        .map(|s| s.name.clone())
        .collect()
}

/// Remove a key from `keys` and from every step's `pubkeys`.
pub fn remove_key(layout: &mut Layout, keyid: &str) {
    layout.keys.remove(keyid);
    for s in &mut layout.steps {
        s.pubkeys.retain(|k| k != keyid);
    }
}

/// Move an item one place up (`-1`) or down (`+1`) among its kind; returns the new ref.
pub fn move_item(layout: &mut Layout, item: ItemRef, delta: isize) -> ItemRef {
    let len = match item.kind {
        ItemKind::Step => layout.steps.len(),
        ItemKind::Inspection => layout.inspect.len(),
    };
    let to = item.index as isize + delta;
    if to < 0 || to as usize >= len {
        return item;
    }
    let to = to as usize;
    match item.kind {
        ItemKind::Step => layout.steps.swap(item.index, to),
        ItemKind::Inspection => layout.inspect.swap(item.index, to),
    }
    ItemRef {
        kind: item.kind,
        index: to,
    }
}

/// Templates for common rules, given the item's position (the previous step is the usual
/// MATCH source).
pub fn rule_templates(layout: &Layout, item: ItemRef, kind: ArtifactKind) -> Vec<String> {
    let previous = match item.kind {
        ItemKind::Step if item.index > 0 => Some(layout.steps[item.index - 1].name.clone()),
        ItemKind::Inspection => layout.steps.last().map(|s| s.name.clone()),
        _ => None,
    };
    let mut t = Vec::new();
    if let Some(p) = &previous {
        t.push(format!(
            "MATCH * WITH PRODUCTS FROM {}",
            crate::model::rule::join_line(std::slice::from_ref(p))
        ));
    }
    match kind {
        ArtifactKind::Materials => t.push("ALLOW *".into()),
        ArtifactKind::Products => {
            t.push("CREATE *".into());
            t.push("MODIFY *".into());
            t.push(
                "MATCH * WITH MATERIALS FROM ".to_string()
                    + &crate::model::rule::join_line(&[name_of(layout, item)
                        .unwrap_or("")
                        .to_string()]),
            );
        }
    }
    t.push("DISALLOW *".into());
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Layout {
        let mut l = Layout::new(jiff::Timestamp::UNIX_EPOCH);
        add_step(&mut l, "clone", None).unwrap();
        let s = add_step(&mut l, "build", None).unwrap();
        l.steps[s.index]
            .expected_materials
            .push(Rule::parse_line("MATCH * WITH PRODUCTS FROM clone").unwrap());
        let i = add_inspection(&mut l, "check").unwrap();
        l.inspect[i.index]
            .expected_materials
            .push(Rule::parse_line("match * in x with products from clone").unwrap());
        l
    }

    #[test]
    fn rename_retargets_match_rules() {
        let mut l = demo();
        rename(
            &mut l,
            ItemRef {
                kind: ItemKind::Step,
                index: 0,
            },
            "fetch",
        )
        .unwrap();
        assert_eq!(
            l.steps[1].expected_materials[0].joined(),
            "MATCH * WITH PRODUCTS FROM fetch"
        );
        assert_eq!(
            l.inspect[0].expected_materials[0].joined(),
            "match * in x with products from fetch"
        );
        assert!(references_to(&l, "clone").is_empty());
        assert_eq!(references_to(&l, "fetch").len(), 2);
    }

    #[test]
    fn names_stay_unique_and_safe() {
        let mut l = demo();
        assert!(add_step(&mut l, "build", None).is_err());
        assert!(add_inspection(&mut l, "clone").is_err());
        assert!(add_step(&mut l, "a/b", None).is_err());
        assert!(
            rename(
                &mut l,
                ItemRef {
                    kind: ItemKind::Step,
                    index: 0
                },
                "check"
            )
            .is_err()
        );
        assert_eq!(fresh_name(&l, "step"), "step-1");
    }

    #[test]
    fn remove_reports_dangling_references() {
        let mut l = demo();
        let left = remove(
            &mut l,
            ItemRef {
                kind: ItemKind::Step,
                index: 0,
            },
        );
        assert_eq!(left.len(), 2);
    }
}
