//! The reports kbp's commands produce: plain, serialisable data and nothing else.
//!
//! Commands (`cmd`) build them, the rules (`diagnose`, `drain`) fill them in, `output`
//! renders them, and docs/json-schema.md documents them. Living below all of those, a
//! report type has one home a newcomer can guess: `report::<command>`.

pub mod brokers;
pub mod diagnosis;
pub mod drain;
pub mod lag;
pub mod offsets;
pub mod watch;
