//! Choosing one e-node per e-class: the cost model and the DAG-aware greedy extractor.

pub mod cost;
pub mod dag;
