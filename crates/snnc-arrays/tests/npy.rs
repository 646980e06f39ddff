//! `.npy`/`.npz` round trips and refusal of malformed files.

use std::path::Path;

use snnc_arrays::*;
use snnc_ir::{DType, Tensor};

fn header(descr: &str, shape: &str) -> Vec<u8> {
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let mut h = b"\x93NUMPY\x01\x00".to_vec();
    h.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    h.extend_from_slice(dict.as_bytes());
    h
}

#[test]
fn npz_round_trip_keeps_names_dtypes_and_values() {
    let dir = std::env::temp_dir().join(format!("snnc-arrays-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("a.npz");
    let a = Tensor::F32(ndarray::arr2(&[[1.5f32, -2.0], [0.0, 3.25]]).into_dyn());
    let b = Tensor::I64(ndarray::arr1(&[7i64, -1]).into_dyn());
    let c = Tensor::Bool(ndarray::arr1(&[true, false]).into_dyn());
    write_npz(&path, &[("fc1.weight", &a), ("idx", &b), ("mask", &c)]).unwrap();
    let back = read_npz(&path).unwrap();
    let names: Vec<_> = back.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["fc1.weight", "idx", "mask"]);
    assert_eq!(back[0].1, a);
    assert_eq!(back[1].1, b);
    assert_eq!(back[2].1, c);
    let npy = dir.join("a.npy");
    write_npy(&npy, &a).unwrap();
    assert_eq!(read_npy(&npy).unwrap(), a);
}

#[test]
fn fortran_order_is_read_and_transposed_layouts_are_written_in_c_order() {
    let dict = "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }";
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    bytes.extend_from_slice(dict.as_bytes());
    for x in [1f32, 4., 2., 5., 3., 6.] {
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    let t = read_npy_bytes(&bytes, Path::new("f.npy")).unwrap();
    let want = Tensor::F32(ndarray::arr2(&[[1f32, 2., 3.], [4., 5., 6.]]).into_dyn());
    assert_eq!(t, want);
    let dir = std::env::temp_dir().join(format!("snnc-arrays-f-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("t.npy");
    let Tensor::F32(a) = &want else { unreachable!() };
    write_npy(&p, &Tensor::F32(a.clone().reversed_axes())).unwrap();
    let text = std::fs::read(&p).unwrap();
    assert!(String::from_utf8_lossy(&text).contains("'fortran_order': False"));
    let back = read_npy(&p).unwrap();
    assert_eq!(back.as_f32_vec().unwrap(), [1f32, 4., 2., 5., 3., 6.]);
}

#[test]
fn int32_reads_as_i64_and_scalars_work() {
    let mut bytes = header("<i4", "(2,)");
    bytes.extend_from_slice(&5i32.to_le_bytes());
    bytes.extend_from_slice(&(-3i32).to_le_bytes());
    let t = read_npy_bytes(&bytes, Path::new("x.npy")).unwrap();
    assert_eq!(t, Tensor::I64(ndarray::arr1(&[5i64, -3]).into_dyn()));
    let mut bytes = header("<f8", "()");
    bytes.extend_from_slice(&2.5f64.to_le_bytes());
    let t = read_npy_bytes(&bytes, Path::new("x.npy")).unwrap();
    assert_eq!(t.dtype(), DType::F64);
    assert_eq!(t.shape(), &[] as &[usize]);
}

#[test]
fn malformed_files_are_refused_with_the_file_named() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"garbage".to_vec(), "bad magic"),
        (header("<f4", "(1000000, 1000000)"), "exceeds the limit"),
        (header("<f4", "(3,)"), "truncated data"),
        (header("<c8", "(1,)"), "unsupported dtype"),
        (header("<f4", "(abc,)"), "bad shape"),
        // Empty tuple items are not Python, and a zero dimension does not excuse the others.
        (header("<f4", "(,3)"), "bad shape"),
        (header("<f4", "(3,,2)"), "bad shape"),
        (header("<f4", "(,)"), "bad shape"),
        (header("<f4", "(+3,)"), "bad shape"),
        (header("<f8", "(332, 6666666, 6, 666666, 6, 13, 3, 6, 0)"), "exceeds the limit"),
        (b"\x93NUMPY\x01\x00\xff\xff{".to_vec(), "truncated .npy header"),
    ];
    for (bytes, needle) in cases {
        let e = read_npy_bytes(&bytes, Path::new("in.npy")).unwrap_err().to_string();
        assert!(e.starts_with("in.npy: ") && e.contains(needle), "{e}");
    }
    let e = read_npz(Path::new("/nonexistent/x.npz")).unwrap_err().to_string();
    assert!(e.contains("/nonexistent/x.npz"), "{e}");
}

/// Tuples as NumPy writes them: `()`, `(n,)`, `(a, b)`, and a trailing comma.
#[test]
fn shape_tuples_and_empty_arrays() {
    for (shape, dims) in
        [("()", vec![]), ("(2,)", vec![2]), ("(2, 0)", vec![2, 0]), ("(1, 2,)", vec![1, 2])]
    {
        let mut b = header("<f4", shape);
        b.extend(std::iter::repeat_n(0u8, 4 * dims.iter().product::<usize>()));
        let t = read_npy_bytes(&b, Path::new("in.npy")).unwrap_or_else(|e| panic!("{shape}: {e}"));
        assert_eq!(t.shape(), &dims[..], "{shape}");
    }
}
