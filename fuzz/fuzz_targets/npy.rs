#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| snnc_testgen::fuzz::npy(data));
