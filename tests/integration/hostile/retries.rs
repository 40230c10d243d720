// Issue 20 rows (see TABLES in hostile.rs).
const RETRY_ROWS: &[Row] = &[
];
