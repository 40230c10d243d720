// Issue 20 rows (see TABLES in hostile.rs).
const STDERR_ROWS: &[Row] = &[
];
