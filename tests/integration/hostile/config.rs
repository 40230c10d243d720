// Issue 20 rows (see TABLES in hostile.rs).
const CONFIG_ROWS: &[Row] = &[
];
