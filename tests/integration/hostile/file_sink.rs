// Issue 20 rows (see TABLES in hostile.rs).
const FILE_SINK_ROWS: &[Row] = &[
];
