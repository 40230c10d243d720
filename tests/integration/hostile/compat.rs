// Issue 20 rows (see TABLES in hostile.rs).
const COMPAT_ROWS: &[Row] = &[
];
