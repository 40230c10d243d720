// Issue 20 rows (see TABLES in hostile.rs).
const NAME_ROWS: &[Row] = &[
];
