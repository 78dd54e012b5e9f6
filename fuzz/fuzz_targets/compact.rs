#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cercle_fuzz::compact(data));
