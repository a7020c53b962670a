-- Head weights as float32 bytes instead of JSON number arrays: a 200-character head was 10 MB of
-- JSON that took longer to write and parse than to fit. head_json keeps the labels and thresholds.
-- Rows written before this migration keep their arrays in head_json and have no head_arrays.
ALTER TABLE head_versions ADD COLUMN head_arrays BLOB;
