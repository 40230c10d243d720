// Issue 20 rows (see TABLES in hostile.rs).
const FORMAT_ROWS: &[Row] = &[
];
