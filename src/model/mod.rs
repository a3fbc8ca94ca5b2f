//! The in-toto data model: layouts, steps, inspections, artifact rules, links, the two
//! envelope formats and the JSON encodings they rely on.

pub mod json;
pub mod fnmatch;
pub mod link;
pub mod rule;
pub mod layout;
pub mod envelope;
pub mod params;
