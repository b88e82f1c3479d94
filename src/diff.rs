//! Comparing two revisions of the OpenAPI document (feature `cli`).
