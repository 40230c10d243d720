// Issue 20 rows (see TABLES in hostile.rs).
const DELIVERY_ROWS: &[Row] = &[
];
