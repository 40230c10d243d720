// Issue 20 rows (see TABLES in hostile.rs).
const DEADLINE_ROWS: &[Row] = &[
];
