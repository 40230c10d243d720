// Issue 20 rows (see TABLES in hostile.rs).
const LIMIT_ROWS: &[Row] = &[
];
