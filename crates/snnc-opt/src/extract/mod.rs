//! Choosing one e-node per e-class: the cost model, the DAG-aware greedy extractor and its
//! improvement by single switches.

pub mod cost;
pub mod dag;
pub mod improve;
