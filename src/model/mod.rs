//! The in-toto data model: layouts, steps, inspections, artifact rules, links, the two
//! envelope formats and the JSON encodings they rely on.

pub mod edit;
pub mod envelope;
pub mod fsname;
pub mod layout;
pub mod link;
pub mod params;
pub mod rule;
